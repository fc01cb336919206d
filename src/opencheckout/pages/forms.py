"""Reading and checking what the buyer submitted on the hosted page.

Errors are message ids (English source strings) keyed by form field; the
template translates them. Card data is validated here and passed to the
processor, never stored or echoed back into a page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from email_validator import EmailNotValidError, validate_email

from opencheckout.domain.countries import COUNTRIES
from opencheckout.processors.test import luhn_valid, normalize_card_number

MAX_TEXT = 200
MAX_POSTAL = 32
MAX_CODE = 100

#: Message ids; ``_`` marks them for extraction, the template translates them.


def _(message: str) -> str:
    return message


REQUIRED = _("This field is required.")
TOO_LONG = _("This is too long.")
EMAIL_INVALID = _("Enter a valid email address.")
COUNTRY_INVALID = _("Choose a country from the list.")
CARD_NUMBER_INVALID = _("Enter a valid card number.")
CARD_EXPIRY_INVALID = _("Enter a valid expiry date as MM/YY.")
CARD_CVC_INVALID = _("Enter the 3 or 4 digit security code.")
METHOD_INVALID = _("Choose a payment method.")
SHIPPING_INVALID = _("Choose a shipping option.")
ADDRESS_CHOICE_INVALID = _("Choose where to ship your order.")
SHIPPING_DROPPED = _(
    "The shipping option you chose is not available for this address. Please choose another."
)

CUSTOMER_FIELDS = ("email", "first_name", "last_name")
ADDRESS_FIELDS = ("line1", "line2", "city", "postal_code", "state", "country")
REQUIRED_ADDRESS_FIELDS = ("line1", "city", "postal_code", "country")
#: The shipping address fields: ``shipping_line1`` ... ``shipping_country``.
SHIPPING_PREFIX = "shipping_"
SHIPPING_FIELDS = tuple(f"{SHIPPING_PREFIX}{name}" for name in ADDRESS_FIELDS)
#: ``ship_to``: where the order goes, one of these or a saved address's ``addr_…`` id.
SHIP_TO_BILLING = "billing"
SHIP_TO_NEW = "new"


@dataclass(slots=True)
class Submission:
    """One POST of the checkout form, as typed (trimmed) plus what it asks for."""

    values: dict[str, str]
    action: str
    code: str
    remove_coupon: str | None
    errors: dict[str, str] = field(default_factory=dict)
    #: Said next to the shipping options even when field errors are not shown.
    notice: str | None = None


def _text(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def read_submission(form: Mapping[str, Any]) -> Submission:
    names = (
        *CUSTOMER_FIELDS,
        *ADDRESS_FIELDS,
        *SHIPPING_FIELDS,
        "method",
        "shipping_option",
        "ship_to",
    )
    values = {name: _text(form, name) for name in names}
    values["country"] = values["country"].upper()
    values["shipping_country"] = values["shipping_country"].upper()
    remove = _text(form, "remove_discount") or None
    action = _text(form, "action") or "pay"
    code = _text(form, "code")
    if remove is not None:
        action = "remove_discount"
    elif action == "apply_code" and not code:
        # Enter pressed in any field submits with the form's first button (Apply):
        # with no code typed the buyer meant to pay.
        action = "pay"
    elif action not in ("pay", "apply_code", "update"):
        action = "pay"
    return Submission(values=values, action=action, code=code[:MAX_CODE], remove_coupon=remove)


def expected_amount(form: Mapping[str, Any]) -> int | None:
    """The total the page showed (its hidden ``expected_amount``), if well-formed."""
    raw = _text(form, "expected_amount")
    return int(raw) if raw.isdigit() and len(raw) <= 16 else None


def check_details(submission: Submission, *, billing_required: bool) -> None:
    """Field errors for the buyer's details (all required for payment)."""
    values, errors = submission.values, submission.errors
    for name in ("email", "first_name", "last_name"):
        if not values[name]:
            errors[name] = REQUIRED
        elif len(values[name]) > MAX_TEXT:
            errors[name] = TOO_LONG
    if values["email"] and "email" not in errors:
        try:
            values["email"] = validate_email(values["email"], check_deliverability=False).normalized
        except EmailNotValidError:
            errors["email"] = EMAIL_INVALID
    if billing_required:
        _check_address(values, errors, "")


def _check_address(values: dict[str, str], errors: dict[str, str], prefix: str) -> None:
    for name in ADDRESS_FIELDS:
        limit = MAX_POSTAL if name == "postal_code" else MAX_TEXT
        key = f"{prefix}{name}"
        if name in REQUIRED_ADDRESS_FIELDS and not values[key]:
            errors[key] = REQUIRED
        elif len(values[key]) > limit:
            errors[key] = TOO_LONG
    if values[f"{prefix}country"] and values[f"{prefix}country"] not in COUNTRIES:
        errors[f"{prefix}country"] = COUNTRY_INVALID


