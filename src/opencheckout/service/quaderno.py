"""Quaderno's session shape and Quaderno's webhooks (``/api/webhooks.json``).

A Quaderno webhook is a webhook endpoint row marked in its ``metadata``; its
integer id is the row number and its ``auth_key`` the row's secret. Deliveries
ride on the ordinary outbox (leases, retries, delivery log, SSRF guard,
redelivery): only the body and the signature differ. The worker asks
:func:`render` for the Quaderno body (``{"event_type", "data": session}``) and
``X-Quaderno-Signature`` = Base64(HMAC-SHA1(url + raw body, auth_key)), the
signature Quaderno documents (reference: providers.md).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from opencheckout.domain.currency import to_major
from opencheckout.domain.errors import InvalidValue, NotFound
from opencheckout.service import webhooks
from opencheckout.service.acp_orders import Rendered
from opencheckout.service.auth import Principal
from opencheckout.service.context import Context
from opencheckout.service.tenancy import tenant_of
from opencheckout.service.views import isoformat
from opencheckout.store import checkouts as checkout_store
from opencheckout.store import webhooks as store
from opencheckout.store.checkouts import Tenant
from opencheckout.store.models import Event, WebhookEndpoint
from opencheckout.webhooks.signing import USER_AGENT

SIGNATURE_HEADER = "X-Quaderno-Signature"
#: ``metadata`` key marking an endpoint made through the Quaderno dialect.
ENDPOINT_MARKER = "opencheckout_dialect"
ENDPOINT_MARKER_VALUE = "quaderno"
#: Quaderno's event names -> the native events that mean them.
EVENT_TYPES = {
    "checkout.succeeded": "checkout.completed",
    "checkout.failed": "checkout.failed",
    "checkout.abandoned": "checkout.abandoned",
}
_QUADERNO_NAME = {native: name for name, native in EVENT_TYPES.items()}


def updatable_quantity(line_items: Sequence[Mapping[str, Any]]) -> bool:
    """Quaderno's session-wide flag: whether the buyer may change quantities."""
    return any((line.get("adjustable_quantity") or {}).get("enabled") for line in line_items)


def session_of(resource: dict[str, Any], number: int) -> dict[str, Any]:
    """A native ``checkout`` resource as Quaderno shows it (id = row number)."""
    currency = resource["currency"]
    customer = resource["customer"]
    address = customer.get("billing_address") or {}
    return {
        "id": number,
        "status": resource["status"],
        "billing_details_collection": resource["billing_details_collection"],
        "cancel_url": resource["cancel_url"],
        "success_url": resource["success_url"],
        "coupon_collection": resource["coupon_collection"],
        "locale": resource["locale"],
        "payment_methods": resource["payment_methods"],
        "custom": resource["custom"],
        "metadata": resource["metadata"],
        "items": [
            {
                "product": item["product"],
                # Quaderno's wire format is a decimal number; the exact value
                # comes from integer minor units and round-trips exactly.
                "amount": float(to_major(item["unit_amount"], currency)),
                "name": item["name"],
                "description": item["description"],
                "currency": currency.upper(),
                "quantity": item["quantity"],
            }
            for item in resource["line_items"]
        ],
        "customer": {
            "billing_city": address.get("city"),
            "billing_country": address.get("country"),
            "billing_postal_code": address.get("postal_code"),
            "billing_street_line_1": address.get("line1"),
            "billing_street_line_2": address.get("line2"),
            "company": customer.get("company"),
            "contact": customer.get("id"),
            "email": customer.get("email"),
            "first_name": customer.get("first_name"),
            "last_name": customer.get("last_name"),
            "tax_id": customer.get("tax_id"),
            "business_number": customer.get("business_number"),
        },
        "permalink": resource["permalink"],
        "processor": resource["processor"],
        "processor_id": resource["processor_id"],
        "updatable_quantity": updatable_quantity(resource["line_items"]),
        "amount_total": float(to_major(resource["amount_total"], currency)),
        # Quaderno has no refunds of its own: a refunded session stays ``completed``
        # (final) and says how much was given back, as the native session does.
        "amount_refunded": float(to_major(resource.get("amount_refunded") or 0, currency)),
        "payment_status": resource["payment_status"],
    }


