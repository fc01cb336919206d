"""The built-in test processor: deterministic outcomes chosen by card number.

Card numbers follow Stripe's test-card conventions so integrations written
against either behave alike. Any number that passes the Luhn check but is not
listed is refused, as a real test environment refuses real cards.

Two cards answer ``processing`` and settle ``settle_seconds`` later, like a
bank transfer or a 3-D Secure step would: 4000 0000 0000 3220 succeeds and
4000 0084 0000 1629 is declined. A simulated processor keeps no state of its
own, so the eventual outcome and the time it is due are written into the
payment id (``pay_test_later_ok_<due ms>_<random>``): the worker settles such
payments from the database alone, across restarts.

Like a remote processor, it remembers each payment by its idempotency key in a
ledger (a table when the app builds it, see :mod:`opencheckout.processors.ledger`):
a repeated key answers the first outcome, and reconciliation can ask it.

4000 0000 0000 0259 *blocks*: its authorization sleeps :data:`BLOCK_SECONDS`
before answering (and recording) anything, standing in for a processor call
cut off by a crash. Killing the server while it blocks leaves an attempt that
the worker must reconcile: the ledger has nothing for it, so nothing was
charged, and :meth:`TestProcessor.void` records it voided so the blocked call,
should it ever wake, is refused too. 4000 0000 0000 0267 charges first (the
ledger records the success) and then blocks: reconciliation finds the payment
and completes the session.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from opencheckout.ids import random_base62
from opencheckout.processors.base import (
    AttemptRef,
    Outcome,
    PaymentRequest,
    PaymentResult,
    RefundResult,
)

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


#: Cards that go ``processing`` first: number -> (eventual outcome, decline code, message).
LATER_CARDS: dict[str, tuple[Outcome, str | None, str | None]] = {
    "4000000000003220": (Outcome.SUCCEEDED, None, None),
    "4000008400001629": (Outcome.DECLINED, "card_declined", "Your card was declined."),
}
LATER_PREFIX = "pay_test_later_"

#: Authorization blocks (see the module docstring); it succeeds if it ever wakes.
BLOCKING_CARD = "4000000000000259"
#: Charges (recorded in the ledger) and only then blocks: the answer is lost, not the money.
CHARGED_BLOCKING_CARD = "4000000000000267"
BLOCK_SECONDS = 3600.0
#: The ledger's outcome for a key that reconciliation voided before any answer.
VOIDED = "voided"
VOIDED_RESULT = ("payment_voided", "The payment was interrupted; nothing was charged.")
_LATER_TAGS = {Outcome.SUCCEEDED: "ok", Outcome.DECLINED: "no"}


def normalize_card_number(raw: str) -> str:
    return "".join(ch for ch in raw if ch not in " -")


def luhn_valid(number: str) -> bool:
    if not (number.isascii() and number.isdigit()) or not 12 <= len(number) <= 19:
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
    return (
        number in SUCCEEDING_CARDS
        or number in DECLINING_CARDS
        or number in LATER_CARDS
        or number in (BLOCKING_CARD, CHARGED_BLOCKING_CARD)
    )


@dataclass(frozen=True, slots=True)
class LedgerRecord:
    """One payment the test processor made (or voided), by idempotency key."""

    idempotency_key: str
    #: An :class:`Outcome` value, or :data:`VOIDED`.
    outcome: str
    processor_id: str
    amount: int
    currency: str
    decline_code: str | None = None
    message: str | None = None


class Ledger(Protocol):
    async def add(self, record: LedgerRecord) -> LedgerRecord:
        """Store ``record`` unless its key has one; return the stored one."""
        ...

    async def get(self, idempotency_key: str) -> LedgerRecord | None: ...


class MemoryLedger:
    """A process-local ledger (unit tests, and contexts built without a database)."""

    def __init__(self) -> None:
        self._records: dict[str, LedgerRecord] = {}

    async def add(self, record: LedgerRecord) -> LedgerRecord:
        return self._records.setdefault(record.idempotency_key, record)

    async def get(self, idempotency_key: str) -> LedgerRecord | None:
        return self._records.get(idempotency_key)


@dataclass(frozen=True, slots=True)
class LaterPayment:
    """What a delayed test payment's id says about it."""

    outcome: Outcome
    due_at: datetime
    decline_code: str | None = None
    message: str | None = None


def parse_later(processor_id: str) -> LaterPayment | None:
    """The eventual outcome and due time of a delayed payment id, else None."""
    if not processor_id.startswith(LATER_PREFIX):
        return None
    parts = processor_id.removeprefix(LATER_PREFIX).split("_")
    if len(parts) != 3 or not parts[1].isdigit():
        return None
    tag, due_ms = parts[0], parts[1]
    due_at = datetime.fromtimestamp(int(due_ms) / 1000, UTC)
    if tag == _LATER_TAGS[Outcome.SUCCEEDED]:
        return LaterPayment(Outcome.SUCCEEDED, due_at)
    if tag == _LATER_TAGS[Outcome.DECLINED]:
        _outcome, code, message = LATER_CARDS["4000008400001629"]
        return LaterPayment(Outcome.DECLINED, due_at, code, message)
    return None


