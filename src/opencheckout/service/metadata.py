"""Merchant metadata: free-form string pairs on every resource."""

from __future__ import annotations

from typing import Any


def merge_metadata(current: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """Stripe-style partial update: given keys replace, ``None`` (or "") removes."""
    merged = dict(current)
    for key, value in changes.items():
        if value is None or value == "":
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged
