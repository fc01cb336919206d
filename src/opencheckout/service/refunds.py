"""Refunds: giving back all or part of a completed session's payment.

:func:`create` is two transactions around the processor call, like
``checkouts.complete``. The first locks the session row, checks what remains
(the total less every pending or succeeded refund), inserts the refund as
``pending``, updates the session's ``amount_refunded`` and ``payment_status``
and records ``refund.created``: concurrent refunds queue on the lock, so they
can never give back more than was paid. The processor is then called with no
lock held; the second transaction records its answer (``refund.succeeded``, or
``refund.failed`` which returns the amount to what remains).

The session's order shows each refund as an adjustment (``adj_X`` for
``re_X``), added when the refund is created and changed when it settles, in
the same transactions, each with an ``order.updated`` event: the order's
``amount_refunded`` is always the session's.
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from opencheckout.domain.errors import Conflict, InvalidValue, NotFound, ProcessorUnavailable
from opencheckout.domain.filters import RefundFilters
from opencheckout.domain.lifecycle import PaymentStatus, Status, check_refundable, refund_move
from opencheckout.domain.processor_amounts import convert
from opencheckout.ids import new_id
from opencheckout.observability import metrics
from opencheckout.processors.base import Processor, RefundResult
from opencheckout.processors.paypal import PayPalProcessor
from opencheckout.service import events, orders
from opencheckout.service.auth import Principal
from opencheckout.service.context import Context
from opencheckout.service.paging import Cursor, cursor_pks
from opencheckout.service.payments import SettleResult
from opencheckout.service.tenancy import tenant_of
from opencheckout.service.views import isoformat
from opencheckout.store import checkouts as checkout_store
from opencheckout.store import lifecycle as lifecycle_store
from opencheckout.store import payments as payment_store
from opencheckout.store import refunds as store
from opencheckout.store.checkouts import Tenant
from opencheckout.store.lifecycle import Changes
from opencheckout.store.models import Checkout, Refund

logger = logging.getLogger("opencheckout.refunds")


@dataclass(frozen=True, slots=True)
class RefundParams:
    #: Minor units; None refunds all that remains.
    amount: int | None
    reason: str | None
    metadata: dict[str, str]


def refund_resource(row: Refund) -> dict[str, Any]:
    return {
        "id": row.id,
        "object": "refund",
        "checkout": row.checkout_id,
        "amount": row.amount,
        "currency": row.currency,
        "status": row.status,
        "reason": row.reason,
        "metadata": row.metadata_,
        "failure_message": row.failure_message,
        "livemode": row.livemode,
        "created_at": isoformat(row.created_at),
    }


def adjustment_id(refund_id: str) -> str:
    """The order adjustment of refund ``re_X`` is ``adj_X``."""
    return "adj_" + refund_id.removeprefix("re_")


def adjustment_of(refund: Refund) -> dict[str, Any]:
    """The refund as an entry of its order's ``adjustments[]``."""
    return {
        "id": adjustment_id(refund.id),
        "type": "refund",
        "refund": refund.id,
        "amount": refund.amount,
        "currency": refund.currency,
        "status": refund.status,
        "reason": refund.reason,
        "created_at": isoformat(refund.created_at),
        "updated_at": isoformat(refund.updated_at),
    }


async def _emit(session: AsyncSession, refund: Refund, type: str, now: datetime) -> None:
    await events.record(
        session,
        account_id=refund.account_id,
        livemode=refund.livemode,
        type=type,
        obj=refund_resource(refund),
        now=now,
    )


async def _set_refunded(session: AsyncSession, row: Checkout, now: datetime) -> None:
    """Recompute the session's ``amount_refunded`` and ``payment_status`` (row locked)."""
    refunded = await store.reserved_total(session, row.pk)
    document = copy.deepcopy(row.data)
    document["amount_refunded"] = refunded
    move = refund_move(row.amount_total, refunded)
    moved = await lifecycle_store.apply(session, row.pk, move, now, Changes(data=document))
    if moved is None:  # pragma: no cover - the row is locked and was paid
        raise Conflict("The checkout changed while it was refunded.", code="checkout_conflict")


def _processor_of(ctx: Context, row: Checkout) -> Processor:
    check_refundable(Status(row.status), PaymentStatus(row.payment_status))
    processor = ctx.processors.get(row.processor or "")
    if processor is None or row.processor_id is None:
        raise Conflict(
            f"The {row.processor} processor that took this payment is not configured.",
            code="processor_not_configured",
        )
    return processor


