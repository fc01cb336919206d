"""What still blocks a session from being paid."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: Billing address fields a buyer must give when collection is ``required``.
REQUIRED_BILLING_FIELDS = ("line1", "city", "postal_code", "country")


def missing_fields(
    customer: Mapping[str, Any],
    billing_details_collection: str,
    *,
    shipping_selection_required: bool = False,
) -> list[str]:
    """Dotted paths of the fields the buyer still has to supply, in display order.

    ``shipping_selection_required`` is true when the session offers shipping
    options and none is selected yet: the total is not known until one is.
    """
    missing: list[str] = []
    if not customer.get("email"):
        missing.append("customer.email")
    if billing_details_collection == "required":
        address = customer.get("billing_address") or {}
        missing.extend(
            f"customer.billing_address.{name}"
            for name in REQUIRED_BILLING_FIELDS
            if not address.get(name)
        )
    if shipping_selection_required:
        missing.append("selected_shipping_option")
    return missing
