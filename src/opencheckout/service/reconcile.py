"""Payment attempts, and the worker pass that leaves nothing stuck in ``processing``.

``complete`` records an attempt (processor, idempotency key) in the same
transaction that claims the session, then calls the processor with that key.
If the process dies before the answer is written, the session would stay
``processing`` forever; instead the worker picks up every open attempt when
its ``next_check_at`` comes:

- processors that ``poll`` (Stripe) are asked soon and then with backoff, so
  a payment whose webhook never arrives still settles;
- once an attempt is older than ``OPENCHECKOUT_PAYMENT_RECONCILE_SECONDS``,
  an answer still missing is made final with :meth:`Processor.void`: nothing
  charged returns the session to payable (``failed``, coupon redemptions given
  back); a payment that went through completes it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from opencheckout.domain.lifecycle import Status
from opencheckout.ids import new_id
from opencheckout.processors.base import AttemptRef, Outcome, PaymentResult, Processor
from opencheckout.service import payments
from opencheckout.service.context import Context
from opencheckout.store import attempts as store
from opencheckout.store import payments as payment_store
from opencheckout.store.models import Checkout, PaymentAttempt

logger = logging.getLogger("opencheckout.reconcile")


def _ref_of(attempt: PaymentAttempt) -> AttemptRef:
    """What a processor needs to find the payment an attempt started."""
    return AttemptRef(
        idempotency_key=attempt.idempotency_key,
        checkout_id=attempt.checkout_id,
        amount=attempt.amount,
        currency=attempt.currency,
        processor_id=attempt.processor_id,
        livemode=attempt.livemode,
    )


BATCH = 20
#: First poll of a processing payment, doubling per check up to POLL_MAX.
POLL_BASE = timedelta(seconds=1)
POLL_MAX = timedelta(minutes=5)
#: A worker's claim on an attempt while it asks the processor.
LEASE = timedelta(seconds=30)
#: Why a session came back payable when the processor had no payment for it.
INTERRUPTED = ("payment_interrupted", "The payment was interrupted and nothing was charged.")


def first_check(ctx: Context, processor: Processor, now: datetime) -> datetime:
    if processor.polls:
        return now + POLL_BASE
    return now + timedelta(seconds=ctx.settings.payment_reconcile_seconds)


async def open_attempt(
    ctx: Context, session: AsyncSession, row: Checkout, processor: Processor, now: datetime
) -> PaymentAttempt:
    """Record an attempt for ``row`` (in the caller's claim transaction)."""
    attempt_id = new_id("pat")
    attempt = PaymentAttempt(
        id=attempt_id,
        checkout_pk=row.pk,
        checkout_id=row.id,
        account_id=row.account_id,
        livemode=row.livemode,
        processor=processor.name,
        idempotency_key=f"opencheckout-{attempt_id}",
        processor_id=None,
        amount=row.amount_total,
        currency=row.currency,
        status=store.OPEN,
        checks=0,
        next_check_at=first_check(ctx, processor, now),
        created_at=now,
        updated_at=now,
    )
    await store.insert(session, attempt)
    return attempt


def _backoff(checks: int) -> timedelta:
    seconds = POLL_BASE.total_seconds() * float(2 ** min(checks, 20))
    return timedelta(seconds=min(seconds, POLL_MAX.total_seconds()))


@dataclass(frozen=True, slots=True)
class _Due:
    pk: int
    processor: str
    ref: AttemptRef
    created_at: datetime
    checks: int


async def _claim(ctx: Context, now: datetime) -> list[_Due]:
    """Take the due attempts for a lease, so concurrent workers ask once."""
    claimed: list[_Due] = []
    window = timedelta(seconds=ctx.settings.payment_reconcile_seconds)
    async with ctx.db.write() as session:
        due = await store.due(
            session,
            now,
            created_before=now - window,
            untouched_since=now - LEASE,
            processors=list(ctx.processors),
            limit=BATCH,
        )
        for attempt in due:
            attempt.checks += 1
            attempt.next_check_at = now + LEASE
            attempt.updated_at = now
            ref = _ref_of(attempt)
            claimed.append(
                _Due(attempt.pk, attempt.processor, ref, attempt.created_at, attempt.checks)
            )
    return claimed


async def reconcile_due(ctx: Context) -> int:
    """One pass: every open attempt whose check is due. Returns sessions settled."""
    now = ctx.clock()
    settled = 0
    for due in await _claim(ctx, now):
        try:
            settled += await _reconcile(ctx, due, now)
        except Exception:
            logger.exception("reconciling payment attempt %s failed", due.ref.idempotency_key)
    return settled


async def _reconcile(ctx: Context, due: _Due, now: datetime) -> int:
    processor = ctx.processors.get(due.processor)
    if processor is None or not await _still_processing(ctx, due):
        if processor is not None:
            await payments.settle_attempt(ctx, due.pk, Outcome.DECLINED)  # closes it
        return 0
    overdue = now - due.created_at >= timedelta(seconds=ctx.settings.payment_reconcile_seconds)
    result = await processor.find(due.ref)
    if overdue and (result is None or result.outcome is Outcome.PROCESSING):
        result = await processor.void(due.ref)
        if result is None:
            code, message = INTERRUPTED
            result = PaymentResult(Outcome.DECLINED, "", code, message)
    if result is None or result.outcome is Outcome.PROCESSING:
        await _reschedule(ctx, due.pk, now + _backoff(due.checks))
        return 0
    return int(await _settled_by(ctx, due.pk, result))


async def _still_processing(ctx: Context, due: _Due) -> bool:
    async with ctx.db.read() as session:
        row = await payment_store.get_by_id(session, due.ref.checkout_id)
    return row is not None and row.status == Status.PROCESSING.value


async def _reschedule(ctx: Context, attempt_pk: int, at: datetime) -> None:
    async with ctx.db.write() as session:
        attempt = await store.get(session, attempt_pk, for_update=True)
        if attempt is not None and attempt.status == store.OPEN:
            attempt.next_check_at = at


async def _settled_by(ctx: Context, attempt_pk: int, result: PaymentResult) -> bool:
    """Settle the attempt with the processor's final answer; True if that settled the session."""
    outcome = await payments.settle_attempt(
        ctx,
        attempt_pk,
        result.outcome,
        processor_id=result.processor_id,
        decline_code=result.decline_code,
        message=result.message,
    )
    return outcome is payments.SettleResult.SETTLED


async def _latest_open(ctx: Context, checkout_pk: int) -> tuple[PaymentAttempt, Processor] | None:
    """The session's open attempt and the processor to ask about it (None: either is missing)."""
    async with ctx.db.read() as session:
        attempt = await store.latest_open(session, checkout_pk)
    if attempt is None:
        return None
    processor = ctx.processors.get(attempt.processor)
    return None if processor is None else (attempt, processor)


async def check_now(ctx: Context, checkout_pk: int) -> bool:
    """Ask the processor about the session's open attempt now (the buyer is back
    from 3-D Secure); settle it if the answer is final. True if it was settled."""
    found = await _latest_open(ctx, checkout_pk)
    if found is None:
        return False
    attempt, processor = found
    ref = _ref_of(attempt)
    result = await processor.find(ref)
    if result is None or result.outcome is Outcome.PROCESSING:
        return False
    return await _settled_by(ctx, attempt.pk, result)


async def release_now(ctx: Context, checkout_pk: int, *, decline_code: str, message: str) -> bool:
    """The buyer gave up at the processor (PayPal's cancel): unless it charged after
    all, make the session payable again now. True if the session was settled."""
    found = await _latest_open(ctx, checkout_pk)
    if found is None:
        return False
    attempt, processor = found
    ref = replace(_ref_of(attempt), canceled_by_buyer=True)
    result = await processor.void(ref)
    if result is None:
        result = PaymentResult(Outcome.DECLINED, attempt.processor_id or "", decline_code, message)
    if result.outcome is Outcome.PROCESSING:
        return False
    return await _settled_by(ctx, attempt.pk, result)
