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

CUSTOMER_FIELDS = ("email", "first_name", "last_name")
ADDRESS_FIELDS = ("line1", "line2", "city", "postal_code", "state", "country")
REQUIRED_ADDRESS_FIELDS = ("line1", "city", "postal_code", "country")


@dataclass(slots=True)
class Submission:
    """One POST of the checkout form, as typed (trimmed) plus what it asks for."""

    values: dict[str, str]
    action: str
    code: str
    remove_coupon: str | None
    errors: dict[str, str] = field(default_factory=dict)


def _text(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def read_submission(form: Mapping[str, Any]) -> Submission:
    names = (*CUSTOMER_FIELDS, *ADDRESS_FIELDS, "method", "shipping_option")
    values = {name: _text(form, name) for name in names}
    values["country"] = values["country"].upper()
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
        for name in ADDRESS_FIELDS:
            limit = MAX_POSTAL if name == "postal_code" else MAX_TEXT
            if name in REQUIRED_ADDRESS_FIELDS and not values[name]:
                errors[name] = REQUIRED
            elif len(values[name]) > limit:
                errors[name] = TOO_LONG
        if values["country"] and values["country"] not in COUNTRIES:
            errors["country"] = COUNTRY_INVALID


def customer_changes(
    submission: Submission, customer: Mapping[str, Any], *, billing_required: bool
) -> dict[str, Any]:
    """The ``customer`` fields to send to ``update``: only valid ones that changed."""
    values, errors = submission.values, submission.errors
    changes: dict[str, Any] = {}
    for name in CUSTOMER_FIELDS:
        if name not in errors and values[name] and values[name] != (customer.get(name) or ""):
            changes[name] = values[name]
    if billing_required and not any(name in errors for name in ADDRESS_FIELDS):
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
