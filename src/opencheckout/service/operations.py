"""What ``/metrics`` reads at scrape time: the delivery queue and the pools."""

from __future__ import annotations

import logging

from opencheckout.observability import metrics
from opencheckout.service.context import Context
from opencheckout.store import webhooks as store

logger = logging.getLogger("opencheckout.metrics")


async def queue_stats(ctx: Context) -> metrics.QueueStats:
    async with ctx.db.read() as session:
        depth, oldest = await store.pending_delivery_stats(session)
    age = 0.0 if oldest is None else max(0.0, (ctx.clock() - oldest).total_seconds())
    return metrics.QueueStats(depth=depth, oldest_age_seconds=age)


async def render_metrics(ctx: Context) -> bytes:
    """The exposition, with the scrape-time gauges refreshed first."""
    try:
        metrics.set_queue(await queue_stats(ctx))
    except Exception:
        # The rest still tells the operator something; the queue gauges keep their last value.
        logger.warning("metrics: could not read the delivery queue", exc_info=True)
    metrics.set_pools(ctx.db.pool_usage())
    return metrics.render()
