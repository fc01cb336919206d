"""What the dashboard's pages read that no API use case returns as one piece."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from opencheckout.service.auth import Principal
from opencheckout.service.context import Context
from opencheckout.service.tenancy import tenant_of
from opencheckout.store import dashboard as store
from opencheckout.store.models import Event, WebhookAttempt


@dataclass(frozen=True, slots=True)
class Timeline:
    events: Sequence[Event]
    attempts: Sequence[WebhookAttempt]


async def timeline(ctx: Context, principal: Principal, object_ids: Sequence[str]) -> Timeline:
    """A checkout's (and its refunds') events, with every delivery attempt of them."""
    tenant = tenant_of(principal)
    async with ctx.db.read() as session:
        events = await store.events_of_objects(session, tenant, object_ids)
        attempts = await store.attempts_of_events(session, tenant, [e.id for e in events])
    return Timeline(events=events, attempts=attempts)
