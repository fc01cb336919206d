"""UCP orders: their shape for each version and the order webhooks to platforms.

A UCP order is the native order (``service.orders``) in the shape of the
platform's version. Platforms name their webhook URL in their profile (the
order capability's ``config.webhook_url``); the first checkout of a platform
makes a webhook endpoint row for that URL (marked as UCP), so order events ride
on the existing outbox: deliveries are created in the same transaction as the
change and the worker claims, retries, logs and redelivers them like any other.
Only the body differs: :func:`render` gives the full UCP order (the
specification: the full order when it is placed and on every update) with ``event_id`` and
``created_time``, the ``Webhook-Id``/``Webhook-Timestamp`` headers, a
``Content-Digest``, ``UCP-Agent`` naming our profile and the version's signature
(:mod:`opencheckout.webhooks.ucp_signature`; the key is in the profile's
``signing_keys``). Only sessions the
platform created (``custom.ucp.webhook_url`` is the endpoint's URL) are sent.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

import orjson
from sqlalchemy.exc import IntegrityError

from opencheckout.domain.errors import InvalidValue
from opencheckout.service import ucp_versions
from opencheckout.service.acp_orders import Rendered
from opencheckout.service.auth import Principal
from opencheckout.service.context import Context
from opencheckout.service.tenancy import tenant_of
from opencheckout.service.ucp_versions import Version
from opencheckout.service.views import checkout_resource, isoformat
from opencheckout.store import checkout_records
from opencheckout.store import webhooks as webhook_store
from opencheckout.store.models import Event, WebhookEndpoint
from opencheckout.store.tenant import Tenant
from opencheckout.webhooks import ucp_signature
from opencheckout.webhooks.netguard import validate_endpoint_url
from opencheckout.webhooks.signing import USER_AGENT, new_secret

logger = logging.getLogger("opencheckout.ucp")

#: ``custom`` key of the sessions made over UCP.
CUSTOM_KEY = "ucp"
ENDPOINT_MARKER = "opencheckout_dialect"
ENDPOINT_MARKER_VALUE = "ucp_orders"
SUBSCRIBED_EVENTS = ["order.created", "order.updated"]

#: UCP postal address field -> native address field.
ADDRESS_FIELDS = {
    "street_address": "line1",
    "extended_address": "line2",
    "address_locality": "city",
    "address_region": "state",
    "postal_code": "postal_code",
    "address_country": "country",
}


def ucp_address(address: dict[str, Any]) -> dict[str, Any]:
    out = {
        ucp: address.get(native)
        for ucp, native in ADDRESS_FIELDS.items()
        if address.get(native) not in (None, "")
    }
    return out


def discount_amount(version: Version, amount: int) -> int:
    return -amount if version.signed_discounts else amount


def line_totals(version: Version, line: dict[str, Any]) -> list[dict[str, Any]]:
    totals: list[dict[str, Any]] = [{"type": "subtotal", "amount": line["amount_subtotal"]}]
    if line["amount_discount"]:
        totals.append(
            {"type": "discount", "amount": discount_amount(version, line["amount_discount"])}
        )
    if line["amount_tax"]:
        totals.append({"type": "tax", "amount": line["amount_tax"]})
    totals.append({"type": "total", "amount": line["amount_total"]})
    return totals


def totals(version: Version, data: dict[str, Any]) -> list[dict[str, Any]]:
    """Session (or order) totals; ``tax`` is what is added on top of the prices, so the
    entries add up to ``total`` (inclusive tax is already inside the subtotal)."""
    exclusive_tax = (
        data["amount_total"]
        - data["amount_subtotal"]
        + data["amount_discount"]
        - data["amount_shipping"]
    )
    out: list[dict[str, Any]] = [
        {"type": "subtotal", "display_text": "Subtotal", "amount": data["amount_subtotal"]}
    ]
    if data["amount_discount"]:
        out.append(
            {
                "type": "discount",
                "display_text": "Discount",
                "amount": discount_amount(version, data["amount_discount"]),
            }
        )
    if data.get("shipping_selected", True) and (
        data["amount_shipping"] or data.get("shipping_selected")
    ):
        out.append(
            {"type": "fulfillment", "display_text": "Shipping", "amount": data["amount_shipping"]}
        )
    if exclusive_tax:
        out.append({"type": "tax", "display_text": "Tax", "amount": exclusive_tax})
    out.append({"type": "total", "display_text": "Total", "amount": data["amount_total"]})
    return out


def order(
    version: Version, resource: dict[str, Any], active: frozenset[str], permalink: str
) -> dict[str, Any]:
    """A native order (``service.orders.order_resource``) as a UCP order."""
    amounts = {
        key: resource[key]
        for key in ("amount_subtotal", "amount_discount", "amount_shipping", "amount_total")
    }
    amounts["shipping_selected"] = resource.get("shipping_option") is not None
    body: dict[str, Any] = {
        "ucp": version.metadata("order", active),
        "id": resource["id"],
        "checkout_id": resource["checkout"],
        "permalink_url": permalink,
        "line_items": _order_lines(version, resource),
        "fulfillment": _fulfillment(resource),
        "adjustments": [_adjustment(version, entry) for entry in resource["adjustments"]],
        "currency": resource["currency"].upper(),
        "totals": totals(version, amounts),
    }
    if version.arrays:
        body.pop("currency")
    return body


def _whole_order(resource: dict[str, Any]) -> list[dict[str, Any]]:
    """Every line at its full quantity: what an event naming no lines covers."""
    return [{"id": li["id"], "quantity": li["quantity"]} for li in resource["line_items"]]


def _fulfilled_quantities(resource: dict[str, Any]) -> dict[str, int]:
    """Per line id, the quantity shipped or delivered so far (by the order's events)."""
    done: dict[str, int] = {}
    for event in resource["fulfillment_events"]:
        if event["type"] in ("shipped", "delivered"):
            for line in event["line_items"] or _whole_order(resource):
                done[line["id"]] = max(done.get(line["id"], 0), 0) + int(line["quantity"])
    return done


def _order_lines(version: Version, resource: dict[str, Any]) -> list[dict[str, Any]]:
    """The order's lines, each with how much of it is fulfilled and its status."""
    done = _fulfilled_quantities(resource)
    lines = []
    for line in resource["line_items"]:
        fulfilled = min(done.get(line["id"], 0), line["quantity"])
        lines.append(
            {
                "id": line["id"],
                "item": {
                    "id": line["product"],
                    "title": line["name"],
                    "price": line["unit_amount"],
                },
                "quantity": {"total": line["quantity"], "fulfilled": fulfilled},
                "totals": line_totals(version, line),
                "status": "fulfilled"
                if fulfilled >= line["quantity"]
                else ("partial" if fulfilled else "processing"),
            }
        )
    return lines


def _fulfillment(resource: dict[str, Any]) -> dict[str, Any]:
    """The fulfillment events (absent fields left out), and where it ships when it does."""
    fulfillment_: dict[str, Any] = {
        "events": [
            {
                key: value
                for key, value in {
                    "id": event["id"],
                    "occurred_at": event["occurred_at"],
                    "type": event["type"],
                    "line_items": event["line_items"] or _whole_order(resource),
                    "tracking_number": event.get("tracking_number"),
                    "tracking_url": event.get("tracking_url"),
                    "carrier": event.get("carrier"),
                }.items()
                if value is not None
            }
            for event in resource["fulfillment_events"]
        ]
    }
    address = resource.get("shipping_address")
    if address:
        fulfillment_["expectations"] = [
            {
                "id": "exp_1",
                "line_items": _whole_order(resource),
                "method_type": "shipping",
                "destination": ucp_address(address),
            }
        ]
    return fulfillment_


def _adjustment(version: Version, entry: dict[str, Any]) -> dict[str, Any]:
    status = {"succeeded": "completed", "pending": "pending"}.get(entry.get("status", ""), "failed")
    out: dict[str, Any] = {
        "id": entry["id"],
        "type": entry.get("type", "refund"),
        "occurred_at": entry.get("occurred_at") or entry.get("created_at"),
        "status": status,
    }
    amount = int(entry.get("amount") or 0)
    if version.arrays:
        out["amount"] = amount
    else:
        out["totals"] = [{"type": "total", "amount": amount}]
    return out


def _endpoint_id(tenant: Tenant, url: str) -> str:
    """One deterministic row per tenant and platform URL (concurrent first checkouts
    of a platform cannot make two)."""
    raw = f"{tenant.account_id}:{int(tenant.livemode)}:{url}".encode()
    return "we_ucp_" + hashlib.sha256(raw).hexdigest()[:24]


def is_ucp_endpoint(endpoint: WebhookEndpoint) -> bool:
    return endpoint.metadata_.get(ENDPOINT_MARKER) == ENDPOINT_MARKER_VALUE


async def ensure_endpoint(ctx: Context, principal: Principal, url: str) -> str | None:
    """The platform's webhook URL as the endpoint row's (validated) URL, making the row
    when it is new; None (logged) when the URL is not usable: the checkout goes on
    without webhooks."""
    try:
        url = validate_endpoint_url(url, allow_private=ctx.settings.webhooks_allow_private)
    except InvalidValue as exc:
        logger.warning("a UCP platform's webhook_url is not usable: %s", exc.message)
        return None
    tenant = tenant_of(principal)
    endpoint_id = _endpoint_id(tenant, url)
    now = ctx.clock()
    try:
        async with ctx.db.write() as session:
            row = await webhook_store.endpoints.get(session, tenant, endpoint_id)
            if row is None:
                session.add(
                    WebhookEndpoint(
                        id=endpoint_id,
                        account_id=tenant.account_id,
                        livemode=tenant.livemode,
                        url=url,
                        description="UCP order webhooks (a platform's webhook_url)",
                        enabled_events=list(SUBSCRIBED_EVENTS),
                        status="enabled",
                        secret=new_secret(),
                        metadata_={ENDPOINT_MARKER: ENDPOINT_MARKER_VALUE},
                        created_at=now,
                        updated_at=now,
                    )
                )
    except IntegrityError:
        pass  # a concurrent request made the row first
    return url


def _nothing(note: str) -> Rendered:
    return Rendered(None, {}, note)


async def render(ctx: Context, endpoint: WebhookEndpoint, event: Event) -> Rendered | None:
    """The UCP order webhook for ``event``, or None if ``endpoint`` is not a UCP one."""
    if not is_ucp_endpoint(endpoint):
        return None
    obj = event.data.get("object") or {}
    tenant = Tenant(event.account_id, event.livemode)
    if event.type not in SUBSCRIBED_EVENTS or obj.get("object") != "order":
        return _nothing("not an order event; nothing sent")
    checkout = await checkout_records.get(ctx.db, tenant, obj["checkout"])
    if checkout is None:
        return _nothing("the session no longer exists; nothing sent")
    resource = checkout_resource(checkout, public_url=ctx.settings.public_url, now=ctx.clock())
    state = resource["custom"].get(CUSTOM_KEY)
    if not isinstance(state, dict) or state.get("webhook_url") != endpoint.url:
        return _nothing("not an order of this platform; nothing sent")
    version = ucp_versions.VERSIONS.get(
        str(state.get("version")), ucp_versions.VERSIONS[ucp_versions.LATEST]
    )
    # The order as the event saw it: created, then each change in full.
    body = order(version, obj, frozenset({ucp_versions.ORDER}), resource["permalink"])
    body["event_id"] = event.id
    body["created_time"] = isoformat(event.created_at)
    payload = orjson.dumps(body)
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": event.id,
        "webhook-timestamp": str(int(event.created_at.timestamp())),
        "content-digest": ucp_signature.content_digest(payload),
        "ucp-agent": f'profile="{ctx.settings.public_url}/.well-known/ucp"',
    }
    if version.arrays:  # 2026-01-11: a detached JWS over the body
        headers["request-signature"] = ucp_signature.detached_jws(ctx.settings, payload)
    else:  # from 2026-04-08: RFC 9421
        headers |= ucp_signature.sign_request(ctx.settings, "POST", endpoint.url, headers)
    return Rendered(payload=payload, headers=headers)
