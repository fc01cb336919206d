"""Settling payments that a processor answered ``processing``.

``service.checkouts.complete`` leaves such a session ``processing`` with its
``processor`` and ``processor_id``. The final outcome arrives later: by a
processor webhook (Stripe) or, for the test processor's delayed cards, by the
worker's :func:`settle_due_test_payments` pass. :func:`settle` moves the
session to ``completed`` or ``failed`` and records the event in the same
transaction. It is idempotent: a session already settled, or a notification
(webhook event id) already stored, changes nothing.

Processor event ids are kept in the session document (``processor_events``,
the most recent :data:`MAX_REMEMBERED_EVENTS`), written in the transaction
that acts on them, so "stored once" and "settled once" cannot disagree.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from opencheckout.domain.lifecycle import Status
from opencheckout.domain.session import CheckoutSession
from opencheckout.observability import metrics
from opencheckout.processors.base import Outcome
from opencheckout.processors.test import LATER_PREFIX, parse_later
from opencheckout.service import settlement
from opencheckout.service.context import Context
from opencheckout.store import attempts as attempt_store
from opencheckout.store import payments as store
from opencheckout.store.models import Checkout

MAX_REMEMBERED_EVENTS = 50
SETTLE_BATCH = 100


class SettleResult(StrEnum):
    #: The session moved to ``completed`` or ``failed``.
    SETTLED = "settled"
    #: Already settled, or the notification was seen before: nothing changed.
    UNCHANGED = "unchanged"
    #: No session has this payment.
    UNKNOWN = "unknown"
    #: The session is processing but its payment id is not recorded yet (the
    #: processor answered faster than ``complete`` wrote): ask for a redelivery.
    NOT_YET = "not_yet"


@dataclass(frozen=True, slots=True)
class Settlement:
    result: SettleResult
    checkout: Checkout | None = None


def last_payment_error(row: CheckoutSession) -> dict[str, Any] | None:
    """The decline of an asynchronously failed payment, for the hosted page."""
    error = row.data.get("last_payment_error")
    return error if isinstance(error, dict) else None


def _remember(document: dict[str, Any], event_id: str | None) -> dict[str, Any]:
    if event_id is None:
        return document
    seen = [*document.get("processor_events", []), event_id]
    document["processor_events"] = seen[-MAX_REMEMBERED_EVENTS:]
    return document


async def _find(
    session: AsyncSession, processor: str, processor_id: str, checkout_id: str | None
) -> Checkout | None:
    if checkout_id is not None:
        return await store.get_by_id(session, checkout_id, for_update=True)
    return await store.get_by_payment(session, processor, processor_id, for_update=True)


async def is_livemode(ctx: Context, checkout_id: str) -> bool:
    """Whether the session (any account) is in live mode; False when there is no such session.

    For processor callbacks, which name a session but no tenant, to pick the processor's mode.
    """
    async with ctx.db.read() as session:
        row = await store.get_by_id(session, checkout_id)
    return bool(row is not None and row.livemode)


async def settle(
    ctx: Context,
    processor: str,
    processor_id: str,
    outcome: Outcome,
    *,
    checkout_id: str | None = None,
    event_id: str | None = None,
    decline_code: str | None = None,
    message: str | None = None,
) -> Settlement:
    """Move the ``processing`` session paid by ``processor_id`` to its final state."""
    if outcome is Outcome.PROCESSING:
        return Settlement(SettleResult.UNCHANGED)
    now = ctx.clock()
    async with ctx.db.write() as session:
        row = await _find(session, processor, processor_id, checkout_id)
        if row is None:
            return Settlement(SettleResult.UNKNOWN)
        if event_id is not None and event_id in row.data.get("processor_events", []):
            return Settlement(SettleResult.UNCHANGED, row)
        if row.processor_id != processor_id or row.processor != processor:
            if row.status == Status.PROCESSING.value and row.processor_id is None:
                return Settlement(SettleResult.NOT_YET, row)
            # About another (earlier) attempt, or not ours at all.
            return Settlement(
                SettleResult.UNKNOWN if checkout_id is None else SettleResult.UNCHANGED
            )
        document = _remember(copy.deepcopy(row.data), event_id)
        if row.status != Status.PROCESSING.value:
            if event_id is not None:
                row.data = document
                await session.flush()
            return Settlement(SettleResult.UNCHANGED, row)
        outcome_of = settlement.Answer(processor, processor_id, outcome, decline_code, message)
        settled = await _finish(ctx, session, row, document, outcome_of, now)
    if settled is None:  # pragma: no cover - the row is locked above
        return Settlement(SettleResult.UNCHANGED, row)
    metrics.record_payment(processor, outcome.value)
    return Settlement(SettleResult.SETTLED, settled)


async def _finish(
    ctx: Context,
    session: AsyncSession,
    row: Checkout,
    document: dict[str, Any],
    answer: settlement.Answer,
    now: datetime,
) -> Checkout | None:
    """Settle the locked ``processing`` session (see :mod:`service.settlement`), keeping
    the decline in its document for the hosted page."""
    document = settlement.remember_outcome(document, answer)
    return await settlement.settle(ctx, session, row, answer, now, document=document)


async def settle_attempt(
    ctx: Context,
    attempt_pk: int,
    outcome: Outcome,
    *,
    processor_id: str = "",
    decline_code: str | None = None,
    message: str | None = None,
) -> SettleResult:
    """Settle the session of a reconciled attempt (its processor id may be unrecorded).

    Changes nothing unless the attempt is still open and its session still
    processing on it; an attempt whose session moved on is just closed.
    """
    if outcome is Outcome.PROCESSING:
        return SettleResult.UNCHANGED
    now = ctx.clock()
    async with ctx.db.write() as session:
        attempt = await attempt_store.get(session, attempt_pk, for_update=True)
        if attempt is None or attempt.status != attempt_store.OPEN:
            return SettleResult.UNCHANGED
        row = await store.get_by_id(session, attempt.checkout_id, for_update=True)
        paid_by = processor_id or attempt.processor_id
        if (
            row is None
            or row.status != Status.PROCESSING.value
            or row.processor_id not in (None, paid_by)
            or await attempt_store.newer_exists(session, row.pk, attempt.pk)
        ):
            attempt.status = "voided"
            attempt.updated_at = now
            return SettleResult.UNCHANGED
        answer = settlement.Answer(attempt.processor, paid_by or "", outcome, decline_code, message)
        settled = await _finish(ctx, session, row, copy.deepcopy(row.data), answer, now)
    if settled is None:  # pragma: no cover - the row is locked above
        return SettleResult.UNCHANGED
    metrics.record_payment(answer.processor, outcome.value)
    return SettleResult.SETTLED


async def settle_due_test_payments(ctx: Context, *, limit: int = SETTLE_BATCH) -> int:
    """Settle the test processor's delayed payments whose time has come.

    Everything needed is in the database (the payment id says the outcome and
    when it is due), so payments left processing by a restart settle too.
    """
    now = ctx.clock()
    due: list[tuple[str, str, Outcome, str | None, str | None]] = []
    async with ctx.db.read() as session:
        rows = await store.processing_with_prefix(session, "test", LATER_PREFIX, limit=limit)
        for row in rows:
            later = parse_later(row.processor_id or "")
            if row.processor_id and later is not None and later.due_at <= now:
                due.append(
                    (row.id, row.processor_id, later.outcome, later.decline_code, later.message)
                )
    settled = 0
    for checkout_id, processor_id, outcome, code, message in due:
        # settle() locks the row and re-checks it: concurrent workers settle it once.
        result = await settle(
            ctx,
            "test",
            processor_id,
            outcome,
            checkout_id=checkout_id,
            decline_code=code,
            message=message,
        )
        settled += result.result is SettleResult.SETTLED
    return settled