def _utc_now() -> datetime:
    return datetime.now(UTC)


class TestProcessor:
    """Settles immediately, or later for the ``LATER_CARDS``; never in live mode."""

    name = "test"
    supports_livemode = False
    #: Its answers are final when given (the delayed cards have their own pass).
    polls = False

    def __init__(
        self,
        *,
        settle_seconds: float = 3.0,
        clock: Callable[[], datetime] = _utc_now,
        ledger: Ledger | None = None,
    ) -> None:
        self.settle_seconds = settle_seconds
        self.clock = clock
        self.ledger: Ledger = ledger if ledger is not None else MemoryLedger()

    async def retrieve(self, processor_id: str) -> PaymentResult:
        later = parse_later(processor_id)
        if later is None:
            # Immediate payments were final when authorized; only successes are looked up.
            return PaymentResult(outcome=Outcome.SUCCEEDED, processor_id=processor_id)
        if later.due_at > self.clock():
            return PaymentResult(outcome=Outcome.PROCESSING, processor_id=processor_id)
        return PaymentResult(
            outcome=later.outcome,
            processor_id=processor_id,
            decline_code=later.decline_code,
            message=later.message,
        )

    async def refund(
        self, processor_id: str, amount: int | None = None, *, currency: str | None = None
    ) -> RefundResult:
        return RefundResult(succeeded=True, refund_id="re_test_" + random_base62(20))

    async def retrieve_refund(self, refund_id: str) -> RefundResult:
        # Its refunds succeed when made: nothing of it is ever pending.
        return RefundResult(succeeded=True, refund_id=refund_id)

    async def authorize(self, request: PaymentRequest) -> PaymentResult:
        key = request.idempotency_key
        number = normalize_card_number(str(request.details.get("card_number", "")))
        blocks = request.method == "card" and number in (BLOCKING_CARD, CHARGED_BLOCKING_CARD)
        if key and blocks:
            # A key already answered (or voided) answers at once, without blocking.
            known = await self.ledger.get(key)
            if known is not None:
                return await self._result_of(known)
        if request.method == "card" and number == BLOCKING_CARD:
            await asyncio.sleep(BLOCK_SECONDS)
        result = self._decide(request)
        if not key:
            return result
        # The ledger keeps a key's first answer: a key it knows gets that one back.
        stored = await self._record(key, request, result)
        if request.method == "card" and number == CHARGED_BLOCKING_CARD:
            await asyncio.sleep(BLOCK_SECONDS)
        return stored

    async def _record(
        self, key: str, request: PaymentRequest, result: PaymentResult
    ) -> PaymentResult:
        record = LedgerRecord(
            idempotency_key=key,
            outcome=result.outcome.value,
            processor_id=result.processor_id,
            amount=request.amount,
            currency=request.currency,
            decline_code=result.decline_code,
            message=result.message,
        )
        return await self._result_of(await self.ledger.add(record))

    async def find(self, attempt: AttemptRef) -> PaymentResult | None:
        record = await self.ledger.get(attempt.idempotency_key)
        if record is None or record.outcome == VOIDED:
            return None
        return await self._result_of(record)

    async def void(self, attempt: AttemptRef) -> PaymentResult | None:
        voided = LedgerRecord(
            idempotency_key=attempt.idempotency_key,
            outcome=VOIDED,
            processor_id="",
            amount=attempt.amount,
            currency=attempt.currency,
        )
        record = await self.ledger.add(voided)
        return None if record.outcome == VOIDED else await self._result_of(record)

    async def _result_of(self, record: LedgerRecord) -> PaymentResult:
        if record.outcome == VOIDED:
            code, message = VOIDED_RESULT
            return PaymentResult(Outcome.DECLINED, record.processor_id, code, message)
        if record.outcome == Outcome.PROCESSING.value:
            return await self.retrieve(record.processor_id)
        return PaymentResult(
            Outcome(record.outcome), record.processor_id, record.decline_code, record.message
        )

    def _decide(self, request: PaymentRequest) -> PaymentResult:
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
        if number in LATER_CARDS:
            outcome = LATER_CARDS[number][0]
            due = self.clock() + timedelta(seconds=self.settle_seconds)
            due_ms = int(due.timestamp() * 1000)
            later_id = f"{LATER_PREFIX}{_LATER_TAGS[outcome]}_{due_ms}_{random_base62(16)}"
            return PaymentResult(outcome=Outcome.PROCESSING, processor_id=later_id)
        return PaymentResult(outcome=Outcome.SUCCEEDED, processor_id=payment_id)
