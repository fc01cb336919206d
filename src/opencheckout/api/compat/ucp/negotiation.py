"""Who is calling and at which version: the ``UCP-Agent`` header.

The header is an RFC 8941 dictionary naming the platform's profile
(``profile="https://platform.example/.well-known/ucp"``) and, optionally, the
protocol version it speaks (``version="2026-01-11"``). Without a ``version``
the profile is fetched (through the SSRF-guarded client every outbound call
uses, cached for a few minutes) and its ``ucp.version`` and capabilities are
read. The version served is the platform's own when it is one of ours, else the
newest older one; a newer version is ``version_unsupported`` (422). The active
capabilities are the intersection of ours and the platform's, extensions
without their parent pruned, as the specification's algorithm says. AP2
mandates are active only when a fetched profile declares them: their
verification needs that profile's ``signing_keys``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

from opencheckout.api.compat.ucp.errors import UcpError
from opencheckout.service import ucp_versions as versions
from opencheckout.service.context import Context
from opencheckout.service.ucp_versions import Version
from opencheckout.webhooks import netguard

HEADER = "UCP-Agent"
PROFILE_TTL_SECONDS = 300.0
PROFILE_TIMEOUT_SECONDS = 5.0
MAX_PROFILE_BYTES = 256 * 1024
_CACHE_ENTRIES = 256


@dataclass(frozen=True, slots=True)
class Agent:
    profile: str | None
    version: Version
    capabilities: frozenset[str]
    #: ``dev.ucp.shopping.order`` ``config.webhook_url`` of the fetched profile.
    webhook_url: str | None = None
    #: The profile's top-level ``signing_keys`` (JWKs; AP2 mandates are verified with them).
    signing_keys: tuple[dict[str, Any], ...] = ()


def parse_dictionary(header: str) -> dict[str, str]:
    """The members of an RFC 8941 dictionary with string or token values
    (parameters of a member are ignored); ValueError when it is not one."""
    members: dict[str, str] = {}
    i, n = 0, len(header)
    while i < n:
        while i < n and header[i] in " \t":
            i += 1
        start = i
        while i < n and (header[i].isalnum() or header[i] in "_-.*"):
            i += 1
        key = header[start:i].lower()
        if not key:
            raise ValueError("expected a key")
        value = "true"
        if i < n and header[i] == "=":
            i += 1
            if i < n and header[i] == '"':
                i += 1
                chars: list[str] = []
                while i < n and header[i] != '"':
                    if header[i] == "\\" and i + 1 < n:
                        i += 1
                    chars.append(header[i])
                    i += 1
                if i >= n:
                    raise ValueError("unterminated string")
                i += 1
                value = "".join(chars)
            else:
                start = i
                while i < n and header[i] not in ",;":
                    i += 1
                value = header[start:i].strip()
        while i < n and header[i] != ",":  # member parameters
            i += 1
        members[key] = value
        i += 1
    return members


_profiles: dict[str, tuple[float, dict[str, Any]]] = {}


async def fetch_profile(ctx: Context, url: str) -> dict[str, Any]:
    """The platform's profile, from the cache or over the guarded client."""
    now = time.monotonic()
    cached = _profiles.get(url)
    if cached is not None and cached[0] > now:
        return cached[1]
    try:
        async with netguard.make_client(
            allow_private=ctx.settings.webhooks_allow_private, timeout=PROFILE_TIMEOUT_SECONDS
        ) as client:
            response = await client.get(url, headers={"Accept": "application/json"})
    except (httpx.HTTPError, netguard.BlockedAddress, OSError) as exc:
        raise UcpError(
            424, "profile_unreachable", f"Unable to fetch the platform profile: {exc}"
        ) from exc
    if response.status_code != 200:
        raise UcpError(
            424,
            "profile_unreachable",
            f"The platform profile answered HTTP {response.status_code}.",
        )
    if len(response.content) > MAX_PROFILE_BYTES:
        raise UcpError(422, "profile_malformed", "The platform profile is too large.")
    try:
        document = orjson.loads(response.content)
    except orjson.JSONDecodeError as exc:
        raise UcpError(422, "profile_malformed", "The platform profile is not JSON.") from exc
    if not isinstance(document, dict) or not isinstance(document.get("ucp"), dict):
        raise UcpError(422, "profile_malformed", "The platform profile has no 'ucp' object.")
    if len(_profiles) >= _CACHE_ENTRIES:
        _profiles.clear()
    _profiles[url] = (now + PROFILE_TTL_SECONDS, document)
    return document


