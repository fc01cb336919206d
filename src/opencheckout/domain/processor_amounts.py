"""How each processor writes an amount, per currency, from ISO 4217 minor units.

Sessions hold money in ISO 4217 minor units (:mod:`opencheckout.domain.currency`).
Processors do not all agree with ISO: Stripe writes MGA without decimals (ISO
has two), writes ISK and UGX with two decimals that must be ``00`` (ISO has
none), wants the last of the three decimals of BHD/JOD/KWD/OMR/TND to be 0,
refuses currencies it does not present, and has minimum and maximum charges.
:func:`convert` answers, for one processor, currency and amount, the exact
integer to send or why the amount cannot be charged exactly; nothing here
rounds. Sources: https://docs.stripe.com/currencies (presentment currencies,
zero-decimal currencies, three-decimal currencies, special cases, minimum and
maximum charge amounts). PayPal (:data:`PAYPAL_DECIMALS`): its 24 REST API
currencies, written as decimal strings with the currency's PayPal decimals;
HUF, JPY and TWD take no decimals at PayPal (HUF and TWD have two in ISO, so
a total with a fraction cannot be charged there). Source:
https://developer.paypal.com/reference/currency-codes/ (decimal support per
currency, "in-country PayPal payments only" for BRL/MYR; up to 32 characters
for ``value`` per the Orders v2 ``money`` schema).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from opencheckout.domain.currency import EXPONENTS, exponent, to_major


@dataclass(frozen=True, slots=True)
class Conversion:
    """The processor's amount, or (``amount`` None) the reason it cannot be charged."""

    amount: int | None
    reason: str | None = None

    @property
    def chargeable(self) -> bool:
        return self.amount is not None


#: Stripe's zero-decimal currencies (amount in whole units). UGX is absent on
#: purpose: Stripe lists it zero-decimal but, for backwards compatibility,
#: wants it written with two decimals (see ``STRIPE_TWO_DECIMAL_WHOLE``).
STRIPE_ZERO_DECIMAL = frozenset(
    [
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "JPY",
        "KMF",
        "KRW",
        "MGA",
        "PYG",
        "RWF",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    ]
)
#: Effectively zero-decimal, but written with two decimals that must be 00
#: (5 ISK is ``500``; Stripe refuses amounts not divisible by 100).
STRIPE_TWO_DECIMAL_WHOLE = frozenset({"ISK", "UGX"})
#: Three decimals whose least significant digit must be 0 (5.124 KWD is refused).
STRIPE_THREE_DECIMAL = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})
#: Stripe's presentment currencies (card payments). HUF and TWD are ordinary
#: two-decimal currencies for charges (Stripe's whole-unit rule for them
#: applies to payouts only).
STRIPE_CURRENCIES = frozenset(
    [
        "USD",
        "AED",
        "AFN",
        "ALL",
        "AMD",
        "AOA",
        "ARS",
        "AUD",
        "AWG",
        "AZN",
        "BAM",
        "BBD",
        "BDT",
        "BIF",
        "BMD",
        "BND",
        "BOB",
        "BRL",
        "BSD",
        "BWP",
        "BYN",
        "BZD",
        "CAD",
        "CDF",
        "CHF",
        "CLP",
        "CNY",
        "COP",
        "CRC",
        "CVE",
        "CZK",
        "DJF",
        "DKK",
        "DOP",
        "DZD",
        "EGP",
        "ETB",
        "EUR",
        "FJD",
        "FKP",
        "GBP",
        "GEL",
        "GIP",
        "GMD",
        "GNF",
        "GTQ",
        "GYD",
        "HKD",
        "HNL",
        "HTG",
        "HUF",
        "IDR",
        "ILS",
        "INR",
        "ISK",
        "JMD",
        "JPY",
        "KES",
        "KGS",
        "KHR",
        "KMF",
        "KRW",
        "KYD",
        "KZT",
        "LAK",
        "LBP",
        "LKR",
        "LRD",
        "LSL",
        "MAD",
        "MDL",
        "MGA",
        "MKD",
        "MMK",
        "MNT",
        "MOP",
        "MUR",
        "MVR",
        "MWK",
        "MXN",
        "MYR",
        "MZN",
        "NAD",
        "NGN",
        "NIO",
        "NOK",
        "NPR",
        "NZD",
        "PAB",
        "PEN",
        "PGK",
        "PHP",
        "PKR",
        "PLN",
        "PYG",
        "QAR",
        "RON",
        "RSD",
        "RUB",
        "RWF",
        "SAR",
        "SBD",
        "SCR",
        "SEK",
        "SGD",
        "SHP",
        "SLE",
        "SOS",
        "SRD",
        "SZL",
        "THB",
        "TJS",
        "TOP",
        "TRY",
        "TTD",
        "TWD",
        "TZS",
        "UAH",
        "UGX",
        "UYU",
        "UZS",
        "VND",
        "VUV",
        "WST",
        "XAF",
        "XCD",
        "XCG",
        "XOF",
        "XPF",
        "YER",
        "ZAR",
        "ZMW",
        "BHD",
        "JOD",
        "KWD",
        "OMR",
        "TND",
    ]
)
#: Minimum charge per currency, in major units, as Stripe publishes them.
#: Other currencies' minimum is "the equivalent of USD 0.50", which depends on
#: the day's exchange rate: Stripe itself refuses those, we do not guess.
STRIPE_MINIMUMS: dict[str, Decimal] = {
    code: Decimal(value)
    for code, value in {
        "USD": "0.50",
        "AED": "2.00",
        "AUD": "0.50",
        "BRL": "0.50",
        "CAD": "0.50",
        "CHF": "0.50",
        "CZK": "15.00",
        "DKK": "2.50",
        "EUR": "0.50",
        "GBP": "0.30",
        "HKD": "4.00",
        "HUF": "175.00",
        "INR": "0.50",
        "JPY": "50",
        "MXN": "10",
        "MYR": "2",
        "NOK": "3.00",
        "NZD": "0.50",
        "PLN": "2.00",
        "RON": "2.00",
        "SEK": "3.00",
        "SGD": "0.50",
        "THB": "10",
    }.items()
}
#: Stripe's ``amount`` has at most eight digits (99999999 is USD 999,999.99),
#: twelve for IDR.
STRIPE_MAX_DIGITS = 8
STRIPE_MAX_DIGITS_BY_CURRENCY = {"IDR": 12}


