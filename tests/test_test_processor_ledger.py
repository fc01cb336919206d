"""The test processor's database ledger on both engines: a key keeps its first answer
(repeated, raced by many at once, or voided before the payment), and ``get`` finds it."""

from __future__ import annotations

import asyncio
import uuid

from opencheckout.processors import test as test_processor
from opencheckout.processors.base import Outcome, PaymentRequest
from opencheckout.processors.ledger import DatabaseLedger
from opencheckout.processors.test import VOIDED, LedgerRecord
from opencheckout.store.db import Database
from tests.conftest import Server


def _record(key: str, outcome: str, processor_id: str, **extra: object) -> LedgerRecord:
    return LedgerRecord(
        idempotency_key=key,
        outcome=outcome,
        processor_id=processor_id,
        amount=1234,
        currency="eur",
        **extra,  # type: ignore[arg-type]
    )


def _request(key: str, card: str) -> PaymentRequest:
    return PaymentRequest(
        checkout_id="cs_ledger",
        amount=1234,
        currency="eur",
        method="card",
        details={"card_number": card},
        custom={},
        idempotency_key=key,
    )


def test_a_key_keeps_its_first_entry(server: Server) -> None:
    async def run() -> None:
        db = Database(server.database_url)
        try:
            ledger = DatabaseLedger(db)
            key = f"k-{uuid.uuid4().hex}"
            assert await ledger.get(key) is None
            first = _record(key, "declined", "pay_1", decline_code="card_declined", message="No.")
            assert await ledger.add(first) == first
            assert await ledger.add(_record(key, "succeeded", "pay_2")) == first
            assert await ledger.get(key) == first
            # Many at once on a new key: every one of them gets the one stored.
            raced = f"k-{uuid.uuid4().hex}"
            answers = await asyncio.gather(
                *(ledger.add(_record(raced, "succeeded", f"pay_{n}")) for n in range(12))
            )
            assert len(set(answers)) == 1
            assert await ledger.get(raced) == answers[0]
        finally:
            await db.dispose()

    asyncio.run(run())


def test_authorize_answers_a_known_key_with_its_first_outcome(server: Server) -> None:
    async def run() -> None:
        db = Database(server.database_url)
        try:
            processor = test_processor.TestProcessor(ledger=DatabaseLedger(db))
            key = f"k-{uuid.uuid4().hex}"
            paid = await processor.authorize(_request(key, "4242424242424242"))
            assert paid.outcome is Outcome.SUCCEEDED
            # The same key with a declining card: the first answer, not a new one.
            again = await processor.authorize(_request(key, "4000000000000002"))
            assert (again.outcome, again.processor_id) == (Outcome.SUCCEEDED, paid.processor_id)
            # A blocking card's key voided first answers at once (voided), without blocking.
            voided = f"k-{uuid.uuid4().hex}"
            await processor.ledger.add(_record(voided, VOIDED, ""))
            async with asyncio.timeout(10):
                late = await processor.authorize(_request(voided, "4000000000000259"))
            assert (late.outcome, late.decline_code) == (Outcome.DECLINED, "payment_voided")
        finally:
            await db.dispose()

    asyncio.run(run())
