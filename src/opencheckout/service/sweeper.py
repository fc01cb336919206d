"""Persist abandonment: open sessions past ``expires_at`` become ``abandoned``.

Reads already report such sessions as abandoned; the sweep writes it down and
emits ``checkout.abandoned`` so merchants hear about it. Batches are claimed
with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so many workers can sweep at
once without blocking on or double-processing each other's rows, and each row
is locked while it moves, so the sweep is idempotent.
"""

from __future__ import annotations

from sqlalchemy import select

from opencheckout.domain.lifecycle import EXPIRING_STATUSES, Status
from opencheckout.service import events
from opencheckout.service.context import Context
from opencheckout.service.views import checkout_resource
from opencheckout.store.models import Checkout

DEFAULT_BATCH_SIZE = 500


async def abandon_expired(ctx: Context, *, batch_size: int = DEFAULT_BATCH_SIZE) -> int:
    """Abandon one batch of expired sessions; returns how many moved."""
    now = ctx.clock()
    expiring = [status.value for status in EXPIRING_STATUSES]
    async with ctx.db.write() as session:
        rows = (
            (
                await session.execute(
                    select(Checkout)
                    .where(Checkout.status.in_(expiring), Checkout.expires_at <= now)
                    .order_by(Checkout.expires_at)
                    .limit(batch_size)
                    .with_for_update(skip_locked=True)
                )
            )
            .scalars()
            .all()
        )
        if not rows:
            return 0
        # The rows are locked (FOR UPDATE on PostgreSQL, the write lock on
        # SQLite), so their status cannot change before this commits.
        for row in rows:
            row.status = Status.ABANDONED.value
            row.updated_at = now
        await events.record_many(
            session,
            [
                events.NewEvent(
                    account_id=row.account_id,
                    livemode=row.livemode,
                    type="checkout.abandoned",
                    obj=checkout_resource(
                        row,
                        public_url=ctx.settings.public_url,
                        now=now,
                        processor=ctx.processor_name_for(row.livemode),
                    ),
                )
                for row in rows
            ],
            now=now,
        )
        return len(rows)


async def abandon_all_expired(ctx: Context, *, batch_size: int = DEFAULT_BATCH_SIZE) -> int:
    total = 0
    while moved := await abandon_expired(ctx, batch_size=batch_size):
        total += moved
    return total