def _savable(errors: Mapping[str, str], prefix: str) -> bool:
    """An address is saved unless a field is malformed (a missing one is saved as
    missing, so a country chosen first already prices shipping)."""
    return not any(errors.get(f"{prefix}{name}") not in (None, REQUIRED) for name in ADDRESS_FIELDS)


def check_shipping(submission: Submission, choices: Mapping[str, Any]) -> None:
    """Field errors for where to ship; ``choices``: the ``ship_to`` values offered."""
    values, errors = submission.values, submission.errors
    ship_to = values["ship_to"]
    if not ship_to:
        return  # an older page (or a client) that does not post the choice: no change
    if ship_to not in choices:
        errors["ship_to"] = ADDRESS_CHOICE_INVALID
    elif ship_to == SHIP_TO_NEW:
        _check_address(values, errors, SHIPPING_PREFIX)


def shipping_changes(
    submission: Submission, customer: Mapping[str, Any], choices: Mapping[str, Any]
) -> dict[str, Any]:
    """The ``customer.shipping_address`` change the buyer's choice asks for, if any."""
    values, errors = submission.values, submission.errors
    ship_to = values["ship_to"]
    current = customer.get("shipping_address")
    address: dict[str, Any] | None
    if not ship_to or ship_to not in choices:
        return {}
    if ship_to == SHIP_TO_BILLING:
        address = None
    elif ship_to == SHIP_TO_NEW:
        if not _savable(errors, SHIPPING_PREFIX):
            return {}
        address = {name: values[f"{SHIPPING_PREFIX}{name}"] or None for name in ADDRESS_FIELDS}
        if not any(address.values()):
            return {}
    else:
        saved = choices[ship_to]
        address = {name: saved.get(name) or None for name in ADDRESS_FIELDS}
    if address == (
        {name: current.get(name) for name in ADDRESS_FIELDS} if current is not None else None
    ):
        return {}
    return {"shipping_address": address}


def customer_changes(
    submission: Submission, customer: Mapping[str, Any], *, billing_required: bool
) -> dict[str, Any]:
    """The ``customer`` fields to send to ``update``: only valid ones that changed."""
    values, errors = submission.values, submission.errors
    changes: dict[str, Any] = {}
    for name in CUSTOMER_FIELDS:
        if name not in errors and values[name] and values[name] != (customer.get(name) or ""):
            changes[name] = values[name]
    if billing_required and _savable(errors, ""):
        current = customer.get("billing_address") or {}
        address = {name: values[name] or None for name in ADDRESS_FIELDS}
        if any(address[name] != current.get(name) for name in ADDRESS_FIELDS) and any(
            address.values()
        ):
            changes["billing_address"] = address
    return changes


def card_details(form: Mapping[str, Any], submission: Submission, now: datetime) -> dict[str, Any]:
    """Check the card fields; the processor's ``details`` when they are well-formed."""
    errors = submission.errors
    number = normalize_card_number(_text(form, "card_number"))
    if not luhn_valid(number):
        errors["card_number"] = CARD_NUMBER_INVALID
    month, year = _expiry(_text(form, "card_exp"))
    if month is None or year is None or (year, month) < (now.year, now.month):
        errors["card_exp"] = CARD_EXPIRY_INVALID
    cvc = _text(form, "card_cvc")
    if not (cvc.isdigit() and 3 <= len(cvc) <= 4):
        errors["card_cvc"] = CARD_CVC_INVALID
    return {"card_number": number, "exp_month": month, "exp_year": year, "cvc": cvc}


def _expiry(raw: str) -> tuple[int | None, int | None]:
    """``MM/YY``, ``MM / YY``, ``MM/YYYY`` or ``MMYY`` -> (month, four-digit year)."""
    compact = raw.replace(" ", "")
    if len(compact) > len("MM/YYYY") or not compact.isascii():
        # Bounded by its text before int(): "²" is a digit to isdigit() but not to int().
        return None, None
    month_text, _slash, year_text = compact.partition("/")
    if not _slash and len(compact) == 4:
        month_text, year_text = compact[:2], compact[2:]
    if not (month_text.isdigit() and year_text.isdigit()):
        return None, None
    month, year = int(month_text), int(year_text)
    if len(year_text) == 2:
        year += 2000
    elif len(year_text) != 4:
        return None, None
    if not 1 <= month <= 12 or year > 2200:
        return None, None
    return month, year
