"""ACP requests (2026-04-17 shapes) -> native create/update parameters.

Mapping decisions:

* ``buyer`` -> ``customer`` (email, first/last name, phone, ``customer_id`` ->
  ``customer.id``, ``company.name``/``tax_id``); a lone ``full_name`` is split
  at its last space.
* ``fulfillment_details.address`` -> ``customer.shipping_address`` (where the
  order ships, which decides the rates offered), and ``customer.billing_address``
  too unless the session has a billing address of its own: ACP asks for one
  postal address. Answers show the shipping address (else the billing address).
  Contact email and phone fill the customer's when the buyer gave none.
* ``discounts.codes`` (and the deprecated ``coupons``) -> native
  ``discounts`` by code; a code the native rules refuse is reported in
  ``discounts.rejected`` and as a warning message instead of failing the request.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from opencheckout.api.compat.acp_schemas import Address, Buyer, FulfillmentDetails, LineItemIn

LOCALES = frozenset({"ca", "de", "en", "es", "fi", "fr", "hu", "it", "nb", "nl", "no", "sv"})


def _blank(value: str | None) -> str | None:
    return value if value else None


def native_locale(locale: str | None) -> str:
    """``en-US`` -> ``en``; a language the hosted page does not speak -> ``auto``."""
    if not locale:
        return "auto"
    language = locale.replace("_", "-").split("-")[0].lower()
    return language if language in LOCALES else "auto"


def native_metadata(metadata: dict[str, Any] | None) -> dict[str, str]:
    """ACP metadata is any JSON; native metadata values are strings."""
    out: dict[str, str] = {}
    for key, value in (metadata or {}).items():
        if value is None:
            continue
        out[str(key)] = value if isinstance(value, str) else orjson.dumps(value).decode()
    return out


def native_address(address: Address) -> dict[str, Any]:
    return {
        "line1": address.line_one,
        "line2": _blank(address.line_two),
        "city": address.city,
        "postal_code": address.postal_code,
        "state": _blank(address.state),
        "country": address.country,
    }


def _billing_follows_fulfillment(current: dict[str, Any]) -> bool:
    """The billing address is the fulfillment address too unless the session has a
    billing address of its own (set apart from its shipping address)."""
    billing, shipping = current.get("billing_address"), current.get("shipping_address")
    return not billing or not shipping or billing == shipping


def native_customer(
    buyer: Buyer | None, details: FulfillmentDetails | None, current: dict[str, Any] | None
) -> dict[str, Any] | None:
    """The native customer fields an ACP request sets (None: it sets none)."""
    current = current or {}
    out: dict[str, Any] = {}
    if buyer is not None:
        out["email"] = buyer.email
        first, last = buyer.first_name, buyer.last_name
        if first is None and last is None and buyer.full_name:
            head, _, tail = buyer.full_name.strip().rpartition(" ")
            first, last = (head, tail) if head else (tail, None)
        if first is not None:
            out["first_name"] = first
        if last is not None:
            out["last_name"] = last
        if buyer.phone_number is not None:
            out["phone"] = buyer.phone_number
        if buyer.customer_id is not None:
            out["id"] = buyer.customer_id
        if buyer.company is not None:
            out["company"] = buyer.company.name
            if buyer.company.tax_id is not None:
                out["tax_id"] = buyer.company.tax_id
    if details is not None:
        if details.address is not None:
            address = native_address(details.address)
            out["shipping_address"] = address
            if _billing_follows_fulfillment(current):
                out["billing_address"] = address
        if details.email and "email" not in out and not current.get("email"):
            out["email"] = details.email
        if details.phone_number and "phone" not in out and not current.get("phone"):
            out["phone"] = details.phone_number
    return out or None


def fulfillment_extras(details: FulfillmentDetails) -> dict[str, Any]:
    """The parts of ``fulfillment_details`` with no native field."""
    extras: dict[str, Any] = {}
    if details.name is not None:
        extras["name"] = details.name
    if details.address is not None:
        extras["address_name"] = details.address.name
        extras["address_company"] = details.address.company
    return extras


def native_lines(entries: Sequence[LineItemIn]) -> list[dict[str, Any]]:
    """Lines by catalog SKU: the catalog supplies name, price and tax rates."""
    return [{"product": entry.item_id, "quantity": entry.quantity} for entry in entries]


def discount_codes(codes: Sequence[str] | None, coupons: Sequence[str] | None) -> list[str] | None:
    """``discounts.codes`` wins over the deprecated ``coupons``; duplicates collapse."""
    chosen = codes if codes is not None else coupons
    return None if chosen is None else list(dict.fromkeys(chosen))


#: Native coupon refusals -> the spec's ``DiscountErrorCode``.
REJECTION_REASONS = {
    "coupon_expired": "discount_code_expired",
    "coupon_exhausted": "discount_code_usage_limit_reached",
    "coupon_duplicate": "discount_code_already_applied",
    "discounts_limit_reached": "discount_code_combination_disallowed",
}


def rejection(code: str, native_code: str, message: str) -> dict[str, str]:
    return {
        "code": code,
        "reason": REJECTION_REASONS.get(native_code, "discount_code_invalid"),
        "message": message,
    }
