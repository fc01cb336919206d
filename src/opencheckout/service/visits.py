"""The buyer's visit to the hosted page, recorded on the session as ``client``.

``{ip, user_agent, browser, os, device, first_seen_at, last_seen_at}``: the
address and browser of the latest visit, parsed with ua-parser (the
maintained port of uap-core's rules, from ``ua-parser-builtins``), and when
the buyer was first and last seen. A visit is written with the page's own
activity update, and only when it says something new: the first visit, another
address or browser, or ``last_seen_at`` older than :data:`RECORD_EVERY`; so
reloading the page costs no extra write. ``OPENCHECKOUT_RECORD_CLIENT=0``
records nothing; ``anonymized`` keeps only the address's network prefix.
Recording never fails the page: whatever goes wrong here is logged and skipped.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from opencheckout.domain.client_ip import anonymize
from opencheckout.service.views import isoformat

logger = logging.getLogger("opencheckout.visits")

#: ``last_seen_at`` is refreshed at most this often.
RECORD_EVERY = timedelta(seconds=60)
#: Longest User-Agent kept (longer ones are cut).
MAX_USER_AGENT = 512


@dataclass(frozen=True, slots=True)
class Visit:
    """What a page request says of its sender."""

    ip: str | None
    user_agent: str | None


@functools.lru_cache(maxsize=1024)
def parse_user_agent(user_agent: str) -> tuple[str, str, str]:
    """``(browser, os, device)``: families, the OS with its version ("Mac OS X 10.15.7");
    ua-parser's "Other" when a part is not recognised."""
    from ua_parser import parse

    result = parse(user_agent).with_defaults()
    os_version = ".".join(
        part
        for part in (result.os.major, result.os.minor, result.os.patch, result.os.patch_minor)
        if part
    )
    os_name = f"{result.os.family} {os_version}" if os_version else result.os.family
    return result.user_agent.family, os_name, result.device.family


def warm_up() -> None:
    """Load ua-parser's rules in the background, so no buyer waits for it."""

    def load() -> None:
        try:
            parse_user_agent("Mozilla/5.0")
        except Exception:  # pragma: no cover - the page works without it
            logger.warning("could not load the user-agent parser", exc_info=True)

    threading.Thread(target=load, name="ua-parser-warm-up", daemon=True).start()


def _clean(text: str | None, limit: int) -> str | None:
    if not text:
        return None
    text = text.replace("\x00", "")[:limit].strip()
    return text or None


def client_update(
    current: Mapping[str, Any] | None, visit: Visit, now: datetime, mode: str
) -> dict[str, Any] | None:
    """The new ``client`` to store for ``visit``, or None when nothing needs writing."""
    if mode == "off":
        return None
    try:
        ip = visit.ip
        if ip is not None and mode == "anonymized":
            ip = anonymize(ip)
        user_agent = _clean(visit.user_agent, MAX_USER_AGENT)
        if current:
            same = current.get("ip") == ip and current.get("user_agent") == user_agent
            last = current.get("last_seen_at")
            recent = isinstance(last, str) and (
                now - datetime.fromisoformat(last.replace("Z", "+00:00")) < RECORD_EVERY
            )
            if same and recent:
                return None
        if current and current.get("user_agent") == user_agent:
            browser, os_name, device = current["browser"], current["os"], current["device"]
        elif user_agent is None:
            browser = os_name = device = None
        else:
            browser, os_name, device = parse_user_agent(user_agent)
        return {
            "ip": ip,
            "user_agent": user_agent,
            "browser": browser,
            "os": os_name,
            "device": device,
            "first_seen_at": (current or {}).get("first_seen_at") or isoformat(now),
            "last_seen_at": isoformat(now),
        }
    except Exception:
        logger.warning("could not record the visit", exc_info=True)
        return None
