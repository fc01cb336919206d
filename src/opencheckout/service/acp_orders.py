"""ACP orders and their webhooks (``order_create``, ``order_update``).

An ACP *order* is not a second record: it is how a paid checkout session is
shown to an agent (the order id is derived from the session id). Its webhooks
ride on the existing outbox. When ``OPENCHECKOUT_ACP_WEBHOOK_URL`` and
``OPENCHECKOUT_ACP_WEBHOOK_SECRET`` are set, the first ACP session of an
account (per mode) gets a webhook endpoint row subscribed to
``checkout.completed``; events then create deliveries in the same transaction
as the change, and the worker claims, retries (same schedule, 3-day give-up),
logs and redelivers them like any other. Only the body and the signature
differ: the worker asks :func:`render` for the ACP ``WebhookEvent`` and the
``Merchant-Signature`` header instead of Standard Webhooks'.

Why an endpoint row rather than a separate queue: it reuses every piece of
the delivery machinery (leases, retries, attempts log, ``redeliver``) with no
new table, and the merchant sees the ACP deliveries in
``/v1/webhook_endpoints``. The shared secret stays in the environment (the
platform issues it); the row's own secret is never used.

Only sessions that carry ACP state (``custom.acp``, written by the ``/acp``
surface) are reported to the agent platform; others are skipped.

``checkout.completed`` becomes ``order_create``; every later change of the
order (``order.updated``: a refund created or settled, a fulfillment event)
becomes ``order_update`` with the whole order, in the ACP version the session
was created in (``custom.acp.api_version``): up to 2026-01-30 the webhook's
``EventDataOrder`` with ``refunds[]`` (the succeeded ones, as
``original_payment``), from 2026-04-17 the checkout spec's ``Order`` with
``adjustments[]`` and an ``amount_refunded`` total.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import orjson
from sqlalchemy.exc import IntegrityError

from opencheckout.config import Settings
from opencheckout.domain.errors import InvalidValue
from opencheckout.service.auth import Principal
from opencheckout.service.context import Context
from opencheckout.service.views import checkout_resource
from opencheckout.store import checkout_records
from opencheckout.store import webhooks as webhook_store
from opencheckout.store.models import Event, WebhookEndpoint
from opencheckout.store.tenant import Tenant
from opencheckout.webhooks import acp_signature
from opencheckout.webhooks.netguard import validate_endpoint_url
from opencheckout.webhooks.sender import AttemptResult, deliver
from opencheckout.webhooks.signing import USER_AGENT, new_secret

logger = logging.getLogger("opencheckout.acp")

#: ``metadata`` key marking the endpoint row that carries ACP order events.
ENDPOINT_MARKER = "opencheckout_acp"
ENDPOINT_MARKER_VALUE = "order_events"
#: Native events an ACP endpoint subscribes to.
SUBSCRIBED_EVENTS = ["checkout.completed", "order.updated"]
#: ``custom`` key under which the ACP surface keeps what has no native field.
CUSTOM_KEY = "acp"
#: The ACP version a session was created in, under ``custom.acp``.
VERSION_KEY = "api_version"
#: The internal (and latest) version; sessions made before versions were recorded.
LATEST_VERSION = "2026-04-17"
#: Versions whose order webhook is the flat ``EventDataOrder`` with ``refunds[]``.
LEGACY_WEBHOOK_VERSIONS = frozenset({"2025-09-29", "2025-12-12", "2026-01-16", "2026-01-30"})
#: Native order status -> the order ``status`` (2026-04-17; legacy webhooks).
_STATUSES = {
    "confirmed": ("confirmed", "confirmed"),
    "partially_fulfilled": ("shipped", "shipped"),
    "fulfilled": ("shipped", "fulfilled"),
    "canceled": ("canceled", "canceled"),
}
#: Native refund status -> the ACP ``Adjustment`` status.
_ADJUSTMENT_STATUSES = {"pending": "pending", "succeeded": "completed", "failed": "failed"}


def order_id(checkout_id: str) -> str:
    """The order of session ``cs_X`` is ``ord_X``: derived, so nothing more is stored."""
    return "ord_" + checkout_id.removeprefix("cs_")


def session_totals(resource: dict[str, Any]) -> list[dict[str, Any]]:
    """The native ``totals[]`` (already in ACP's types), without zero-amount noise
    for discounts and fulfillment that the session does not have."""
    keep_zero = {"items_base_amount", "subtotal", "tax", "total"}
    return [
        {"type": total["type"], "display_text": total["display_text"], "amount": total["amount"]}
        for total in resource["totals"]
        if total["amount"] != 0 or total["type"] in keep_zero
    ]


def adjustment(entry: dict[str, Any]) -> dict[str, Any]:
    """A native order adjustment (a refund) as an ACP ``Adjustment``."""
    out: dict[str, Any] = {
        "id": entry["id"],
        "type": entry["type"],
        "occurred_at": entry.get("updated_at") or entry["created_at"],
        "status": _ADJUSTMENT_STATUSES.get(entry["status"], entry["status"]),
        "amount": entry["amount"],
        "currency": entry["currency"],
    }
    if entry.get("reason"):
        out["reason"] = entry["reason"]
    return out


def legacy_refunds(order: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The ``refunds[]`` of the webhooks up to 2026-01-30: what was given back."""
    return [
        {"type": "original_payment", "amount": entry["amount"]}
        for entry in (order or {}).get("adjustments", [])
        if entry.get("type") == "refund" and entry.get("status") == "succeeded"
    ]


def order_of(
    resource: dict[str, Any], *, status: str = "created", order: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The ACP ``Order`` for a paid session (a native ``checkout`` resource), with the
    native ``order``'s adjustments when it is given."""
    totals = session_totals(resource)
    refunded = int((order or resource).get("amount_refunded") or 0)
    if refunded:
        totals.append({"type": "amount_refunded", "display_text": "Refunded", "amount": refunded})
    out: dict[str, Any] = {
        "type": "order",
        "id": order_id(resource["id"]),
        "checkout_session_id": resource["id"],
        "permalink_url": resource["permalink"],
        "status": status,
        "line_items": [
            {
                "id": line["id"],
                "title": line["name"],
                "product_id": line["product"],
                "quantity": {
                    "ordered": line["quantity"],
                    "current": line["quantity"],
                    "fulfilled": 0,
                },
                "unit_price": line["unit_amount"],
                "subtotal": line["amount_subtotal"],
            }
            for line in resource["line_items"]
        ],
    }
    if order is not None:
        out["adjustments"] = [adjustment(entry) for entry in order.get("adjustments", [])]
    out["totals"] = totals
    return out


def is_acp_session(resource: dict[str, Any]) -> bool:
    custom = resource.get("custom")
    return isinstance(custom, dict) and isinstance(custom.get(CUSTOM_KEY), dict)


def order_status(order: dict[str, Any] | None, *, legacy: bool = False) -> str:
    """The ACP order ``status`` of a native order (``created`` before there is one)."""
    if order is None or "status" not in order:
        return "created"
    latest, older = _STATUSES.get(order["status"], ("confirmed", "confirmed"))
    return older if legacy else latest


def session_version(resource: dict[str, Any]) -> str:
    version = (resource.get("custom") or {}).get(CUSTOM_KEY, {}).get(VERSION_KEY)
    return version if isinstance(version, str) else LATEST_VERSION


def order_event(
    event_type: str, resource: dict[str, Any], order: dict[str, Any] | None = None
) -> dict[str, Any] | None:
    """The ACP ``WebhookEvent`` a native event means, or None when it means none.

    ``resource`` is the session (a native ``checkout``), ``order`` its native
    order as the event saw it. ``checkout.completed`` creates the order; any
    later event about a completed session updates it. The body is in the
    session's ACP version.
    """
    if not is_acp_session(resource) or resource.get("status") != "completed":
        return None
    creating = event_type == "checkout.completed"
    kind = "order_create" if creating else "order_update"
    legacy = session_version(resource) in LEGACY_WEBHOOK_VERSIONS
    status = "created" if creating else order_status(order, legacy=legacy)
    if legacy:
        data: dict[str, Any] = {
            "type": "order",
            "checkout_session_id": resource["id"],
            "permalink_url": resource["permalink"],
            "status": status,
            "refunds": legacy_refunds(order),
        }
        return {"type": kind, "data": data}
    shown = order_of(resource, status=status, order=order)
    return {"type": kind, "data": shown}


def configured(settings: Settings) -> bool:
    return bool(settings.acp_webhook_url and settings.acp_webhook_secret)


def _endpoint_id(principal: Principal) -> str:
    """One deterministic row per tenant, so concurrent first sessions cannot make two."""
    raw = f"{principal.account_id}:{int(principal.livemode)}".encode()
    return "we_acp_" + hashlib.sha256(raw).hexdigest()[:24]


def is_acp_endpoint(endpoint: WebhookEndpoint) -> bool:
    return endpoint.metadata_.get(ENDPOINT_MARKER) == ENDPOINT_MARKER_VALUE


async def ensure_endpoint(ctx: Context, principal: Principal) -> None:
    """Make sure this tenant's ACP orders have an endpoint row (when configured).

    Called before an ACP session is created; never fails the checkout: a bad
    URL is logged and the session is created without webhooks.
    """
    settings = ctx.settings
    if not configured(settings):
        return
    assert settings.acp_webhook_url is not None
    try:
        url = validate_endpoint_url(
            settings.acp_webhook_url, allow_private=settings.webhooks_allow_private
        )
    except InvalidValue as exc:
        logger.error("OPENCHECKOUT_ACP_WEBHOOK_URL is not usable: %s", exc.message)
        return
    endpoint_id = _endpoint_id(principal)
    now = ctx.clock()
    try:
        async with ctx.db.write() as session:
            tenant = Tenant(principal.account_id, principal.livemode)
            row = await webhook_store.endpoints.get(session, tenant, endpoint_id)
            if row is None:
                session.add(
                    WebhookEndpoint(
                        id=endpoint_id,
                        account_id=principal.account_id,
                        livemode=principal.livemode,
                        url=url,
                        description="ACP order webhooks (OPENCHECKOUT_ACP_WEBHOOK_URL)",
                        enabled_events=list(SUBSCRIBED_EVENTS),
                        status="enabled",
                        secret=new_secret(),
                        metadata_={ENDPOINT_MARKER: ENDPOINT_MARKER_VALUE},
                        created_at=now,
                        updated_at=now,
                    )
                )
            elif row.url != url or row.enabled_events != SUBSCRIBED_EVENTS:
                row.url = url
                row.enabled_events = list(SUBSCRIBED_EVENTS)
                row.updated_at = now
    except IntegrityError:
        pass  # a concurrent request made the row first


@dataclass(frozen=True, slots=True)
class Rendered:
    """What to send for one delivery to an ACP endpoint; no payload: nothing (``note``)."""

    payload: bytes | None
    headers: dict[str, str]
    note: str = ""
    #: Nothing can be sent *by this process* (it lacks the ACP settings): fail the
    #: attempt so it is retried, by a worker that has them, instead of dropping an
    #: order. A process with the settings that has nothing to send succeeds.
    retry: bool = False


async def render(ctx: Context, endpoint: WebhookEndpoint, event: Event) -> Rendered | None:
    """:func:`render_body` for ``event``, reading the session an ``order.updated``
    event is about (its order is in the event; the session is not)."""
    if not is_acp_endpoint(endpoint) or event.type == "checkout.completed":
        return render_body(ctx.settings, endpoint, event, ctx.clock())
    order = event.data.get("object") or {}
    resource: dict[str, Any] = {}
    if order.get("object") == "order" and isinstance(order.get("checkout"), str):
        tenant = Tenant(event.account_id, event.livemode)
        row = await checkout_records.get(ctx.db, tenant, order["checkout"])
        if row is not None:
            resource = checkout_resource(row, public_url=ctx.settings.public_url, now=ctx.clock())
    return render_body(ctx.settings, endpoint, event, ctx.clock(), session=resource, order=order)


def render_body(
    settings: Settings,
    endpoint: WebhookEndpoint,
    event: Event,
    now: datetime,
    *,
    session: dict[str, Any] | None = None,
    order: dict[str, Any] | None = None,
) -> Rendered | None:
    """The ACP request for ``event``, or None if ``endpoint`` is not an ACP endpoint.

    An ACP endpoint never falls back to Standard Webhooks: when ACP webhooks are no
    longer configured for its URL (the setting was removed or changed), nothing is
    sent, so native payloads cannot reach the agent platform, and a merchant cannot
    mark an endpoint of their own to receive payloads signed with the platform secret.
    """
    if not is_acp_endpoint(endpoint):
        return None
    if not configured(settings) or endpoint.url != settings.acp_webhook_url:
        return Rendered(
            None, {}, "ACP order webhooks are not configured for this URL here", retry=True
        )
    resource = session if session is not None else (event.data.get("object") or {})
    if order is None and event.type == "checkout.completed":
        order = {"status": "confirmed", "adjustments": []}  # as it was created
    body = order_event(event.type, resource, order)
    if body is None:
        return Rendered(None, {}, "not an ACP order event; nothing sent")
    payload = orjson.dumps(body)
    assert settings.acp_webhook_secret is not None
    return Rendered(
        payload=payload,
        headers={
            acp_signature.HEADER: acp_signature.sign(settings.acp_webhook_secret, now, payload),
            # The same id on every retry: receivers deduplicate by it.
            "Request-Id": event.id,
            "Timestamp": now.isoformat().replace("+00:00", "Z"),
            "content-type": "application/json",
            "user-agent": USER_AGENT,
        },
    )


async def send(
    client: httpx.AsyncClient, endpoint: WebhookEndpoint, rendered: Rendered
) -> AttemptResult:
    """POST the rendered event. One with nothing to send is logged with the reason:
    as succeeded (never sent, never retried), or as failed when this process merely
    lacks the configuration, so that the delivery is retried."""
    if rendered.payload is None:
        return AttemptResult(
            succeeded=not rendered.retry,
            status_code=None,
            latency_ms=0,
            error=rendered.note if rendered.retry else None,
            response_body=None if rendered.retry else rendered.note,
        )
    return await deliver(
        client,
        url=endpoint.url,
        secrets=(),
        msg_id="",
        timestamp=datetime.min,
        payload=rendered.payload,
        headers=rendered.headers,
    )
