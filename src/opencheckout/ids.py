"""Random public identifiers and secrets."""

from __future__ import annotations

import secrets
import string

_ALPHABET = string.ascii_letters + string.digits


def random_base62(length: int) -> str:
    """Base62 text; each character carries log2(62) ~ 5.95 bits."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def new_id(prefix: str) -> str:
    """A public object id such as ``cs_4eC39HqLyjWDarjtT1zdp7dc`` (~143 bits)."""
    return f"{prefix}_{random_base62(24)}"


def new_token() -> str:
    """A permalink token: 32 URL-safe bytes = 256 bits, well above the 160 required."""
    return secrets.token_urlsafe(32)
