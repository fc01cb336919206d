"""Settling a claimed session, written once for every path that learns an outcome.

``complete`` (the processor answered at once), the processor webhooks, the
test processor's delayed payments and the reconciler (``service.payments``)
all end here: the ``processing`` session moves to ``completed`` or ``failed``
by the lifecycle's one compare-and-set, its open attempts are closed, a
failure gives back what the claim took (coupon redemptions, stock, the
checkout link's count), the event is recorded and a payment creates the
order; all in the caller's transaction, on a row the caller has locked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from opencheckout.domain.lifecycle import Event, move_of
from opencheckout.processors.base import Outcome
from opencheckout.service import checkout_links, completion, coupons, events, inventory
from opencheckout.service.context import Context
from opencheckout.service.views import checkout_resource
from opencheckout.store import attempts as attempt_store
from opencheckout.store import lifecycle as lifecycle_store
from opencheckout.store.checkout_records import session_of
from opencheckout.store.lifecycle import KEEP, Changes
from opencheckout.store.models import Checkout
from opencheckout.store.tenant import Tenant


@dataclass(frozen=True, slots=True)
class Answer:
    """A processor's final word on a payment (``outcome`` succeeded or declined)."""

    processor: str
    #: The payment's id at the processor ("" when it gave none).
    processor_id: str
    outcome: Outcome
    decline_code: str | None = None
    message: str | None = None


async def announce(
    ctx: Context, session: AsyncSession, row: Checkout, type: str, now: datetime
) -> None:
    """Record ``type`` with the session's snapshot, in the caller's transaction."""
    await events.record(
        session,
        account_id=row.account_id,
        livemode=row.livemode,
        type=type,
        obj=checkout_resource(
            session_of(row),
            public_url=ctx.settings.public_url,
            now=now,
            processor=ctx.processor_name_for(row.livemode),
        ),
        now=now,
    )


def remember_outcome(document: dict[str, Any], answer: Answer) -> dict[str, Any]:
    """The document with the decline the hosted page shows (or without it, once paid)."""
    if answer.outcome is Outcome.SUCCEEDED:
        document.pop("last_payment_error", None)
    else:
        document["last_payment_error"] = {
            "code": answer.decline_code or "card_declined",
            "message": answer.message or "The payment was declined.",
        }
    return document


async def give_back(session: AsyncSession, row: Checkout) -> None:
    """Undo what the claim took: coupon redemptions, tracked stock, the link's count."""
    tenant = Tenant(row.account_id, row.livemode)
    await coupons.release_applied(session, tenant, row.data.get("discounts", []))
    await inventory.give_back(session, row)
    await checkout_links.release(session, row)


async def settle(
    ctx: Context,
    session: AsyncSession,
    row: Checkout,
    answer: Answer,
    now: datetime,
    *,
    document: dict[str, Any] | None = None,
) -> Checkout | None:
    """Move the locked ``processing`` session to completed or failed with everything
    that goes with it; ``document`` (when given) is written with the move. None if
    the session was no longer processing (nothing changed)."""
    paid = answer.outcome is Outcome.SUCCEEDED
    changes = Changes(
        processor=answer.processor,
        processor_id=answer.processor_id or row.processor_id,
        # A decline is activity: the buyer gets the full time to try again.
        expires_at=KEEP if paid else now + timedelta(seconds=row.abandon_after_seconds),
        data=KEEP if document is None else document,
    )
    move = move_of(Event.SUCCEED if paid else Event.FAIL)
    settled = await lifecycle_store.apply(session, row.pk, move, now, changes)
    if settled is None:
        return None
    closed = "succeeded" if paid else "declined"
    await attempt_store.close_open(
        session, row.pk, closed, now, processor_id=answer.processor_id or None
    )
    if not paid:
        await give_back(session, settled)
    await announce(ctx, session, settled, "checkout.completed" if paid else "checkout.failed", now)
    if paid:
        await completion.on_completed(session, settled, now)
    return settled


async def release(ctx: Context, session: AsyncSession, checkout_pk: int, now: datetime) -> None:
    """The processor could not be reached, so nothing was charged that we know of:
    the claimed session is payable again (``failed``), its attempt voided."""
    move = move_of(Event.FAIL)
    released = await lifecycle_store.apply(session, checkout_pk, move, now)
    if released is None:
        return
    await attempt_store.close_open(session, checkout_pk, "voided", now)
    await give_back(session, released)
    await announce(ctx, session, released, "checkout.failed", now)
