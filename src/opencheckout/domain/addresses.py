"""Postal addresses as saved in a customer's address book (pure functions)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

#: The content of a saved address, in the order it is hashed.
ADDRESS_BOOK_FIELDS = ("name", "line1", "line2", "city", "state", "postal_code", "country")


@dataclass(frozen=True, slots=True)
class AddressContent:
    name: str | None = None
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None

    @classmethod
    def of(cls, raw: Mapping[str, object]) -> AddressContent:
        """From a mapping with (some of) the fields; blank text counts as absent."""
        values: dict[str, str | None] = {}
        for name in ADDRESS_BOOK_FIELDS:
            value = raw.get(name)
            text = " ".join(str(value).split()) if isinstance(value, str) else None
            values[name] = text or None
        if values["country"]:
            values["country"] = values["country"].upper()
        return cls(**values)

    def is_empty(self) -> bool:
        return all(getattr(self, name) is None for name in ADDRESS_BOOK_FIELDS)


def fingerprint(address: AddressContent) -> str:
    """Equal for addresses that differ only in case or spacing ("equal in content").

    The ``name`` is a label, not where the parcel goes: a session's address
    (which has no name) equal to a named saved one is that saved one.
    """
    canonical = "\x1f".join(
        (getattr(address, name) or "").casefold() for name in ADDRESS_BOOK_FIELDS[1:]
    )
    return hashlib.sha256(canonical.encode()).hexdigest()
