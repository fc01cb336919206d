"""Persist abandonment: open sessions past ``expires_at`` become ``abandoned``.

Reads already report such sessions as abandoned; the sweep writes it down and
emits ``checkout.abandoned`` so merchants hear about it. Batches are claimed
with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so many workers can sweep at
once without blocking on or double-processing each other's rows, and each row
is locked while it moves, so the sweep is idempotent.
"""

from __future__ import annotations

from opencheckout.domain.lifecycle import Event, move_of
from opencheckout.service import events
from opencheckout.service.context import Context
from opencheckout.service.views import checkout_resource
from opencheckout.store import checkouts as store
from opencheckout.store import lifecycle as lifecycle_store
from opencheckout.store.checkout_records import session_of

DEFAULT_BATCH_SIZE = 500


async def abandon_expired(ctx: Context, *, batch_size: int = DEFAULT_BATCH_SIZE) -> int:
    """Abandon one batch of expired sessions; returns how many moved."""
    now = ctx.clock()
    async with ctx.db.write() as session:
        rows = await store.expired_for_update(session, now, limit=batch_size)
        if not rows:
            return 0
        # The rows are locked (FOR UPDATE on PostgreSQL, the write lock on
        # SQLite), so all of them move; one statement moves the batch.
        move = move_of(Event.EXPIRE)
        await lifecycle_store.apply_many(session, [row.pk for row in rows], move, now)
        await events.record_many(
            session,
            [
                events.NewEvent(
                    account_id=row.account_id,
                    livemode=row.livemode,
                    type="checkout.abandoned",
                    obj=checkout_resource(
                        session_of(row),
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