def signature(url: str, body: bytes, auth_key: str) -> str:
    """Base64(HMAC-SHA1(url + raw body, auth_key))."""
    mac = hmac.new(auth_key.encode("utf-8"), url.encode("utf-8") + body, hashlib.sha1)
    return base64.b64encode(mac.digest()).decode("ascii")


def is_quaderno_endpoint(endpoint: WebhookEndpoint) -> bool:
    return endpoint.metadata_.get(ENDPOINT_MARKER) == ENDPOINT_MARKER_VALUE


def webhook_resource(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {
        "id": endpoint.pk,
        "url": endpoint.url,
        "auth_key": endpoint.secret,
        "events_types": [
            _QUADERNO_NAME[name] for name in endpoint.enabled_events if name in _QUADERNO_NAME
        ],
        "status": endpoint.status,
        "created_at": isoformat(endpoint.created_at),
        "updated_at": isoformat(endpoint.updated_at),
    }


def _native_events(types: Any) -> list[str]:
    if not isinstance(types, list) or not types:
        raise InvalidValue(
            "events_types must be a non-empty list of: " + ", ".join(EVENT_TYPES) + ".",
            param="events_types",
        )
    for index, name in enumerate(types):
        if name not in EVENT_TYPES:
            raise InvalidValue(
                f"Unknown event type '{str(name)[:60]}'. Use: " + ", ".join(EVENT_TYPES) + ".",
                param=f"events_types[{index}]",
            )
    return list(dict.fromkeys(EVENT_TYPES[name] for name in types))


def _url(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidValue(
            "Missing required parameter: url (where to send the events).",
            code="parameter_missing",
            param="url",
        )
    return value


async def create_webhook(
    ctx: Context, principal: Principal, body: dict[str, Any]
) -> WebhookEndpoint:
    params = {
        "url": _url(body.get("url")),
        "enabled_events": _native_events(body.get("events_types")),
        "description": "Quaderno webhook",
        "metadata": {ENDPOINT_MARKER: ENDPOINT_MARKER_VALUE},
    }
    return await webhooks.create_endpoint(ctx, principal, params)


async def list_webhooks(ctx: Context, principal: Principal) -> list[WebhookEndpoint]:
    async with ctx.db.read() as session:
        rows = await store.all_endpoints(session, tenant_of(principal))
    return [row for row in rows if is_quaderno_endpoint(row)]


async def retrieve_webhook(ctx: Context, principal: Principal, number: int) -> WebhookEndpoint:
    async with ctx.db.read() as session:
        row = await store.get_endpoint_by_pk(session, tenant_of(principal), number)
    if row is None or not is_quaderno_endpoint(row):
        raise NotFound(f"No such webhook: {number}.", param="id")
    return row


async def update_webhook(
    ctx: Context, principal: Principal, number: int, body: dict[str, Any]
) -> WebhookEndpoint:
    params: dict[str, Any] = {}
    if "url" in body:
        params["url"] = _url(body["url"])
    if "events_types" in body:
        params["enabled_events"] = _native_events(body["events_types"])
    endpoint = await retrieve_webhook(ctx, principal, number)
    return await webhooks.update_endpoint(ctx, principal, endpoint.id, params)


async def delete_webhook(ctx: Context, principal: Principal, number: int) -> None:
    endpoint = await retrieve_webhook(ctx, principal, number)
    await webhooks.delete_endpoint(ctx, principal, endpoint.id)


async def render(ctx: Context, endpoint: WebhookEndpoint, event: Event) -> Rendered | None:
    """The Quaderno request for ``event``, or None if ``endpoint`` is not a Quaderno one."""
    if not is_quaderno_endpoint(endpoint):
        return None
    name = _QUADERNO_NAME.get(event.type)
    resource = event.data.get("object") or {}
    if name is None or resource.get("object") != "checkout":
        return Rendered(None, {}, "not a Quaderno webhook event; nothing sent")
    async with ctx.db.read() as session:
        tenant = Tenant(event.account_id, event.livemode)
        number = await checkout_store.pk_of(session, tenant, resource["id"])
    if number is None:
        return Rendered(None, {}, "the session no longer exists; nothing sent")
    payload = orjson.dumps({"event_type": name, "data": session_of(resource, number)})
    return Rendered(
        payload=payload,
        headers={
            SIGNATURE_HEADER: signature(endpoint.url, payload, endpoint.secret),
            "content-type": "application/json",
            "user-agent": USER_AGENT,
        },
    )
