"""The test processor's ledger in the database, so it survives restarts and is
shared by every process (the server that took a payment and the worker that
reconciles it)."""

from __future__ import annotations

from datetime import UTC, datetime

from opencheckout.processors.test import LedgerRecord
from opencheckout.store import attempts as store
from opencheckout.store.db import Database
from opencheckout.store.models import SimulatedPayment


def _record(row: SimulatedPayment) -> LedgerRecord:
    return LedgerRecord(
        idempotency_key=row.idempotency_key,
        outcome=row.outcome,
        processor_id=row.processor_id,
        amount=row.amount,
        currency=row.currency,
        decline_code=row.decline_code,
        message=row.message,
    )


class DatabaseLedger:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, record: LedgerRecord) -> LedgerRecord:
        row = SimulatedPayment(
            idempotency_key=record.idempotency_key,
            processor_id=record.processor_id,
            outcome=record.outcome,
            decline_code=record.decline_code,
            message=(record.message or "")[:500] or None,
            amount=record.amount,
            currency=record.currency,
            created_at=datetime.now(UTC),
        )
        async with self.db.write() as session:
            return _record(await store.ledger_add(session, row))

    async def get(self, idempotency_key: str) -> LedgerRecord | None:
        async with self.db.read() as session:
            row = await store.ledger_get(session, idempotency_key)
        return None if row is None else _record(row)
