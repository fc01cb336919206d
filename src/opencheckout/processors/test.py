"""The built-in test processor: deterministic outcomes chosen by card number.

Card numbers follow Stripe's test-card conventions so integrations written
against either behave alike. Any number that passes the Luhn check but is not
listed is refused, as a real test environment refuses real cards.
"""

from __future__ import annotations

from opencheckout.ids import random_base62
from opencheckout.processors.base import Outcome, PaymentRequest, PaymentResult

SUCCEEDING_CARDS = frozenset(
    {
        "4242424242424242",  # Visa
        "4000056655665556",  # Visa debit
        "5555555555554444",  # Mastercard
        "378282246310005",  # American Express
    }
)
DECLINING_CARDS: dict[str, tuple[str, str]] = {
    "4000000000000002": ("card_declined", "Your card was declined."),
    "4000000000009995": ("insufficient_funds", "Your card has insufficient funds."),
    "4000000000000069": ("expired_card", "Your card has expired."),
}


def normalize_card_number(raw: str) -> str:
    return "".join(ch for ch in raw if ch not in " -")


def luhn_valid(number: str) -> bool:
    if not number.isdigit() or not 12 <= len(number) <= 19:
        return False
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char)
        if index % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def is_test_card(number: str) -> bool:
    return number in SUCCEEDING_CARDS or number in DECLINING_CARDS


class TestProcessor:
    """Settles immediately; never available in live mode."""

    name = "test"
    supports_livemode = False

    async def authorize(self, request: PaymentRequest) -> PaymentResult:
        payment_id = "pay_test_" + random_base62(20)
        if request.method == "paypal":
            # A simulated buyer approval: PayPal in test mode always approves.
            return PaymentResult(outcome=Outcome.SUCCEEDED, processor_id=payment_id)
        number = normalize_card_number(str(request.details.get("card_number", "")))
        if not luhn_valid(number):
            return PaymentResult(
                outcome=Outcome.DECLINED,
                processor_id=payment_id,
                decline_code="incorrect_number",
                message="Your card number is incorrect.",
            )
        if not is_test_card(number):
            return PaymentResult(
                outcome=Outcome.DECLINED,
                processor_id=payment_id,
                decline_code="test_mode_live_card",
                message="Your card was declined: test mode accepts test card numbers only.",
            )
        if number in DECLINING_CARDS:
            code, message = DECLINING_CARDS[number]
            return PaymentResult(
                outcome=Outcome.DECLINED,
                processor_id=payment_id,
                decline_code=code,
                message=message,
            )
        return PaymentResult(outcome=Outcome.SUCCEEDED, processor_id=payment_id)
