"""Service refusals in the dashboard's language: an error's ``code`` names a message
in the gettext catalogs (``_`` marks them for ``make locales``).

The services explain a refusal in English (the API's ``message``, with the
numbers involved); the dashboard shows that text to English readers and, in
every other locale, the translated message of the error's code, naming the
field (``param``) where there is one. A code without a message of its own gets
its error class's (invalid value, not found, conflict).
"""

from __future__ import annotations

from collections.abc import Callable

from pydantic import ValidationError

from opencheckout.domain.errors import DomainError


def _(message: str) -> str:
    """Marks ``message`` for the catalogs; translated where it is shown."""
    return message


#: Messages of the codes dashboard actions can meet.
BY_CODE: dict[str, str] = {
    "parameter_invalid": _("A value is not valid."),
    "parameter_missing": _("A required value is missing."),
    "resource_missing": _("There is no such object in this mode."),
    "state_conflict": _("This cannot be done in the object's current state."),
    "processor_unavailable": _("The payment processor could not be reached. Try again later."),
    "processor_not_configured": _("The payment processor is not configured for this mode."),
    "card_declined": _("The payment processor refused the payment."),
    "refund_amount_invalid": _(
        "The refund amount is more than remains to refund, or cannot be refunded exactly."
    ),
    "checkout_not_refundable": _("Only a completed, paid checkout can be refunded."),
    "checkout_not_cancelable": _("Only pending or failed checkouts can be cancelled."),
    "checkout_not_recoverable": _("Only an abandoned checkout can be recovered."),
    "amount_precision_invalid": _("The amount has more decimals than its currency allows."),
    "amount_too_large": _("The amount is too large."),
    "currency_invalid": _("The currency is not valid."),
    "product_exists": _("A product with this SKU already exists."),
    "product_currency_mismatch": _("The currency does not match the product's."),
    "coupon_code_exists": _("Another coupon already has this code."),
    "coupon_duplicate": _("This code is given twice."),
    "customer_email_exists": _("Another customer already has this email address."),
    "address_book_full": _("This customer's address book is full."),
    "order_canceled": _("The order is canceled."),
}

#: The form field a message is about.
FIELD = _("Field: %(param)s")


def text_of(exc: DomainError, locale: str, gettext: Callable[[str], str]) -> str:
    """What to show for a service's refusal ``exc`` in ``locale``."""
    if locale.split("-")[0] == "en":
        return exc.message
    message = BY_CODE.get(exc.code) or BY_CODE.get(type(exc).code) or BY_CODE["parameter_invalid"]
    text = gettext(message)
    if exc.param:
        text = f"{text} {gettext(FIELD) % {'param': exc.param}}"
    return text


def validation_text(exc: ValidationError, locale: str, gettext: Callable[[str], str]) -> str:
    """The first problem of a form the API's input model refused, in ``locale``."""
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "form"
    if locale.split("-")[0] == "en":
        return f"{where}: {first['msg']}"
    message = BY_CODE["parameter_missing" if first["type"] == "missing" else "parameter_invalid"]
    return f"{gettext(message)} {gettext(FIELD) % {'param': where}}"
