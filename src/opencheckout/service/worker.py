"""The background worker: webhook delivery, abandonment sweep, settling the test
processor's delayed payments, reconciling payment attempts
(:mod:`opencheckout.service.reconcile`), settling refunds a processor left pending
(:func:`opencheckout.service.refunds.settle_due`), retention.

Run it as ``opencheckout worker`` (any number of them, on PostgreSQL) or let
``serve`` embed one per process. Each step is safe to run concurrently from
many workers: deliveries are claimed with row locks and a lease, the sweep
locks the rows it moves.

Delivery is at-least-once. A claim pushes the delivery's ``next_attempt_at``
past the attempt's timeout (the lease) and commits before the HTTP request is
made; if the worker dies mid-request the lease runs out and another worker
(or the restarted one) tries again. Receivers deduplicate by ``webhook-id``,
which is the event id.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Awaitable
from datetime import datetime, timedelta
from typing import TypeVar

import httpx
import orjson

from opencheckout.domain.retry import RETRY_WINDOW, next_attempt_delay, should_give_up
from opencheckout.ids import new_id
from opencheckout.observability import metrics
from opencheckout.service import (
    acp_orders,
    events,
    payments,
    quaderno,
    reconcile,
    refunds,
    schema,
    sweeper,
    ucp_orders,
)
from opencheckout.service.context import Context
from opencheckout.service.webhooks import active_secrets, endpoint_resource
from opencheckout.store import events as event_store
from opencheckout.store import idempotency as idempotency_store
from opencheckout.store import wakeups
from opencheckout.store import webhooks as store
from opencheckout.store.models import Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from opencheckout.webhooks.netguard import make_client
from opencheckout.webhooks.sender import AttemptResult, deliver

logger = logging.getLogger("opencheckout.worker")

CLAIM_BATCH = 50
HOUSEKEEPING_INTERVAL = timedelta(minutes=10)

T = TypeVar("T")


async def _timed(duty: str, work: Awaitable[T]) -> T:
    started = time.perf_counter()
    try:
        return await work
    finally:
        metrics.observe_worker_duty(duty, time.perf_counter() - started)


def _log_pass(duty: str, count: int, what: str) -> None:
    """Every pass at debug; at info when it changed something (a quiet worker stays quiet)."""
    logger.log(logging.INFO if count else logging.DEBUG, duty, extra={"fields": {what: count}})


class Worker:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._client: httpx.AsyncClient | None = None
        self._last_housekeeping: datetime | None = None

    @property
    def lease(self) -> timedelta:
        """Longer than any attempt can take, so a live worker's claim never lapses."""
        return timedelta(seconds=self.ctx.settings.webhook_timeout_seconds * 2 + 5)

    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            settings = self.ctx.settings
            self._client = make_client(
                allow_private=settings.webhooks_allow_private,
                timeout=settings.webhook_timeout_seconds,
            )
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _sleep(self, stop: asyncio.Event, wake: asyncio.Event | None = None) -> None:
        """Until the poll interval passes, ``stop`` is set or (``wake``) deliveries were
        committed (:mod:`opencheckout.store.wakeups`)."""
        waits = [asyncio.ensure_future(stop.wait())]
        if wake is not None:
            waits.append(asyncio.ensure_future(wake.wait()))
        try:
            await asyncio.wait(
                waits,
                timeout=self.ctx.settings.worker_poll_seconds,
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            for waiting in waits:
                waiting.cancel()

    async def wait_for_schema(self, stop: asyncio.Event) -> None:
        """Until ``opencheckout migrate`` has run every pass would fail: wait quietly
        (the CLI and ``/readyz`` say why) and start once the schema is current."""
        unavailable: str | None = None
        while not stop.is_set():
            try:
                if (await schema.state(self.ctx.db)).ready:
                    return
            except schema.DatabaseUnavailable as exc:
                if str(exc) != unavailable:  # once per distinct problem, not per poll
                    unavailable = str(exc)
                    logger.warning("worker waiting for the database: %s", exc)
            await self._sleep(stop)

    async def run(self, stop: asyncio.Event) -> None:
        """Work until ``stop`` is set; sleep only when a pass found nothing to do."""
        wake = wakeups.subscribe()
        listener: wakeups.Listener | None = None
        try:
            await self.wait_for_schema(stop)
            # Other processes' commits wake this worker too (PostgreSQL LISTEN/NOTIFY).
            listener = await wakeups.listen(self.ctx.db.url, wake.set)
            while not stop.is_set():
                wake.clear()
                try:
                    busy = await self.run_once()
                except Exception:
                    logger.exception("worker pass failed; retrying")
                    busy = False
                if not busy:
                    await self._sleep(stop, wake)
        finally:
            wakeups.unsubscribe(wake)
            if listener is not None:
                await listener.close()
            await self.close()

    async def run_once(self) -> bool:
        """One pass of every duty; True if anything was done."""
        started = time.perf_counter()
        delivered = await _timed("deliver", self.deliver_due())
        swept = await _timed("sweep", sweeper.abandon_expired(self.ctx))
        _log_pass("sweep", swept, "abandoned")
        settled = await _timed("settle", payments.settle_due_test_payments(self.ctx))
        _log_pass("settle", settled, "settled")
        reconciled = await _timed("reconcile", reconcile.reconcile_due(self.ctx))
        _log_pass("reconciliation", reconciled, "reconciled")
        refunded = await _timed("refunds", refunds.settle_due(self.ctx))
        _log_pass("refund settlement", refunded, "settled")
        await _timed("housekeeping", self.housekeeping())
        metrics.observe_worker_duty("pass", time.perf_counter() - started)
        # Fresh between scrapes too: with --workers N, each process's pools add up.
        metrics.set_pools(self.ctx.db.pool_usage())
        return bool(delivered or swept or settled or reconciled or refunded)

    async def deliver_due(self, *, limit: int = CLAIM_BATCH) -> int:
        claimed = await self._claim(limit)
        if not claimed:
            return 0
        # Endpoints are served concurrently; one endpoint's events go in order.
        by_endpoint: dict[str, list[tuple[WebhookDelivery, WebhookEndpoint, Event]]] = defaultdict(
            list
        )
        for item in claimed:
            by_endpoint[item[1].id].append(item)
        await asyncio.gather(*(self._deliver_in_order(items) for items in by_endpoint.values()))
        return len(claimed)

    async def _claim(self, limit: int) -> list[tuple[WebhookDelivery, WebhookEndpoint, Event]]:
        now = self.ctx.clock()
        async with self.ctx.db.write() as session:
            claimed = await store.claim_due(session, now, limit=limit)
            for delivery, _endpoint, _event in claimed:
                delivery.attempts += 1
                delivery.next_attempt_at = now + self.lease
                if delivery.first_attempt_at is None:
                    delivery.first_attempt_at = now
        return claimed

    async def _deliver_in_order(
        self, items: list[tuple[WebhookDelivery, WebhookEndpoint, Event]]
    ) -> None:
        for delivery, endpoint, event in items:
            now = self.ctx.clock()
            acp = await acp_orders.render(self.ctx, endpoint, event)
            if acp is None:
                # A Quaderno webhook: Quaderno's body and X-Quaderno-Signature.
                acp = await quaderno.render(self.ctx, endpoint, event)
            if acp is None:
                # A UCP platform's order webhook: the UCP order of its version.
                acp = await ucp_orders.render(self.ctx, endpoint, event)
            if acp is not None:
                # The ACP order endpoint: its own body and Merchant-Signature.
                result = await acp_orders.send(self.client(), endpoint, acp)
                await self._record(delivery, endpoint, event, result)
                continue
            payload = orjson.dumps(events.event_resource(event))
            result = await deliver(
                self.client(),
                url=endpoint.url,
                secrets=active_secrets(endpoint, now),
                msg_id=event.id,
                timestamp=now,
                payload=payload,
            )
            await self._record(delivery, endpoint, event, result)

    async def _record(
        self,
        delivery: WebhookDelivery,
        endpoint: WebhookEndpoint,
        event: Event,
        result: AttemptResult,
    ) -> None:
        outcome = await self._store_attempt(delivery, endpoint, event, result)
        metrics.record_webhook_delivery(outcome)
        logger.log(
            logging.INFO if result.succeeded else logging.WARNING,
            "webhook delivery attempt",
            extra={
                "fields": {
                    "endpoint_id": endpoint.id,
                    "event_id": event.id,
                    "event_type": event.type,
                    "attempt": delivery.attempts,
                    "outcome": outcome,
                    "status_code": result.status_code,
                    "latency_ms": result.latency_ms,
                    "error": result.error,
                }
            },
        )

    async def _store_attempt(
        self,
        delivery: WebhookDelivery,
        endpoint: WebhookEndpoint,
        event: Event,
        result: AttemptResult,
    ) -> str:
        """Store the attempt and its consequence; the outcome for metrics and logs."""
        now = self.ctx.clock()
        async with self.ctx.db.write() as session:
            session.add(
                WebhookAttempt(
                    id=new_id("wa"),
                    delivery_pk=delivery.pk,
                    endpoint_id=endpoint.id,
                    event_id=event.id,
                    attempt=delivery.attempts,
                    succeeded=result.succeeded,
                    status_code=result.status_code,
                    latency_ms=result.latency_ms,
                    error=result.error,
                    response_body=result.response_body,
                    created_at=now,
                )
            )
            row = await session.get(WebhookDelivery, delivery.pk, with_for_update=True)
            target = await session.get(WebhookEndpoint, endpoint.pk, with_for_update=True)
            if row is None or target is None:  # deleted meanwhile
                return "succeeded" if result.succeeded else "failed"
            if result.succeeded:
                row.status = "succeeded"
                target.failing_since = None
                return "succeeded"
            first = row.first_attempt_at or now
            outcome = "retrying"
            if should_give_up(first, now):
                row.status = "failed"
                outcome = "failed"
            else:
                row.next_attempt_at = now + next_attempt_delay(
                    row.attempts, base_seconds=self.ctx.settings.webhook_retry_base_seconds
                )
            if target.failing_since is None:
                target.failing_since = first
            if target.status == "enabled" and now - target.failing_since >= RETRY_WINDOW:
                target.status = "disabled"
                target.updated_at = now
                await events.record(
                    session,
                    account_id=target.account_id,
                    livemode=target.livemode,
                    type="webhook_endpoint.disabled",
                    obj=endpoint_resource(target),
                    now=now,
                )
        return outcome

    async def housekeeping(self) -> None:
        """Drop events past retention and idempotency keys past their replay window."""
        now = self.ctx.clock()
        last = self._last_housekeeping
        if last is not None and now - last < HOUSEKEEPING_INTERVAL:
            return
        self._last_housekeeping = now
        settings = self.ctx.settings
        async with self.ctx.db.write() as session:
            events_purged = await event_store.purge_events_before(
                session, now - timedelta(days=settings.event_retention_days)
            )
            keys_purged = await idempotency_store.purge_older_than(
                session, now - timedelta(seconds=settings.idempotency_ttl_seconds)
            )
        logger.info(
            "housekeeping",
            extra={"fields": {"events_purged": events_purged, "keys_purged": keys_purged}},
        )
