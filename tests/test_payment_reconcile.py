"""Nothing stuck in ``processing``: a server SIGKILLed between claiming a payment
and recording the processor's answer leaves an attempt that the restarted
worker reconciles with the processor (here the test processor's ledger).

The test card 4000 0000 0000 0259 blocks in authorization, so the kill lands
exactly in that window, every time: the processor has nothing for the attempt,
so the session becomes payable again and its coupon is released. 4000 0000 0000
0267 is charged first and then blocks: the reconciled session completes.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from tests.conftest import _make_account, fresh_database
from tests.factories import GOOD_CARD, create_session
from tests.pricing_helpers import coupon
from tests.processes import start_serve

BLOCKING = "4000 0000 0000 0259"
CHARGED_THEN_BLOCKING = "4000 0000 0000 0267"


def _wait_for(http: httpx.Client, checkout_id: str, predicate, what: str) -> dict:
    deadline = time.monotonic() + 60
    while True:
        body = http.get(f"/v1/checkouts/{checkout_id}").json()
        if predicate(body):
            return body
        assert time.monotonic() < deadline, f"never {what}: {body['status']}"
        time.sleep(0.1)


def _pay_in_background(url: str, key: str, checkout_id: str, card: str) -> threading.Thread:
    """The buyer's complete: it blocks in the processor until the server dies."""

    def pay() -> None:
        with contextlib.suppress(httpx.HTTPError):  # cut off by the kill
            httpx.post(
                f"{url}/v1/checkouts/{checkout_id}/complete",
                json={"payment": {"method": "card", "card_number": card}},
                headers={"Authorization": f"Bearer {key}"},
                timeout=120,
            )

    thread = threading.Thread(target=pay, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_sigkill_while_the_processor_blocks_is_reconciled(engine: str, tmp_path: Path):
    with fresh_database(engine, tmp_path) as url:
        account = asyncio.run(_make_account(url, "reconcile"))
        headers = {"Authorization": f"Bearer {account.secret_key}"}
        # The first server would reconcile only after an hour: the kill must do the work.
        serve = start_serve(url, tmp_path, OPENCHECKOUT_PAYMENT_RECONCILE_SECONDS="3600")
        try:
            with httpx.Client(base_url=serve.url, headers=headers, timeout=30) as http:
                once = coupon(http, percent_off=10, max_redemptions=1)
                session = create_session(http, discounts=[{"coupon": once["id"]}])
                payer = _pay_in_background(serve.url, account.secret_key, session["id"], BLOCKING)
                _wait_for(http, session["id"], lambda b: b["status"] == "processing", "claimed")
                assert http.get(f"/v1/coupons/{once['id']}").json()["times_redeemed"] == 1
        finally:
            serve.kill()
        payer.join(timeout=10)
        assert serve.popen.returncode == -9

        restarted = start_serve(url, tmp_path, OPENCHECKOUT_PAYMENT_RECONCILE_SECONDS="1")
        try:
            with httpx.Client(base_url=restarted.url, headers=headers, timeout=30) as http:
                resolved = _wait_for(
                    http, session["id"], lambda b: b["status"] != "processing", "resolved"
                )
                # The ledger has no payment for the attempt's key: nothing was charged.
                assert resolved["status"] == "failed"
                assert resolved["payment_status"] == "unpaid"
                released = http.get(f"/v1/coupons/{once['id']}").json()
                assert (released["times_redeemed"], released["valid"]) == (0, True)
                events = http.get("/v1/events", params={"limit": 100}).json()["data"]
                types = [e["type"] for e in events if e["data"]["object"]["id"] == session["id"]]
                assert types.count("checkout.failed") == 1
                # Payable again, with its coupon.
                paid = http.post(
                    f"/v1/checkouts/{session['id']}/complete", json={"payment": GOOD_CARD}
                )
                assert paid.status_code == 200, paid.text
                assert paid.json()["status"] == "completed"
                assert http.get(f"/v1/coupons/{once['id']}").json()["times_redeemed"] == 1
        finally:
            restarted.stop()


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_sigkill_after_the_processor_charged_completes_the_session(engine: str, tmp_path: Path):
    with fresh_database(engine, tmp_path) as url:
        account = asyncio.run(_make_account(url, "reconcile-charged"))
        headers = {"Authorization": f"Bearer {account.secret_key}"}
        serve = start_serve(url, tmp_path, OPENCHECKOUT_PAYMENT_RECONCILE_SECONDS="3600")
        try:
            with httpx.Client(base_url=serve.url, headers=headers, timeout=30) as http:
                once = coupon(http, percent_off=10, max_redemptions=1)
                session = create_session(http, discounts=[{"coupon": once["id"]}])
                payer = _pay_in_background(
                    serve.url, account.secret_key, session["id"], CHARGED_THEN_BLOCKING
                )
                _wait_for(http, session["id"], lambda b: b["status"] == "processing", "claimed")
        finally:
            # The processor may not have charged yet when the kill lands; the restart
            # below would then void it instead: wait until it has (its ledger row).
            _wait_for_ledger(url)
            serve.kill()
        payer.join(timeout=10)

        restarted = start_serve(url, tmp_path, OPENCHECKOUT_PAYMENT_RECONCILE_SECONDS="1")
        try:
            with httpx.Client(base_url=restarted.url, headers=headers, timeout=30) as http:
                done = _wait_for(
                    http, session["id"], lambda b: b["status"] != "processing", "resolved"
                )
                assert (done["status"], done["payment_status"]) == ("completed", "paid")
                assert done["processor"] == "test" and done["processor_id"].startswith("pay_test_")
                # The coupon stays redeemed: the payment went through.
                assert http.get(f"/v1/coupons/{once['id']}").json()["times_redeemed"] == 1
                events = http.get("/v1/events", params={"limit": 100}).json()["data"]
                types = [e["type"] for e in events if e["data"]["object"]["id"] == session["id"]]
                assert types.count("checkout.completed") == 1
        finally:
            restarted.stop()


def _wait_for_ledger(url: str) -> None:
    """Until the test processor's ledger holds a payment (read straight from the database)."""

    async def count() -> int:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as connection:
                result = await connection.exec_driver_sql(
                    "SELECT count(*) FROM test_processor_ledger"
                )
                return int(result.scalar_one())
        finally:
            await engine.dispose()

    deadline = time.monotonic() + 60
    while asyncio.run(count()) == 0:
        assert time.monotonic() < deadline, "the test processor never charged"
        time.sleep(0.1)
