"""Refunds of ACP sessions, in every ACP version, over real HTTP on both engines.

A session is bought in one version; the merchant refunds it natively. The order
webhooks reach the test receiver in the session's version and are validated
against that version's webhook OpenAPI document (``WebhookEvent``; from
2026-04-17 it composes the checkout spec's ``Order``, resolved across the two
files): up to 2026-01-30 ``refunds[]``, from 2026-04-17 ``adjustments[]`` and an
``amount_refunded`` total, which the session's ``order`` carries too.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from tests.conftest import MISSING_SHARED, SHARED

ACP = SHARED / "specs" / "acp"
if not (ACP / "spec").is_dir():
    pytest.skip(f"{MISSING_SHARED} {ACP / 'spec'}", allow_module_level=True)

from tests.test_acp import (  # noqa: E402  (after the skip: it reads the spec at import)
    acp_server,
    agent,
    merchant,
    native,
    orders_for,
    receiver,
)
from tests.test_acp_versions import VERSIONS, Agent, validator  # noqa: E402

__all__ = ["acp_server", "agent", "merchant", "native", "receiver"]  # fixtures


@cache
def webhook_validator(version: str) -> Draft202012Validator:
    """``WebhookEvent`` of the version's webhook OpenAPI document, with its
    cross-file ``$ref`` into the checkout document resolved."""
    folder = ACP / "spec" / version / "openapi"
    registry: Registry[Any] = Registry()
    for name in ("openapi.agentic_checkout_webhook.yaml", "openapi.agentic_checkout.yaml"):
        document = yaml.safe_load((folder / name).read_text())
        registry = registry.with_resource(
            (folder / name).as_uri(), DRAFT202012.create_resource(document)
        )
    hook = (folder / "openapi.agentic_checkout_webhook.yaml").as_uri()
    return Draft202012Validator(
        {"$ref": f"{hook}#/components/schemas/WebhookEvent"},
        registry=registry,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def _check_delivery(version: str, body: dict[str, Any]) -> None:
    webhook_validator(version).validate(body)
    if version >= "2026-04-17":
        validator(version, "Order").validate(body["data"])


def _deliveries(receiver, session_id: str) -> list[dict[str, Any]]:
    return [r.json for r in orders_for(receiver, session_id)]


def _totals(order: dict[str, Any]) -> dict[str, int]:
    return {total["type"]: total["amount"] for total in order["totals"]}


@pytest.mark.parametrize("version", VERSIONS)
def test_refunds_reach_the_agent_in_the_sessions_version(agent, native, receiver, version):
    speaker = Agent(agent.http, version)
    session = speaker.ready_session()
    path = f"/checkout_sessions/{session['id']}"
    done = speaker.post(f"{path}/complete", speaker.payment_body()).json()
    assert done["status"] == "completed"
    seen = native.get(f"/v1/checkouts/{session['id']}").json()
    assert seen["custom"]["acp"]["api_version"] == version  # what the webhooks speak
    total = seen["amount_total"]
    receiver.wait_for(lambda: len(_deliveries(receiver, session["id"])) >= 1)

    partial = native.post(f"/v1/checkouts/{session['id']}/refunds", json={"amount": 100})
    assert partial.status_code == 201, partial.text
    # Each refund changes the order twice (created pending, then succeeded): two updates.
    receiver.wait_for(lambda: len(_deliveries(receiver, session["id"])) >= 3)
    rest = native.post(
        f"/v1/checkouts/{session['id']}/refunds", json={"reason": "requested_by_customer"}
    )
    assert rest.status_code == 201, rest.text
    receiver.wait_for(lambda: len(_deliveries(receiver, session["id"])) >= 5)

    bodies = _deliveries(receiver, session["id"])
    for body in bodies:
        _check_delivery(version, body)
    assert [b["type"] for b in bodies] == ["order_create"] + ["order_update"] * 4
    created, *_, last = bodies
    assert created["data"]["status"] == "created"
    assert last["data"]["checkout_session_id"] == session["id"]
    assert last["data"]["status"] == "confirmed"
    if version < "2026-04-17":
        assert created["data"]["refunds"] == []
        assert bodies[1]["data"]["refunds"] == []  # the first refund is still pending
        assert bodies[2]["data"]["refunds"] == [{"type": "original_payment", "amount": 100}]
        assert last["data"]["refunds"] == [
            {"type": "original_payment", "amount": 100},
            {"type": "original_payment", "amount": total - 100},
        ]
    else:
        assert created["data"]["adjustments"] == []
        assert "amount_refunded" not in _totals(created["data"])
        assert [a["status"] for a in bodies[1]["data"]["adjustments"]] == ["pending"]
        adjustments = last["data"]["adjustments"]
        assert [(a["type"], a["status"], a["amount"], a["currency"]) for a in adjustments] == [
            ("refund", "completed", 100, "usd"),
            ("refund", "completed", total - 100, "usd"),
        ]
        assert adjustments[0]["id"] == "adj_" + partial.json()["id"].removeprefix("re_")
        assert adjustments[1]["reason"] == "requested_by_customer"
        assert _totals(last["data"])["amount_refunded"] == total
        assert _totals(last["data"])["total"] == total
        # The session's order says the same (validated against the bundle by the agent).
        order = speaker.get(path).json()["order"]
        assert order["adjustments"] == adjustments and order["status"] == "confirmed"
        assert _totals(order)["amount_refunded"] == total
        listed = speaker.get("/checkout_sessions?limit=100").json()["data"]
        assert next(s for s in listed if s["id"] == session["id"])["order"] == order
    native_order = native.get("/v1/orders", params={"checkout": session["id"]}).json()["data"][0]
    assert native_order["amount_refunded"] == total


def test_fulfillment_updates_reach_the_agent_too(agent, native, receiver):
    speaker = Agent(agent.http, "2026-04-17")
    session = speaker.ready_session()
    speaker.post(f"/checkout_sessions/{session['id']}/complete", speaker.payment_body())
    receiver.wait_for(lambda: len(_deliveries(receiver, session["id"])) >= 1)
    order_id = "ord_" + session["id"].removeprefix("cs_")
    shipped = native.post(f"/v1/orders/{order_id}/fulfillment_events", json={"type": "shipped"})
    assert shipped.status_code == 201, shipped.text
    receiver.wait_for(lambda: len(_deliveries(receiver, session["id"])) >= 2)
    update = _deliveries(receiver, session["id"])[1]
    _check_delivery("2026-04-17", update)
    assert update["type"] == "order_update" and update["data"]["status"] == "shipped"
    order = speaker.get(f"/checkout_sessions/{session['id']}").json()["order"]
    assert order["status"] == "shipped"
