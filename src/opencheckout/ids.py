"""Random public identifiers and secrets."""

from __future__ import annotations

import secrets
import string

_ALPHABET = string.ascii_letters + string.digits


def random_base62(length: int) -> str:
    """Base62 text; each character carries log2(62) ~ 5.95 bits.

    Uniform by rejection sampling over one ``token_bytes`` call rather than a
    ``secrets.choice`` (one urandom read) per character: ids and request ids are
    minted on every request, and that loop was a visible part of a create.
    """
    chars: list[str] = []
    while len(chars) < length:
        # 62 * 4 = 248: bytes below it map evenly onto the alphabet.
        chars.extend(_ALPHABET[b % 62] for b in secrets.token_bytes(length + 8) if b < 248)
    return "".join(chars[:length])


def new_id(prefix: str) -> str:
    """A public object id such as ``cs_4eC39HqLyjWDarjtT1zdp7dc`` (~143 bits)."""
    return f"{prefix}_{random_base62(24)}"


def new_token() -> str:
    """A permalink token: 32 URL-safe bytes = 256 bits, well above the 160 required."""
    return secrets.token_urlsafe(32)