def stripe_exponent(currency: str) -> int | None:
    """The number of decimals Stripe writes ``currency`` with; None if not presented."""
    code = currency.upper()
    if code not in STRIPE_CURRENCIES:
        return None
    if code in STRIPE_ZERO_DECIMAL:
        return 0
    if code in STRIPE_THREE_DECIMAL:
        return 3
    return 2


def _stripe(currency: str, amount: int, *, charge: bool) -> Conversion:
    code = currency.upper()
    stripe_digits = stripe_exponent(code)
    if stripe_digits is None or code not in EXPONENTS:
        return Conversion(None, f"Stripe does not take payments in {code}.")
    shift = stripe_digits - exponent(code)
    if shift >= 0:
        written = amount * 10**shift
    elif amount % 10**-shift:
        return Conversion(
            None,
            f"Stripe charges {code} in whole units; {to_major(amount, code)} {code} "
            "has a fraction.",
        )
    else:
        written = amount // 10**-shift
    if code in STRIPE_TWO_DECIMAL_WHOLE and written % 100:
        return Conversion(None, f"Stripe charges {code} in whole units only.")
    if code in STRIPE_THREE_DECIMAL and written % 10:
        return Conversion(
            None,
            f"Stripe needs the last of {code}'s three decimals to be 0; "
            f"{to_major(amount, code)} {code} is not.",
        )
    minimum = STRIPE_MINIMUMS.get(code)
    if charge and minimum is not None and to_major(amount, code) < minimum:
        return Conversion(None, f"Stripe's minimum charge in {code} is {minimum} {code}.")
    digits = STRIPE_MAX_DIGITS_BY_CURRENCY.get(code, STRIPE_MAX_DIGITS)
    if written >= 10**digits:
        maximum = Decimal(10**digits - 1).scaleb(-stripe_digits)
        return Conversion(None, f"Stripe's maximum charge in {code} is {maximum} {code}.")
    return Conversion(written)


