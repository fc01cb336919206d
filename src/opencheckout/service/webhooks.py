"""Webhook endpoints: register, update, rotate secrets, inspect deliveries, redeliver."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from opencheckout.domain.errors import InvalidValue, NotFound
from opencheckout.ids import new_id
from opencheckout.service import events
from opencheckout.service.auth import Principal
from opencheckout.service.context import Context
from opencheckout.service.paging import Cursor, cursor_pks
from opencheckout.service.resources import TenantResource
from opencheckout.service.tenancy import tenant_of
from opencheckout.service.views import isoformat
from opencheckout.store import events as event_store
from opencheckout.store import webhooks as store
from opencheckout.store.checkouts import Tenant
from opencheckout.store.models import WebhookAttempt, WebhookEndpoint
from opencheckout.webhooks.netguard import validate_endpoint_url
from opencheckout.webhooks.signing import new_secret

#: How long a rotated-out secret keeps signing beside the new one.
ROTATION_OVERLAP = timedelta(hours=24)


class WebhookEndpointLimit(InvalidValue):
    """The account and mode have as many endpoints as ``max_webhook_endpoints`` allows."""

    code = "webhook_endpoint_limit"


resource = TenantResource(store.endpoints, "webhook endpoint")


def _check_url(ctx: Context, url: str) -> str:
    return validate_endpoint_url(url, allow_private=ctx.settings.webhooks_allow_private)


def _check_events(enabled: list[str]) -> list[str]:
    for index, name in enumerate(enabled):
        if name != "*" and name not in events.EVENT_TYPES:
            raise InvalidValue(
                f"Unknown event type '{name}'. Use '*' or one of: "
                + ", ".join(events.EVENT_TYPES)
                + ".",
                param=f"enabled_events[{index}]",
            )
    return list(dict.fromkeys(enabled))


def active_secrets(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    """The secrets that sign a delivery now: the current one, plus the previous
    one during the rotation overlap."""
    secrets = [endpoint.secret]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires is not None and expires > now:
        secrets.append(endpoint.previous_secret)
    return secrets


def endpoint_resource(endpoint: WebhookEndpoint, *, with_secret: bool = False) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "id": endpoint.id,
        "object": "webhook_endpoint",
        "url": endpoint.url,
        "description": endpoint.description,
        "enabled_events": endpoint.enabled_events,
        "status": endpoint.status,
        "livemode": endpoint.livemode,
        "metadata": endpoint.metadata_,
        "created_at": isoformat(endpoint.created_at),
        "updated_at": isoformat(endpoint.updated_at),
    }
    if with_secret:
        resource["secret"] = endpoint.secret
    return resource


def attempt_resource(attempt: WebhookAttempt) -> dict[str, Any]:
    return {
        "id": attempt.id,
        "object": "webhook_delivery",
        "endpoint": attempt.endpoint_id,
        "event": attempt.event_id,
        "attempt": attempt.attempt,
        "succeeded": attempt.succeeded,
        "status_code": attempt.status_code,
        "latency_ms": attempt.latency_ms,
        "error": attempt.error,
        "response_body": attempt.response_body,
        "created_at": isoformat(attempt.created_at),
    }


async def create_endpoint(
    ctx: Context, principal: Principal, params: dict[str, Any]
) -> WebhookEndpoint:
    now = ctx.clock()
    endpoint = WebhookEndpoint(
        id=new_id("we"),
        account_id=principal.account_id,
        livemode=principal.livemode,
        url=_check_url(ctx, params["url"]),
        description=params.get("description"),
        enabled_events=_check_events(params["enabled_events"]),
        status="enabled",
        secret=new_secret(),
        metadata_=params.get("metadata") or {},
        created_at=now,
        updated_at=now,
    )
    async with ctx.db.write() as session:
        limit = ctx.settings.max_webhook_endpoints
        if await store.count_endpoints_locked(session, tenant_of(principal)) >= limit:
            raise WebhookEndpointLimit(
                f"This account already has {limit} webhook endpoints in "
                f"{'live' if principal.livemode else 'test'} mode, the most allowed; "
                "delete one (DELETE /v1/webhook_endpoints/{id}) or reuse one with "
                "enabled_events ['*'].",
            )
        session.add(endpoint)
    return endpoint


async def retrieve_endpoint(
    ctx: Context, principal: Principal, endpoint_id: str
) -> WebhookEndpoint:
    return await resource.retrieve(ctx, principal, endpoint_id)


async def update_endpoint(
    ctx: Context, principal: Principal, endpoint_id: str, params: dict[str, Any]
) -> WebhookEndpoint:
    now = ctx.clock()
    async with resource.locked(ctx, principal, endpoint_id) as (_, endpoint):
        if params.get("url") is not None:
            endpoint.url = _check_url(ctx, params["url"])
        if params.get("enabled_events") is not None:
            endpoint.enabled_events = _check_events(params["enabled_events"])
        if "description" in params:
            endpoint.description = params["description"]
        if params.get("metadata") is not None:
            merged = {**endpoint.metadata_, **params["metadata"]}
            endpoint.metadata_ = {k: v for k, v in merged.items() if v not in (None, "")}
        if params.get("status") is not None:
            endpoint.status = params["status"]
            if endpoint.status == "enabled":
                endpoint.failing_since = None
        endpoint.updated_at = now
    return endpoint


async def delete_endpoint(ctx: Context, principal: Principal, endpoint_id: str) -> None:
    await resource.delete(ctx, principal, endpoint_id)


async def rotate_secret(
    ctx: Context, principal: Principal, endpoint_id: str, *, overlap: timedelta = ROTATION_OVERLAP
) -> WebhookEndpoint:
    """A new signing secret; the old one keeps signing alongside for ``overlap``."""
    now = ctx.clock()
    async with resource.locked(ctx, principal, endpoint_id) as (_, endpoint):
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_secret_expires_at = now + overlap
        endpoint.secret = new_secret()
        endpoint.updated_at = now
    return endpoint


@dataclass(frozen=True, slots=True)
class Page:
    rows: list[Any]
    has_more: bool


async def list_endpoints(ctx: Context, principal: Principal, cursor: Cursor) -> Page:
    rows, has_more = await resource.list(ctx, principal, cursor)
    return Page(rows, has_more)


async def list_attempts(
    ctx: Context, principal: Principal, endpoint_id: str, cursor: Cursor
) -> Page:
    tenant = tenant_of(principal)
    async with ctx.db.read() as session:
        await resource.require(session, tenant, endpoint_id)
        after_pk, before_pk = await cursor_pks(
            cursor,
            lambda attempt_id: store.attempt_pk(session, endpoint_id, attempt_id),
            "delivery",
        )
        rows, has_more = await store.list_attempts(
            session, endpoint_id, limit=cursor.limit, after_pk=after_pk, before_pk=before_pk
        )
    return Page(rows, has_more)


async def redeliver(
    ctx: Context, principal: Principal | None, event_id: str, *, endpoint_id: str | None = None
) -> int:
    """Queue the event again for its subscribed endpoints (or one endpoint).

    ``principal`` is None for operators (the CLI), who may redeliver any event.
    Returns the number of deliveries queued.
    """
    now = ctx.clock()
    async with ctx.db.write() as session:
        if principal is None:
            event = await event_store.get_event_by_id(session, event_id)
        else:
            event = await event_store.get_event(session, tenant_of(principal), event_id)
        if event is None:
            raise NotFound(f"No such event: '{event_id}'.", param="id")
        owner = Tenant(event.account_id, event.livemode)
        if endpoint_id is not None:
            endpoint = await store.endpoints.get(session, owner, endpoint_id)
            if endpoint is None:
                raise NotFound(f"No such webhook endpoint: '{endpoint_id}'.", param="endpoint")
            targets = [endpoint]
        else:
            targets = [
                endpoint
                for endpoint in await event_store.enabled_endpoints(
                    session, owner.account_id, owner.livemode
                )
                if events.subscribes(endpoint, event.type)
            ]
        for endpoint in targets:
            session.add(events.new_delivery(endpoint, event, now))
        return len(targets)
