"""Random public identifiers and secrets."""

from __future__ import annotations

import secrets
import string

_ALPHABET = string.ascii_letters + string.digits
#: 62 * 4 = 248: bytes below it map evenly onto the alphabet; the rest are dropped.
_TO_BASE62 = bytes(ord(_ALPHABET[b % 62]) for b in range(256))
_REJECTED = bytes(range(248, 256))


def random_base62(length: int) -> str:
    """Base62 text; each character carries log2(62) ~ 5.95 bits.

    Uniform by rejection sampling over one ``token_bytes`` call, mapped with
    ``bytes.translate`` rather than a Python loop per character: a create mints
    six ids and every request one request id, and the loop showed in profiles.
    """
    text = b""
    while len(text) < length:
        text += secrets.token_bytes(length + 8).translate(_TO_BASE62, _REJECTED)
    return text[:length].decode("ascii")


def new_id(prefix: str) -> str:
    """A public object id such as ``cs_4eC39HqLyjWDarjtT1zdp7dc`` (~143 bits)."""
    return f"{prefix}_{random_base62(24)}"


def new_token() -> str:
    """A permalink token: 32 URL-safe bytes = 256 bits, well above the 160 required."""
    return secrets.token_urlsafe(32)