def _amount_of(row: Checkout, params: RefundParams, remaining: int) -> int:
    amount = remaining if params.amount is None else params.amount
    if amount <= 0 or amount > remaining:
        raise InvalidValue(
            f"Only {remaining} ({row.currency.upper()} minor units) remains to refund "
            f"on this checkout; {amount} was asked.",
            code="refund_amount_invalid",
            param="amount",
        )
    written = convert(row.processor or "", row.currency, amount, charge=False)
    if not written.chargeable:
        raise InvalidValue(
            f"{written.reason} This refund cannot be made exactly.",
            code="refund_amount_invalid",
            param="amount",
        )
    return amount


async def _reserve(
    ctx: Context, tenant: Tenant, checkout_id: str, params: RefundParams
) -> tuple[Refund, Processor, str]:
    now = ctx.clock()
    async with ctx.db.write() as session:
        row = await checkout_store.get(session, tenant, checkout_id, for_update=True)
        if row is None:
            raise NotFound(f"No such checkout: '{checkout_id}'.", param="id")
        processor = _processor_of(ctx, row)
        remaining = row.amount_total - await store.reserved_total(session, row.pk)
        amount = _amount_of(row, params, remaining)
        refund = Refund(
            id=new_id("re"),
            account_id=row.account_id,
            livemode=row.livemode,
            checkout_pk=row.pk,
            checkout_id=row.id,
            amount=amount,
            currency=row.currency,
            status="pending",
            reason=params.reason,
            metadata_=params.metadata,
            processor=row.processor,
            processor_refund_id=None,
            failure_message=None,
            created_at=now,
            updated_at=now,
        )
        await store.insert(session, refund)
        await _set_refunded(session, row, now)
        await _emit(session, refund, "refund.created", now)
        await orders.add_adjustment(session, tenant, row.id, adjustment_of(refund), now)
        return refund, processor, str(row.processor_id)


async def _record(
    ctx: Context, tenant: Tenant, refund: Refund, result: RefundResult | None, message: str | None
) -> Refund:
    now = ctx.clock()
    if result is not None and result.succeeded:
        status = "succeeded"
    elif result is not None and result.pending:
        # The processor settles it later (webhook, or settle_due's poll); it stays reserved.
        async with ctx.db.write() as session:
            await store.touch_pending(
                session, refund.pk, processor_refund_id=result.refund_id or None, now=now
            )
            current = await session.get(Refund, refund.pk, populate_existing=True)
        return current if current is not None else refund
    else:
        status = "failed"
    async with ctx.db.write() as session:
        row = await checkout_store.get(session, tenant, refund.checkout_id, for_update=True)
        settled = await store.settle(
            session,
            refund.pk,
            status=status,
            processor_refund_id=result.refund_id if result is not None else None,
            failure_message=None if status == "succeeded" else message,
            now=now,
        )
        if settled is None:  # settled already (by another answer): as it stands
            current = await session.get(Refund, refund.pk, populate_existing=True)
            return current if current is not None else refund
        if status == "failed" and row is not None:
            await _set_refunded(session, row, now)
        await _emit(session, settled, f"refund.{status}", now)
        await orders.update_adjustment(
            session,
            tenant,
            settled.checkout_id,
            adjustment_id(settled.id),
            {"status": settled.status, "updated_at": isoformat(now)},
            now,
        )
    return settled


async def create(
    ctx: Context, principal: Principal, checkout_id: str, params: RefundParams
) -> Refund:
    tenant = tenant_of(principal)
    refund, processor, payment_id = await _reserve(ctx, tenant, checkout_id, params)
    try:
        if isinstance(processor, PayPalProcessor):  # sandbox or live API, by the mode
            result = await processor.refund(
                payment_id, refund.amount, currency=refund.currency, livemode=tenant.livemode
            )
        else:
            result = await processor.refund(payment_id, refund.amount, currency=refund.currency)
    except Exception as exc:
        metrics.record_refund(processor.name, "error")
        await _record(ctx, tenant, refund, None, "The processor could not be reached.")
        raise ProcessorUnavailable(
            f"The {processor.name} processor could not be reached; the refund {refund.id} "
            "failed and nothing was given back. Retry with a new Idempotency-Key."
        ) from exc
    metrics.record_refund(processor.name, "succeeded" if result.succeeded else "failed")
    message = result.message or (
        "The processor refused the refund." if not result.succeeded else None
    )
    return await _record(ctx, tenant, refund, result, message)


async def settle_pending(
    ctx: Context, refund: Refund, result: RefundResult, message: str | None = None
) -> Refund:
    """Record the final answer for a refund the processor left ``pending`` (e.g. from
    its webhook): the refund, the session's refunded amount, the order's adjustment
    and their events change together, once (an already settled refund is returned
    as it is)."""
    tenant = Tenant(refund.account_id, refund.livemode)
    return await _record(ctx, tenant, refund, result, message)


