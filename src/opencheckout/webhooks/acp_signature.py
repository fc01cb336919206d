"""ACP order webhooks' ``Merchant-Signature`` header.

The Agentic Checkout Webhooks spec (2026-04-17) fixes the format:
``Merchant-Signature: t=<unix seconds>,v1=<64 hex>``, the hex being
HMAC-SHA256 of ``"<t>." + raw body`` under the secret the agent platform and
the merchant exchanged out of band. The secret is used as given (UTF-8 bytes),
unlike Standard Webhooks' base64 ``whsec_`` keys, because the platform issues it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import UTC, datetime
from math import floor

HEADER = "Merchant-Signature"
#: The receiver's recommended replay window.
DEFAULT_TOLERANCE_SECONDS = 300
_FORMAT = re.compile(r"^t=(\d+),v1=([a-fA-F0-9]{64})$")


def unix_seconds(when: datetime) -> int:
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return floor(when.timestamp())


def digest(secret: str, timestamp: int, body: bytes) -> str:
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def sign(secret: str, when: datetime, body: bytes) -> str:
    """The header value for ``body`` sent at ``when``."""
    timestamp = unix_seconds(when)
    return f"t={timestamp},v1={digest(secret, timestamp, body)}"


class InvalidSignature(ValueError):
    """Missing, malformed, stale or wrong: the receiver answers 401."""


def verify(
    secret: str,
    header: str | None,
    body: bytes,
    *,
    now: datetime,
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
) -> int:
    """Check a received header as a receiver must; returns the signed timestamp."""
    if not header:
        raise InvalidSignature("Missing Merchant-Signature header.")
    match = _FORMAT.match(header.strip())
    if match is None:
        raise InvalidSignature("Merchant-Signature must be t=<timestamp>,v1=<64_hex>.")
    timestamp = int(match.group(1))
    if abs(unix_seconds(now) - timestamp) > tolerance_seconds:
        raise InvalidSignature("Timestamp outside allowed window.")
    if not hmac.compare_digest(digest(secret, timestamp, body), match.group(2).lower()):
        raise InvalidSignature("Webhook signature verification failed.")
    return timestamp