def _test(currency: str, amount: int, *, charge: bool) -> Conversion:
    """The test processor takes every ISO currency in its own minor units."""
    if currency.upper() not in EXPONENTS:
        return Conversion(None, f"The test processor does not know {currency.upper()}.")
    return Conversion(amount)


#: PayPal's REST API currencies and how many decimals PayPal writes each with.
PAYPAL_DECIMALS: dict[str, int] = {
    "AUD": 2,
    "BRL": 2,
    "CAD": 2,
    "CNY": 2,
    "CZK": 2,
    "DKK": 2,
    "EUR": 2,
    "HKD": 2,
    "HUF": 0,
    "ILS": 2,
    "JPY": 0,
    "MYR": 2,
    "MXN": 2,
    "TWD": 0,
    "NZD": 2,
    "NOK": 2,
    "PHP": 2,
    "PLN": 2,
    "GBP": 2,
    "SGD": 2,
    "SEK": 2,
    "CHF": 2,
    "THB": 2,
    "USD": 2,
}
#: The Orders v2 ``money.value`` is at most 32 characters.
PAYPAL_VALUE_MAX_LENGTH = 32


def _paypal(currency: str, amount: int, *, charge: bool) -> Conversion:
    """``amount`` in PayPal's units of ``currency`` (``paypal_value`` writes it)."""
    code = currency.upper()
    digits = PAYPAL_DECIMALS.get(code)
    if digits is None or code not in EXPONENTS:
        return Conversion(None, f"PayPal does not take payments in {code}.")
    shift = digits - exponent(code)
    if shift >= 0:
        written = amount * 10**shift
    elif amount % 10**-shift:
        return Conversion(
            None,
            f"PayPal charges {code} in whole units; {to_major(amount, code)} {code} "
            "has a fraction.",
        )
    else:
        written = amount // 10**-shift
    if len(paypal_value(code, written)) > PAYPAL_VALUE_MAX_LENGTH:
        return Conversion(None, f"The amount is too large for PayPal in {code}.")
    return Conversion(written)


def paypal_value(currency: str, written: int) -> str:
    """A PayPal amount (from :func:`convert`) as its decimal string: ``"10.50"``, ``"1050"``."""
    digits = PAYPAL_DECIMALS[currency.upper()]
    if digits == 0:
        return str(written)
    sign = "-" if written < 0 else ""
    whole, fraction = divmod(abs(written), 10**digits)
    return f"{sign}{whole}.{fraction:0{digits}d}"


def paypal_amount(value: str, currency: str) -> int:
    """PayPal's decimal string back in ISO minor units (exact; raises ValueError)."""
    units = Decimal(value).scaleb(exponent(currency))
    if units != units.to_integral_value():
        raise ValueError(f"{value} {currency.upper()} is not a whole number of minor units.")
    return int(units)


_RULES: dict[str, Callable[..., Conversion]] = {
    "stripe": _stripe,
    "test": _test,
    "paypal": _paypal,
}


def convert(processor: str, currency: str, amount: int, *, charge: bool = True) -> Conversion:
    """``amount`` (ISO minor units, > 0) as ``processor`` writes it, or why it cannot.

    ``charge`` False is for a refund: the minimum charge does not apply.
    A zero total is never sent to a processor (see ``no_payment_required``).
    """
    rule = _RULES.get(processor)
    if rule is None:
        # An unknown processor states no rules: charge in ISO units, as before.
        return Conversion(amount)
    if amount <= 0:
        return Conversion(None, "Only a positive amount can be charged.")
    return rule(currency, amount, charge=charge)


def from_processor(processor: str, currency: str, amount: int) -> int:
    """The inverse of :func:`convert`: a processor's amount back in ISO minor units."""
    if processor == "paypal":
        shift = PAYPAL_DECIMALS.get(currency.upper(), exponent(currency)) - exponent(currency)
        return int(amount // 10**shift) if shift >= 0 else int(amount * 10**-shift)
    if processor != "stripe":
        return amount
    digits = stripe_exponent(currency)
    shift = (digits if digits is not None else exponent(currency)) - exponent(currency)
    return int(amount // 10**shift) if shift >= 0 else int(amount * 10**-shift)
