"""Standard Webhooks signatures (https://www.standardwebhooks.com/).

Signing is delegated to the ``standardwebhooks`` library so that what we send
is, by construction, what its ``Webhook.verify`` (and the other language
ports merchants use) accepts.
"""

from __future__ import annotations

import base64
import secrets as _secrets
from collections.abc import Sequence
from datetime import UTC, datetime
from math import floor

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"  # noqa: S105 (a format prefix, not a secret)
#: The spec asks for 24 to 64 random bytes; 32 matches an HMAC-SHA256 key.
SECRET_BYTES = 32
USER_AGENT = "opencheckout-webhooks/1"


def new_secret() -> str:
    """A fresh endpoint secret, ``whsec_`` + base64 of 32 random bytes."""
    raw = _secrets.token_bytes(SECRET_BYTES)
    return SECRET_PREFIX + base64.b64encode(raw).decode("ascii")


def _utc(timestamp: datetime) -> datetime:
    # The library does ``timestamp.replace(tzinfo=UTC)``, which silently shifts
    # an aware non-UTC time; normalise first so the signed seconds and the
    # ``webhook-timestamp`` header always agree. Naive means UTC, as elsewhere.
    if timestamp.tzinfo is None:
        return timestamp.replace(tzinfo=UTC)
    return timestamp.astimezone(UTC)


def timestamp_header(timestamp: datetime) -> str:
    """Integer Unix seconds, the ``webhook-timestamp`` header value."""
    return str(floor(_utc(timestamp).timestamp()))


def sign(secret: str, msg_id: str, timestamp: datetime, payload: bytes) -> str:
    """One ``v1,<base64>`` signature of ``msg_id.timestamp.payload``.

    The payload must be UTF-8 (it is JSON); the library signs text.
    """
    return Webhook(secret).sign(msg_id, _utc(timestamp), payload.decode("utf-8"))


def signature_header(
    secrets: Sequence[str], msg_id: str, timestamp: datetime, payload: bytes
) -> str:
    """Space-separated signatures, one per secret.

    During a secret rotation the previous secret keeps signing for a while, so
    a receiver that has not switched yet still finds a matching signature; the
    spec allows several and verifiers accept the message if any one matches.
    """
    if not secrets:
        raise ValueError("at least one signing secret is required")
    return " ".join(sign(secret, msg_id, timestamp, payload) for secret in secrets)


def headers(
    secrets: Sequence[str], msg_id: str, timestamp: datetime, payload: bytes
) -> dict[str, str]:
    """Every header a delivery carries: the three ``webhook-*`` ones and the basics."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": timestamp_header(timestamp),
        "webhook-signature": signature_header(secrets, msg_id, timestamp, payload),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }
