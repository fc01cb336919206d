"""The test processor's ledger in the database, so it survives restarts and is
shared by every process (the server that took a payment and the worker that
reconciles it)."""

from __future__ import annotations

from datetime import UTC, datetime

from opencheckout.processors.test import LedgerRecord
from opencheckout.store import attempts as store
from opencheckout.store.db import Database


def _record(entry: store.LedgerEntry) -> LedgerRecord:
    return LedgerRecord(
        idempotency_key=entry.idempotency_key,
        outcome=entry.outcome,
        processor_id=entry.processor_id,
        amount=entry.amount,
        currency=entry.currency,
        decline_code=entry.decline_code,
        message=entry.message,
    )


class DatabaseLedger:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, record: LedgerRecord) -> LedgerRecord:
        entry = store.LedgerEntry(
            idempotency_key=record.idempotency_key,
            processor_id=record.processor_id,
            outcome=record.outcome,
            decline_code=record.decline_code,
            message=(record.message or "")[:500] or None,
            amount=record.amount,
            currency=record.currency,
        )
        return _record(await store.ledger_add(self.db, entry, datetime.now(UTC)))

    async def get(self, idempotency_key: str) -> LedgerRecord | None:
        entry = await store.ledger_get(self.db, idempotency_key)
        return None if entry is None else _record(entry)