def _capability_names(ucp: dict[str, Any]) -> set[str] | None:
    declared = ucp.get("capabilities")
    if isinstance(declared, dict):
        return {name for name in declared if isinstance(name, str)}
    if isinstance(declared, list):
        return {
            c["name"] for c in declared if isinstance(c, dict) and isinstance(c.get("name"), str)
        }
    return None


def _webhook_url(ucp: dict[str, Any]) -> str | None:
    declared = ucp.get("capabilities")
    entries: list[Any] = []
    if isinstance(declared, dict):
        entries = list(declared.get(versions.ORDER) or [])
    elif isinstance(declared, list):
        entries = [c for c in declared if isinstance(c, dict) and c.get("name") == versions.ORDER]
    for entry in entries:
        config = entry.get("config") if isinstance(entry, dict) else None
        url = config.get("webhook_url") if isinstance(config, dict) else None
        if isinstance(url, str):
            return url
    return None


def intersect(platform: set[str] | None) -> frozenset[str]:
    """Our capabilities the platform also has, orphaned extensions removed."""
    active = set(versions.UNDECLARED_CAPABILITIES if platform is None else platform)
    active &= versions.ALL_CAPABILITIES
    for name, (parent, _page, _schema) in versions.CAPABILITIES.items():
        if parent is not None and parent not in active:
            active.discard(name)
    return frozenset(active)


def _unsupported(declared: str) -> UcpError:
    return UcpError(
        422,
        "version_unsupported",
        f"Protocol version {declared[:40]} is not supported. This business supports versions "
        f"{' and '.join(versions.SUPPORTED)}.",
    )


def _valid_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and len(url) <= 2048


async def negotiate(ctx: Context, header: str | None) -> Agent:
    """The agent of a request's ``UCP-Agent`` header, or a :class:`UcpError`."""
    if not header:
        raise UcpError(
            400,
            "invalid_profile_url",
            'Every request needs a UCP-Agent header: profile="https://platform.example/'
            '.well-known/ucp".',
        )
    try:
        members = parse_dictionary(header)
    except ValueError as exc:
        raise UcpError(
            400, "invalid_profile_url", f"UCP-Agent is not an RFC 8941 dictionary: {exc}."
        ) from exc
    profile = members.get("profile")
    declared = members.get("version")
    if profile is not None and not _valid_url(profile):
        raise UcpError(400, "invalid_profile_url", "UCP-Agent's profile is not an http(s) URL.")
    if declared is not None:
        version = versions.for_platform(declared)
        if version is None:
            raise _unsupported(declared)
        return Agent(profile, version, versions.UNDECLARED_CAPABILITIES)
    if profile is None:
        raise UcpError(400, "invalid_profile_url", "UCP-Agent names no profile.")
    document = await fetch_profile(ctx, profile)
    ucp = document["ucp"]
    platform_version = ucp.get("version")
    if not isinstance(platform_version, str):
        raise UcpError(422, "profile_malformed", "The platform profile has no ucp.version.")
    version = versions.for_platform(platform_version)
    if version is None:
        raise _unsupported(platform_version)
    keys = document.get("signing_keys")
    return Agent(
        profile,
        version,
        intersect(_capability_names(ucp)),
        _webhook_url(ucp),
        tuple(k for k in keys if isinstance(k, dict)) if isinstance(keys, list) else (),
    )
