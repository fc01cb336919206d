"""Refunds through the test processor: the resource, the session's refunded state,
the refusals, idempotency, events, tenancy and a race of twenty partial refunds."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from opencheckout.config import Settings
from opencheckout.domain.errors import ProcessorUnavailable
from opencheckout.pages.i18n import SUPPORTED_LOCALES
from opencheckout.processors import test as test_processor
from opencheckout.processors.base import RefundResult
from opencheckout.service import auth as auth_service
from opencheckout.service import refunds as refund_service
from opencheckout.service.context import Context
from opencheckout.store.db import Database
from tests.conftest import client_for
from tests.factories import assert_error, create_session, paid_session
from tests.hosted import buyer, page_path

RACERS = 20


def _refund(api: httpx.Client, checkout_id: str, **body: Any) -> httpx.Response:
    return api.post(f"/v1/checkouts/{checkout_id}/refunds", json=body)


def test_partial_then_the_rest(api):
    session = paid_session(api)
    total = session["amount_total"]
    assert session["amount_refunded"] == 0
    first = _refund(
        api, session["id"], amount=1000, reason="requested_by_customer", metadata={"ticket": "T-1"}
    )
    assert first.status_code == 201, first.text
    refund = first.json()
    assert refund["id"].startswith("re_") and refund["object"] == "refund"
    assert refund["checkout"] == session["id"]
    assert (refund["amount"], refund["currency"], refund["status"]) == (1000, "eur", "succeeded")
    assert refund["reason"] == "requested_by_customer"
    assert refund["metadata"] == {"ticket": "T-1"}
    assert refund["created_at"].endswith("Z")
    after = api.get(f"/v1/checkouts/{session['id']}").json()
    assert after["amount_refunded"] == 1000
    assert after["payment_status"] == "partially_refunded"
    assert after["status"] == "completed"

    rest = _refund(api, session["id"])
    assert rest.status_code == 201, rest.text
    assert rest.json()["amount"] == total - 1000
    full = api.get(f"/v1/checkouts/{session['id']}").json()
    assert full["amount_refunded"] == total and full["payment_status"] == "refunded"
    assert_error(_refund(api, session["id"]), 422, code="refund_amount_invalid", param="amount")
    assert_error(_refund(api, session["id"], amount=1), 422, code="refund_amount_invalid")

    listed = api.get(f"/v1/checkouts/{session['id']}/refunds").json()
    assert listed["object"] == "list" and listed["has_more"] is False
    assert [r["id"] for r in listed["data"]] == [rest.json()["id"], refund["id"]]
    assert api.get(f"/v1/refunds/{refund['id']}").json() == refund
    page = api.get("/v1/refunds", params={"checkout": session["id"], "limit": 1}).json()
    assert page["has_more"] is True and page["data"][0]["id"] == rest.json()["id"]
    older = api.get(
        "/v1/refunds", params={"checkout": session["id"], "starting_after": rest.json()["id"]}
    ).json()
    assert [r["id"] for r in older["data"]] == [refund["id"]]
    failed = api.get("/v1/refunds", params={"checkout": session["id"], "status": "failed"})
    assert failed.json()["data"] == []
    paid_filter = api.get("/v1/checkouts", params={"payment_status": "refunded"}).json()
    assert session["id"] in [row["id"] for row in paid_filter["data"]]

    types = [
        e["type"]
        for e in api.get("/v1/events", params={"type": "refund.*", "limit": 100}).json()["data"]
        if e["data"]["object"]["checkout"] == session["id"]
    ]
    assert sorted(types) == sorted(["refund.created", "refund.succeeded"] * 2)


def test_refusals(api):
    pending = create_session(api)
    assert_error(_refund(api, pending["id"]), 409, code="checkout_not_refundable")
    assert_error(_refund(api, "cs_missing"), 404, param="id")
    session = paid_session(api)
    assert_error(
        _refund(api, session["id"], amount=session["amount_total"] + 1),
        422,
        code="refund_amount_invalid",
        param="amount",
    )
    for bad in (0, -5, "100", 1.5):
        assert_error(_refund(api, session["id"], amount=bad), 422)
    assert_error(_refund(api, session["id"], reason="x" * 501), 422)
    assert_error(_refund(api, session["id"], unknown=1), 422)
    assert_error(api.get("/v1/refunds/re_missing"), 404, param="id")
    assert_error(api.get("/v1/refunds", params={"status": "lost"}), 422)
    assert_error(api.get("/v1/refunds", params={"checkout": "cs_missing"}), 404)
    untouched = api.get(f"/v1/checkouts/{session['id']}").json()
    assert untouched["amount_refunded"] == 0 and untouched["payment_status"] == "paid"


def test_zero_total_is_not_refundable(api):
    free = api.post("/v1/coupons", json={"percent_off": 100}).json()
    session = create_session(api, discounts=[{"coupon": free["id"]}])
    done = api.post(f"/v1/checkouts/{session['id']}/complete", json={})
    assert done.json()["payment_status"] == "no_payment_required"
    assert_error(_refund(api, session["id"]), 409, code="checkout_not_refundable")


def test_idempotency_key_makes_one_refund(api):
    session = paid_session(api)
    headers = {"Idempotency-Key": f"refund-{session['id']}"}
    url = f"/v1/checkouts/{session['id']}/refunds"
    first = api.post(url, json={"amount": 500}, headers=headers)
    again = api.post(url, json={"amount": 500}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert len(api.get(url).json()["data"]) == 1
    assert api.get(f"/v1/checkouts/{session['id']}").json()["amount_refunded"] == 500


def test_refunds_are_invisible_to_other_accounts(api, server, other_account):
    session = paid_session(api)
    refund = _refund(api, session["id"], amount=100).json()
    with client_for(server, other_account.secret_key) as other:
        assert_error(other.get(f"/v1/refunds/{refund['id']}"), 404)
        assert_error(other.post(f"/v1/checkouts/{session['id']}/refunds", json={}), 404)
        assert other.get("/v1/refunds").json()["data"] == []


async def _together(server, key: str, url: str, amount: int) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=RACERS + 5, max_keepalive_connections=RACERS + 5)
    async with httpx.AsyncClient(
        base_url=server.url, headers={"Authorization": f"Bearer {key}"}, timeout=120, limits=limits
    ) as client:
        await asyncio.gather(*(client.get("/healthz") for _ in range(RACERS)))
        start = asyncio.Event()

        async def one() -> httpx.Response:
            await start.wait()
            return await client.post(url, json={"amount": amount})

        tasks = [asyncio.create_task(one()) for _ in range(RACERS)]
        await asyncio.sleep(0.05)
        start.set()
        return await asyncio.gather(*tasks)


def test_twenty_concurrent_partial_refunds_never_exceed_what_was_paid(server, account, api):
    session = paid_session(api)
    total = session["amount_total"]  # 5799
    amount = total // 7 + 1  # seven fit, the eighth would pass the total
    url = f"/v1/checkouts/{session['id']}/refunds"
    responses = asyncio.run(_together(server, account.secret_key, url, amount))
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(201) == total // amount, statuses
    assert statuses.count(422) == RACERS - total // amount, statuses
    assert all(
        r.json()["error"]["code"] == "refund_amount_invalid"
        for r in responses
        if r.status_code == 422
    )
    final = api.get(f"/v1/checkouts/{session['id']}").json()
    refunds = api.get(url, params={"limit": 100}).json()["data"]
    assert sum(r["amount"] for r in refunds) == final["amount_refunded"] <= total
    assert final["amount_refunded"] == amount * (total // amount)
    assert final["payment_status"] == "partially_refunded"


def test_the_page_shows_a_refunded_session(api, server):
    session = paid_session(api)
    assert _refund(api, session["id"], amount=1000).status_code == 201
    with buyer(server) as client:
        page = client.get(page_path(session))
        assert page.status_code == 410
        assert "Payment partially refunded" in page.text
        assert "Refunded €10.00 of €57.99." in page.text
        # Translated in every locale the page has (English only where it is English).
        for locale in SUPPORTED_LOCALES:
            if locale == "en":
                continue
            translated = client.get(page_path(session), headers={"Accept-Language": locale})
            assert translated.status_code == 410
            assert "Payment partially refunded" not in translated.text, locale
            assert "Refunded" not in translated.text, locale
            assert "57,99" in translated.text or "57.99" in translated.text, locale
        assert _refund(api, session["id"]).status_code == 201
        full = client.get(page_path(session)).text
    assert "Payment refunded" in full and "Refunded €57.99 of €57.99." in full


def test_the_order_shows_each_refund_as_an_adjustment(api):
    session = paid_session(api)
    total = session["amount_total"]
    order_id = "ord_" + session["id"].removeprefix("cs_")
    before = api.get(f"/v1/orders/{order_id}").json()
    assert before["adjustments"] == [] and before["amount_refunded"] == 0
    first = _refund(api, session["id"], amount=1000, reason="requested_by_customer").json()
    rest = _refund(api, session["id"]).json()
    order = api.get(f"/v1/orders/{order_id}").json()
    assert order["adjustments"] == [
        {
            "id": "adj_" + refund["id"].removeprefix("re_"),
            "object": "adjustment",
            "type": "refund",
            "refund": refund["id"],
            "amount": refund["amount"],
            "currency": "eur",
            "status": "succeeded",
            "reason": refund["reason"],
            "created_at": refund["created_at"],
            "updated_at": order["adjustments"][n]["updated_at"],
        }
        for n, refund in enumerate((first, rest))
    ]
    checkout = api.get(f"/v1/checkouts/{session['id']}").json()
    assert order["amount_refunded"] == checkout["amount_refunded"] == total
    assert order["amount_total"] == total and order["status"] == "confirmed"
    # Each refund changes the order twice (created pending, then succeeded), each an event.
    updates = [
        e["data"]["object"]
        for e in api.get("/v1/events", params={"type": "order.updated", "limit": 100}).json()[
            "data"
        ]
        if e["data"]["object"]["id"] == order_id
    ]
    assert len(updates) == 4
    newest = updates[0]
    assert newest["amount_refunded"] == total and newest["adjustments"] == order["adjustments"]
    oldest = updates[-1]
    assert [a["status"] for a in oldest["adjustments"]] == ["pending"]
    assert oldest["amount_refunded"] == 1000
    assert api.get("/v1/orders", params={"checkout": session["id"]}).json()["data"] == [order]


class _UnreachableRefunds(test_processor.TestProcessor):
    """The test processor, but refunds never reach it (a network failure)."""

    async def refund(
        self, processor_id: str, amount: int | None = None, *, currency: str | None = None
    ) -> RefundResult:
        raise ConnectionError("refunds are down")


def test_a_failed_refund_changes_its_adjustment_and_gives_the_amount_back(api, server, account):
    session = paid_session(api)
    order_id = "ord_" + session["id"].removeprefix("cs_")

    async def refund_unreachable() -> None:
        db = Database(server.database_url)
        try:
            principal = await auth_service.authenticate(db, account.secret_key)
            assert principal is not None
            ctx = Context(
                db=db,
                settings=Settings(database_url=server.database_url),
                processors={"test": _UnreachableRefunds()},
            )
            params = refund_service.RefundParams(amount=700, reason=None, metadata={})
            with pytest.raises(ProcessorUnavailable):
                await refund_service.create(ctx, principal, session["id"], params)
        finally:
            await db.dispose()

    asyncio.run(refund_unreachable())
    (failed,) = api.get(f"/v1/checkouts/{session['id']}/refunds").json()["data"]
    assert failed["status"] == "failed"
    order = api.get(f"/v1/orders/{order_id}").json()
    assert [(a["refund"], a["status"], a["amount"]) for a in order["adjustments"]] == [
        (failed["id"], "failed", 700)
    ]
    checkout = api.get(f"/v1/checkouts/{session['id']}").json()
    assert order["amount_refunded"] == checkout["amount_refunded"] == 0
    assert checkout["payment_status"] == "paid"
    events = api.get("/v1/events", params={"type": "order.updated", "limit": 100}).json()["data"]
    statuses = [
        [a["status"] for a in e["data"]["object"]["adjustments"]]
        for e in events
        if e["data"]["object"]["id"] == order_id
    ]
    assert statuses == [["failed"], ["pending"]]


class _PendingRefunds(test_processor.TestProcessor):
    """The test processor, but refunds are settled later (as Stripe's may be)."""

    async def refund(
        self, processor_id: str, amount: int | None = None, *, currency: str | None = None
    ) -> RefundResult:
        return RefundResult(succeeded=False, refund_id="re_later", pending=True)


def test_a_pending_refund_counts_until_it_settles(api, server, account):
    session = paid_session(api)
    order_id = "ord_" + session["id"].removeprefix("cs_")

    async def refund_later() -> str:
        db = Database(server.database_url)
        try:
            principal = await auth_service.authenticate(db, account.secret_key)
            assert principal is not None
            ctx = Context(
                db=db,
                settings=Settings(database_url=server.database_url),
                processors={"test": _PendingRefunds()},
            )
            params = refund_service.RefundParams(amount=900, reason=None, metadata={})
            refund = await refund_service.create(ctx, principal, session["id"], params)
            assert refund.status == "pending"
            pending = api.get(f"/v1/orders/{order_id}").json()
            checkout = api.get(f"/v1/checkouts/{session['id']}").json()
            assert [a["status"] for a in pending["adjustments"]] == ["pending"]
            assert pending["amount_refunded"] == checkout["amount_refunded"] == 900
            done = RefundResult(succeeded=True, refund_id="re_later")
            settled = await refund_service.settle_pending(ctx, refund, done)
            assert settled.status == "succeeded"
            again = await refund_service.settle_pending(ctx, refund, done)
            assert again.status == "succeeded"  # already settled: nothing changes twice
            return refund.id
        finally:
            await db.dispose()

    refund_id = asyncio.run(refund_later())
    assert api.get(f"/v1/refunds/{refund_id}").json()["status"] == "succeeded"
    order = api.get(f"/v1/orders/{order_id}").json()
    assert [a["status"] for a in order["adjustments"]] == ["succeeded"]
    assert order["amount_refunded"] == 900
    types = [
        e["type"]
        for e in api.get("/v1/events", params={"limit": 100}).json()["data"]
        if e["data"]["object"].get("id") in (refund_id, order_id)
    ]
    assert types.count("refund.succeeded") == 1 and types.count("order.updated") == 2


class _PendingThenSettled(_PendingRefunds):
    """Refunds stay pending until the processor is asked again (no webhook came)."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[str] = []

    async def retrieve_refund(self, refund_id: str) -> RefundResult:
        self.asked.append(refund_id)
        return RefundResult(succeeded=True, refund_id=refund_id)


def test_the_worker_settles_a_pending_refund_by_asking_the_processor(api, server, account):
    session = paid_session(api)

    async def refund_then_poll() -> str:
        db = Database(server.database_url)
        try:
            principal = await auth_service.authenticate(db, account.secret_key)
            assert principal is not None
            processor = _PendingThenSettled()
            ctx = Context(
                db=db,
                settings=Settings(database_url=server.database_url),
                processors={"test": processor},
            )
            params = refund_service.RefundParams(amount=500, reason=None, metadata={})
            refund = await refund_service.create(ctx, principal, session["id"], params)
            assert refund.status == "pending" and refund.processor_refund_id == "re_later"
            # Too young to ask about: nothing happens.
            await refund_service.settle_due(ctx, first_seconds=3600)
            assert processor.asked == []
            later = dataclasses.replace(
                ctx, clock=lambda: datetime.now(UTC) + timedelta(seconds=60)
            )
            assert await refund_service.settle_due(later) == 1
            assert processor.asked == ["re_later"]
            assert await refund_service.settle_due(later) == 0  # settled once
            return refund.id
        finally:
            await db.dispose()

    refund_id = asyncio.run(refund_then_poll())
    assert api.get(f"/v1/refunds/{refund_id}").json()["status"] == "succeeded"
    checkout = api.get(f"/v1/checkouts/{session['id']}").json()
    assert checkout["amount_refunded"] == 500 and checkout["payment_status"] == "partially_refunded"
    types = [
        e["type"]
        for e in api.get("/v1/events", params={"limit": 100}).json()["data"]
        if e["data"]["object"].get("id") == refund_id
    ]
    assert types.count("refund.succeeded") == 1