async def settle_notified(
    ctx: Context, processor: str, payment_id: str | None, result: RefundResult
) -> SettleResult:
    """A processor's webhook says where one of its refunds stands (Stripe's
    ``refund.updated``): settle our pending refund for it now, without waiting for
    :func:`settle_due`'s poll. The refund is found through its payment's session
    (indexed), then by the processor's refund id. A refund the processor still
    calls pending, one settled already, or one we never made changes nothing; a
    refund of that session whose processor id is not recorded yet (the webhook
    came before ``create`` wrote the answer) is ``NOT_YET``: redeliver."""
    if result.pending or not payment_id:
        return SettleResult.UNCHANGED if result.pending else SettleResult.UNKNOWN
    async with ctx.db.read() as session:
        row = await payment_store.get_by_payment(session, processor, payment_id)
        if row is None:
            return SettleResult.UNKNOWN
        refund = await store.by_processor_refund_id(session, row.pk, result.refund_id)
        unrecorded = refund is None and await store.has_unrecorded_pending(session, row.pk)
    if refund is None:
        return SettleResult.NOT_YET if unrecorded else SettleResult.UNKNOWN
    if refund.status != "pending":
        return SettleResult.UNCHANGED
    message = result.message or (None if result.succeeded else "The processor refused the refund.")
    after = await settle_pending(ctx, refund, result, message)
    return SettleResult.SETTLED if after.status != "pending" else SettleResult.UNCHANGED


#: A pending refund is first asked about this long after the processor's answer;
#: then after as long again as it has been pending (backoff), at most MAX apart.
PENDING_POLL_SECONDS = 30.0
PENDING_POLL_MAX_SECONDS = 6 * 3600.0
POLL_BATCH = 50


def _poll_due(refund: Refund, now: datetime, first_seconds: float) -> bool:
    pending_for = (refund.updated_at - refund.created_at).total_seconds()
    wait = min(max(first_seconds, pending_for), PENDING_POLL_MAX_SECONDS)
    return (now - refund.updated_at).total_seconds() >= wait


async def settle_due(ctx: Context, *, first_seconds: float = PENDING_POLL_SECONDS) -> int:
    """Ask the processor about refunds it left pending (no webhook came) and settle
    those it has decided; the rest are asked again later, with backoff. Returns how
    many were settled."""
    now = ctx.clock()
    async with ctx.db.read() as session:
        candidates = await store.pending_unchanged_since(
            session, now - timedelta(seconds=first_seconds), limit=POLL_BATCH
        )
    settled = 0
    for refund in candidates:
        processor = ctx.processors.get(refund.processor or "")
        if (
            processor is None
            or not refund.processor_refund_id
            or not _poll_due(refund, now, first_seconds)
        ):
            continue
        try:
            if isinstance(processor, PayPalProcessor):
                result = await processor.retrieve_refund(
                    refund.processor_refund_id, livemode=refund.livemode
                )
            else:
                result = await processor.retrieve_refund(refund.processor_refund_id)
        except Exception:
            logger.warning(
                "refund poll failed", extra={"fields": {"refund_id": refund.id}}, exc_info=True
            )
            result = RefundResult(
                succeeded=False, refund_id=refund.processor_refund_id, pending=True
            )
        if result.pending:
            async with ctx.db.write() as session:
                await store.touch_pending(session, refund.pk, processor_refund_id=None, now=now)
            continue
        message = result.message or (
            None if result.succeeded else "The processor refused the refund."
        )
        after = await settle_pending(ctx, refund, result, message)
        settled += after.status != "pending"
    return settled


async def retrieve(ctx: Context, principal: Principal, refund_id: str) -> Refund:
    async with ctx.db.read() as session:
        row = await store.get(session, tenant_of(principal), refund_id)
    if row is None:
        raise NotFound(f"No such refund: '{refund_id}'.", param="id")
    return row


async def list_refunds(
    ctx: Context, principal: Principal, cursor: Cursor, filters: RefundFilters
) -> tuple[list[Refund], bool]:
    tenant = tenant_of(principal)
    async with ctx.db.read() as session:
        if filters.checkout_id is not None:
            exists = await checkout_store.pk_of(session, tenant, filters.checkout_id)
            if exists is None:
                raise NotFound(f"No such checkout: '{filters.checkout_id}'.", param="checkout")

        async def pk_of(refund_id: str) -> int | None:
            return await store.pk_of(session, tenant, refund_id)

        after_pk, before_pk = await cursor_pks(cursor, pk_of, "refund")
        return await store.list_page(
            session, tenant, filters, limit=cursor.limit, after_pk=after_pk, before_pk=before_pk
        )
