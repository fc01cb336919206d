"""The dashboard over real HTTP on both engines: sign-in, CSRF, lock-out, the test/live
switch, checkouts (list, filters, pages, detail, actions) and tenant isolation."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import uuid

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.conftest import Account, Server, client_for
from tests.dashboard_helpers import (
    PASSWORD,
    DashServer,
    browser,
    csrf_of,
    dash,
    make_user,
    sign_in,
    signed_in,
    token,
)
from tests.factories import create_session, paid_session, recovered_and_paid
from tests.receiver import Receiver, run_receiver

__all__ = ["dash"]  # fixture used by name


def _rows(database_url: str, sql: str) -> list[tuple[object, ...]]:
    async def query() -> list[tuple[object, ...]]:
        engine = create_async_engine(database_url)
        try:
            async with engine.connect() as connection:
                return [tuple(row) for row in await connection.execute(text(sql))]
        finally:
            await engine.dispose()

    return asyncio.run(query())


# -- sign-in --------------------------------------------------------------------------------


def test_sign_in_session_cookie_and_sign_out(dash: DashServer, account: Account):
    email = make_user(dash.database_url, account.name)
    with browser(dash) as client:
        first = client.get("/dashboard/checkouts?status=pending")
        assert first.status_code == 303
        assert first.headers["location"].startswith("/dashboard/login?next=")

        page = client.get("/dashboard/login")
        assert page.status_code == 200
        csp = page.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "default-src 'none'" in csp
        assert "'unsafe-inline'" not in csp and "<script>" not in page.text
        assert page.headers["x-frame-options"] == "DENY"

        done = client.post(
            "/dashboard/login",
            data={
                "csrf_token": csrf_of(page.text),
                "email": email.upper(),
                "password": PASSWORD,
                "next": "/dashboard/checkouts?status=pending",
            },
        )
        assert done.status_code == 303, done.text
        assert done.headers["location"] == "/dashboard/checkouts?status=pending"
        cookie = next(
            v for k, v in done.headers.multi_items() if k == "set-cookie" and "oc_dashboard=" in v
        )
        flags = cookie.lower()
        assert "httponly" in flags and "samesite=lax" in flags and "path=/dashboard" in flags
        assert "secure" not in flags  # the public URL is http here
        session_token = client.cookies.get("oc_dashboard")
        assert session_token

        listing = client.get("/dashboard/checkouts")
        assert listing.status_code == 200
        assert account.name in listing.text and "Test mode" in listing.text

    # Only a digest of the token is stored.
    stored = _rows(dash.database_url, "SELECT token_hash FROM dashboard_sessions")
    assert all(session_token not in str(row[0]) for row in stored)
    hashes = _rows(
        dash.database_url,
        f"SELECT password_hash FROM dashboard_users WHERE email = '{email}'",
    )
    assert str(hashes[0][0]).startswith("$argon2id$")

    with browser(dash) as client:
        sign_in(client, email)
        out_token = client.cookies.get("oc_dashboard")
        refused = client.post("/dashboard/logout", data={})
        assert refused.status_code == 403
        assert client.get("/dashboard/checkouts").status_code == 200
        out = client.post("/dashboard/logout", data={"csrf_token": token(client)})
        assert out.status_code == 303 and out.headers["location"] == "/dashboard/login"
        assert client.get("/dashboard/checkouts").status_code == 303
    # The signed-out token no longer works anywhere.
    with browser(dash) as again:
        response = again.get(
            "/dashboard/checkouts", headers={"Cookie": f"oc_dashboard={out_token}"}
        )
        assert response.status_code == 303


def test_session_cookie_is_secure_when_the_public_url_is_https(server: Server, account: Account):
    email = make_user(server.database_url, account.name)
    with httpx.Client(base_url=server.url, timeout=30) as client:
        page = client.get("/dashboard/login")
        assert "secure" in page.headers["set-cookie"].lower()
        nonce = page.headers["set-cookie"].split(";")[0].split("=", 1)[1]
        # httpx keeps Secure cookies for https only: send it as a browser on https would.
        done = client.post(
            "/dashboard/login",
            data={"csrf_token": csrf_of(page.text), "email": email, "password": PASSWORD},
            headers={"Cookie": f"oc_dashboard_csrf={nonce}"},
        )
        assert done.status_code == 303
        assert "secure" in done.headers["set-cookie"].lower()


def test_sign_in_refuses_a_forged_form(dash: DashServer, account: Account):
    email = make_user(dash.database_url, account.name)
    with browser(dash) as client:
        page = client.get("/dashboard/login")
        no_token = client.post("/dashboard/login", data={"email": email, "password": PASSWORD})
        assert no_token.status_code == 403 and "oc_dashboard=" not in no_token.headers.get(
            "set-cookie", ""
        )
        foreign = client.post(
            "/dashboard/login",
            data={"csrf_token": csrf_of(page.text), "email": email, "password": PASSWORD},
            headers={"Origin": "https://evil.example"},
        )
        assert foreign.status_code == 403
    with browser(dash) as other:  # a token without its cookie
        refused = other.post(
            "/dashboard/login",
            data={"csrf_token": csrf_of(page.text), "email": email, "password": PASSWORD},
        )
        assert refused.status_code == 403


def test_lock_out_after_five_failures(dash: DashServer, account: Account):
    email = make_user(dash.database_url, account.name)
    with browser(dash) as client:
        for _ in range(5):
            wrong = sign_in(client, email, "not the password!")
            assert wrong.status_code == 401
            assert "The email or password is not correct." in wrong.text
        locked = sign_in(client, email)
        assert locked.status_code == 429
        assert "Too many failed sign-in attempts. Try again in 15 minutes." in locked.text
        assert client.get("/dashboard/checkouts").status_code == 303
    # Another user is not affected; an unknown email locks the same way (no enumeration).
    with browser(dash) as client:
        assert sign_in(client, make_user(dash.database_url, account.name)).status_code == 303
    ghost = f"ghost-{uuid.uuid4().hex[:6]}@example.com"
    with browser(dash) as client:
        for _ in range(5):
            assert sign_in(client, ghost, "whatever-123").status_code == 401
        assert sign_in(client, ghost, "whatever-123").status_code == 429


def test_cli_users_create_list_disable(dash: DashServer):
    name = f"cli-{uuid.uuid4().hex[:8]}"
    email = f"cli-{uuid.uuid4().hex[:8]}@example.com"
    env = {**os.environ, "OPENCHECKOUT_DATABASE_URL": dash.database_url}
    cli = [sys.executable, "-m", "opencheckout", "users"]

    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*cli, *args], env=env, input=stdin, capture_output=True, text=True, timeout=60
        )

    created = run(
        "create", "--account", name, "--email", email, "--password-stdin", stdin=PASSWORD + "\n"
    )
    assert created.returncode == 0, created.stderr
    assert PASSWORD not in created.stdout + created.stderr
    again = run(
        "create", "--account", name, "--email", email, "--password-stdin", stdin=PASSWORD + "\n"
    )
    assert again.returncode == 1 and "exists" in again.stderr
    short = run(
        "create", "--account", name, "--email", "x" + email, "--password-stdin", stdin="short\n"
    )
    assert short.returncode == 1 and "at least 10 characters" in short.stderr
    prompted = run(
        "create", "--account", name, "--email", "p" + email, stdin=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert prompted.returncode == 0, prompted.stderr

    listing = run("list", "--account", name)
    assert listing.returncode == 0
    lines = listing.stdout.splitlines()
    assert len(lines) == 2 and lines[0].startswith(f"{email}\t{name}\t")
    assert lines[0].endswith("active") and "$argon2" not in listing.stdout

    with browser(dash) as client:
        assert sign_in(client, email).status_code == 303
        assert run("disable", email).returncode == 0
        assert client.get("/dashboard/checkouts").status_code == 303  # signed out
        assert sign_in(client, email).status_code == 401
    assert "disabled" in run("list", "--account", name).stdout.splitlines()[0]


# -- checkouts ------------------------------------------------------------------------------


def test_checkout_list_filters_and_pages(dash: DashServer, account: Account, api):
    made = [create_session(api, customer={"email": f"b{i}@example.com"}) for i in range(22)]
    special = create_session(
        api,
        customer={"email": "Special@Example.com"},
        line_items=[{"product": "sku-mug", "name": "Mug", "unit_amount": 900, "quantity": 1}],
    )
    api.post(f"/v1/checkouts/{made[0]['id']}/cancel")
    with signed_in(dash, account.name) as client:
        first = client.get("/dashboard/checkouts")
        ids = re.findall(r'href="/dashboard/checkouts/(cs_\w+)"', first.text)
        assert len(ids) == 20 and ids[0] == special["id"]
        older = re.search(r'href="([^"]+)" rel="next"', first.text)
        assert older
        second = client.get(older.group(1).replace("&amp;", "&"))
        rest = re.findall(r'href="/dashboard/checkouts/(cs_\w+)"', second.text)
        assert len(rest) == 3 and not set(rest) & set(ids)
        assert 'rel="prev"' in second.text and 'rel="next"' not in second.text

        def found(**query: str) -> list[str]:
            page = client.get("/dashboard/checkouts", params=query)
            assert page.status_code == 200
            return re.findall(r'href="/dashboard/checkouts/(cs_\w+)"', page.text)

        assert found(email="special@example.com") == [special["id"]]
        assert found(q="SPECIAL@example.com") == [special["id"]]
        assert found(q=made[5]["id"]) == [made[5]["id"]]
        assert found(product="sku-mug") == [special["id"]]
        assert found(status="abandoned") == [made[0]["id"]]
        assert found(created_to="2000-01-01") == []
        assert len(found(created_from="2000-01-01")) == 20
        assert "No checkouts match." in client.get("/dashboard/checkouts?q=nobody@x.io").text


def test_checkout_detail_and_every_action(dash: DashServer, account: Account, api):
    with run_receiver() as receiver:
        endpoint = api.post(
            "/v1/webhook_endpoints", json={"url": f"{receiver.url}/hook", "enabled_events": ["*"]}
        )
        assert endpoint.status_code == 201, endpoint.text
        _detail_and_actions(dash, account, api, receiver)


def _detail_and_actions(
    dash: DashServer, account: Account, api: httpx.Client, receiver: Receiver
) -> None:
    pending = create_session(api)
    paid = paid_session(api)
    with signed_in(dash, account.name) as client:
        detail = client.get(f"/dashboard/checkouts/{paid['id']}")
        assert detail.status_code == 200
        html = detail.text.replace("\xa0", " ")
        assert "€57.99" in html and "checkout.completed" in html and "checkout.created" in html
        assert "Refund amount" in html and "Cancel checkout" not in html
        csrf = csrf_of(detail.text)

        # Every action refuses a missing or wrong token, and changes nothing.
        for action in ("cancel", "recover", "refund", "resend"):
            for data in ({}, {"csrf_token": "x" * 43}):
                refused = client.post(f"/dashboard/checkouts/{pending['id']}/{action}", data=data)
                assert refused.status_code == 403, action
        assert api.get(f"/v1/checkouts/{pending['id']}").json()["status"] == "pending"

        # Partial refund, then the rest.
        partial = client.post(
            f"/dashboard/checkouts/{paid['id']}/refund",
            data={"csrf_token": csrf, "amount": "10.00", "reason": "damaged"},
        )
        assert partial.status_code == 303
        assert partial.headers["location"] == f"/dashboard/checkouts/{paid['id']}?done=refunded"
        after = api.get(f"/v1/checkouts/{paid['id']}").json()
        assert after["amount_refunded"] == 1000 and after["payment_status"] == "partially_refunded"
        too_much = client.post(
            f"/dashboard/checkouts/{paid['id']}/refund", data={"csrf_token": csrf, "amount": "99"}
        )
        assert too_much.status_code == 422 and "remains to refund" in too_much.text
        bad = client.post(
            f"/dashboard/checkouts/{paid['id']}/refund", data={"csrf_token": csrf, "amount": "ten"}
        )
        assert bad.status_code == 422 and "as a number" in bad.text
        full = client.post(f"/dashboard/checkouts/{paid['id']}/refund", data={"csrf_token": csrf})
        assert full.status_code == 303
        assert api.get(f"/v1/checkouts/{paid['id']}").json()["payment_status"] == "refunded"
        shown = client.get(f"/dashboard/checkouts/{paid['id']}?done=refunded").text
        assert "The refund was created." in shown and "damaged" in shown
        assert "refund.created" in shown or "checkout.updated" in shown or "re_" in shown

        # Cancel, then recover: the copy's payment link is shown.
        cancelled = client.post(
            f"/dashboard/checkouts/{pending['id']}/cancel", data={"csrf_token": csrf}
        )
        assert cancelled.status_code == 303
        assert api.get(f"/v1/checkouts/{pending['id']}").json()["status"] == "abandoned"
        again = client.post(
            f"/dashboard/checkouts/{pending['id']}/cancel", data={"csrf_token": csrf}
        )
        assert again.status_code == 409 and "only pending or failed" in again.text
        recovered = client.post(
            f"/dashboard/checkouts/{pending['id']}/recover", data={"csrf_token": csrf}
        )
        assert recovered.status_code == 303
        copy_id = recovered.headers["location"].split("/")[-1].split("?")[0]
        copy = api.get(f"/v1/checkouts/{copy_id}").json()
        assert copy["recovered_from"] == pending["id"] and copy["status"] == "pending"
        copy_page = client.get(recovered.headers["location"]).text
        # (this server's public URL is http://127.0.0.1; the API server's is https)
        token_path = "/c/" + copy["permalink"].rsplit("/c/", 1)[1]
        assert f'value="http://127.0.0.1{token_path}"' in copy_page and "Payment link" in copy_page

        # Resend: the event is queued again and delivered once more.
        event_id = re.search(r'name="event" value="(evt_\w+)"', copy_page)
        assert event_id
        receiver.wait_for(
            lambda: any(r.json.get("id") == event_id.group(1) for r in receiver.on("/hook"))
        )
        before = len([r for r in receiver.on("/hook") if r.json.get("id") == event_id.group(1)])
        resent = client.post(
            f"/dashboard/checkouts/{copy_id}/resend",
            data={"csrf_token": csrf, "event": event_id.group(1)},
        )
        assert resent.status_code == 303
        receiver.wait_for(
            lambda: (
                len([r for r in receiver.on("/hook") if r.json.get("id") == event_id.group(1)])
                > before
            )
        )
        timeline = client.get(f"/dashboard/checkouts/{copy_id}").text
        assert "delivered" in timeline and "(HTTP 200)" in timeline


def test_a_user_never_sees_another_accounts_data(
    dash: DashServer, account: Account, other_account: Account, api, server: Server
):
    mine = create_session(api, customer={"email": "mine@example.com"})
    with client_for(server, other_account.secret_key) as other_api:
        theirs = paid_session(other_api)
        their_open = create_session(other_api)
        their_event = other_api.get("/v1/events").json()["data"][0]["id"]
    with client_for(server, account.live_key) as live_api:
        live = create_session(live_api, customer={"email": "live@example.com"})

    with signed_in(dash, account.name) as client:
        listing = client.get("/dashboard/checkouts").text
        assert mine["id"] in listing and theirs["id"] not in listing
        assert live["id"] not in listing  # test mode by default
        searched = client.get("/dashboard/checkouts", params={"q": theirs["id"]}).text
        assert f"/dashboard/checkouts/{theirs['id']}" not in searched
        assert "No checkouts match." in searched
        assert client.get(f"/dashboard/checkouts/{theirs['id']}").status_code == 404
        csrf = token(client)
        for action, target, data in (
            ("cancel", their_open["id"], {}),
            ("recover", their_open["id"], {}),
            ("refund", theirs["id"], {"amount": "1"}),
            ("resend", mine["id"], {"event": their_event}),
            ("resend", theirs["id"], {"event": their_event}),
        ):
            response = client.post(
                f"/dashboard/checkouts/{target}/{action}", data={"csrf_token": csrf, **data}
            )
            assert response.status_code == 404, (action, response.text[:300])
        with client_for(server, other_account.secret_key) as other_api:
            assert other_api.get(f"/v1/checkouts/{their_open['id']}").json()["status"] == "pending"
            assert other_api.get(f"/v1/checkouts/{theirs['id']}").json()["amount_refunded"] == 0

        # The test/live switch: live data only in live mode, test data only in test mode.
        switched = client.post("/dashboard/mode", data={"csrf_token": csrf, "mode": "live"})
        assert switched.status_code == 303
        live_listing = client.get("/dashboard/checkouts").text
        assert "Live mode" in live_listing
        assert live["id"] in live_listing and mine["id"] not in live_listing
        assert client.get(f"/dashboard/checkouts/{mine['id']}").status_code == 404
        assert client.post("/dashboard/mode", data={"mode": "test"}).status_code == 403
        client.post("/dashboard/mode", data={"csrf_token": csrf, "mode": "test"})
        assert mine["id"] in client.get("/dashboard/checkouts").text


# -- overview -------------------------------------------------------------------------------


def _kpi(html: str, name: str) -> str:
    match = re.search(rf'<dd id="kpi-{name}">([^<]*)</dd>', html)
    assert match, name
    return match.group(1).replace("\xa0", " ")


def test_overview_figures_and_charts(dash: DashServer, account: Account, api):
    with signed_in(dash, account.name) as client:
        empty = client.get("/dashboard/overview")
        assert empty.status_code == 200
        assert _kpi(empty.text, "created") == "0" and _kpi(empty.text, "conversion") == "\u2013"

        paid = paid_session(api)  # 57.99, sku-shirt and sku-socks
        recovered_and_paid(api)
        create_session(api)  # still pending
        refund = api.post(f"/v1/checkouts/{paid['id']}/refunds", json={"amount": 1000})
        assert refund.status_code == 201

        page = client.get("/dashboard/overview", params={"days": "7"})
        assert page.status_code == 200
        html = page.text
        assert _kpi(html, "created") == "4"
        assert _kpi(html, "completed") == "2"
        assert _kpi(html, "conversion") == "50.0%"
        assert _kpi(html, "abandonment") == "25.0%"
        assert _kpi(html, "revenue") == "€115.98"
        assert _kpi(html, "recovered") == "€57.99"
        assert _kpi(html, "refunded") == "€10.00"
        top = re.findall(r"<tr><td>(sku-[a-z]+)</td><td class=\"num\">(\d+)</td></tr>", html)
        assert top == [("sku-shirt", "2"), ("sku-socks", "2")]
        # Three SVG charts, each titled, with patterns and a table of the same numbers.
        assert html.count('<svg xmlns="http://www.w3.org/2000/svg"') == 3
        assert html.count('role="img"') == 3 and "-hatch)" in html
        assert html.count("Show as a table") == 3
        assert "<script>" not in html
        # A custom period without today is empty; German formats money and dates.
        old = client.get("/dashboard/overview", params={"from": "2020-01-01", "to": "2020-01-31"})
        assert _kpi(old.text, "created") == "0"
        german = client.get(
            "/dashboard/overview", params={"days": "7"}, headers={"Accept-Language": "de"}
        )
        assert _kpi(german.text, "revenue") == "115,98 €"
        assert "Umsatz" in german.text or "Revenue" not in german.text


# -- developers -----------------------------------------------------------------------------


def test_developers_keys_endpoints_deliveries_and_events(
    dash: DashServer, account: Account, other_account: Account, api, server: Server
):
    with client_for(server, other_account.secret_key) as other_api:
        their_hook = other_api.post(
            "/v1/webhook_endpoints", json={"url": "https://example.com/h", "enabled_events": ["*"]}
        ).json()
    their_prefix = other_account.secret_key[:16]
    with run_receiver() as receiver, signed_in(dash, account.name) as client:
        page = client.get("/dashboard/developers")
        assert page.status_code == 200
        assert account.secret_key[:16] in page.text and account.secret_key not in page.text
        assert account.live_key[:16] not in page.text  # test mode only
        csrf = csrf_of(page.text)
        for path in (
            "/dashboard/developers/keys",
            "/dashboard/developers/keys/revoke",
            "/dashboard/developers/webhooks",
            f"/dashboard/developers/webhooks/{their_hook['id']}/rotate",
        ):
            assert client.post(path, data={"prefix": "x"}).status_code == 403, path

        # A key, shown once, that works; then revoked.
        made = client.post("/dashboard/developers/keys", data={"csrf_token": csrf, "scope": "read"})
        assert made.status_code == 201
        secret = re.search(r'id="new-key" type="text" readonly value="(rk_test_\w+)"', made.text)
        assert secret
        with client_for(server, secret.group(1)) as reader:
            assert reader.get("/v1/checkouts").status_code == 200
            assert secret.group(1) not in client.get("/dashboard/developers").text
            revoked = client.post(
                "/dashboard/developers/keys/revoke",
                data={"csrf_token": csrf, "prefix": secret.group(1)[:16]},
            )
            assert revoked.status_code == 303
            assert reader.get("/v1/checkouts").status_code == 401
        foreign = client.post(
            "/dashboard/developers/keys/revoke", data={"csrf_token": csrf, "prefix": their_prefix}
        )
        assert foreign.status_code == 404
        with client_for(server, other_account.secret_key) as other_api:
            assert other_api.get("/v1/checkouts").status_code == 200

        # An endpoint: created (secret shown once), rotated, disabled, enabled.
        bad = client.post(
            "/dashboard/developers/webhooks", data={"csrf_token": csrf, "url": "ftp://x"}
        )
        assert bad.status_code == 422
        created = client.post(
            "/dashboard/developers/webhooks",
            data={"csrf_token": csrf, "url": f"{receiver.url}/dev", "events": ""},
        )
        assert created.status_code == 201, created.text
        endpoint_id = re.search(r"Signing secret of (we_\w+)", created.text)
        first_secret = re.search(
            r'id="new-secret" type="text" readonly value="(whsec_[^"]+)"', created.text
        )
        assert endpoint_id and first_secret
        endpoint_id_ = endpoint_id.group(1)
        rotated = client.post(
            f"/dashboard/developers/webhooks/{endpoint_id_}/rotate", data={"csrf_token": csrf}
        )
        assert rotated.status_code == 200
        assert first_secret.group(1) not in rotated.text and "whsec_" in rotated.text
        assert first_secret.group(1) not in client.get("/dashboard/developers").text
        off = client.post(
            f"/dashboard/developers/webhooks/{endpoint_id_}/disable", data={"csrf_token": csrf}
        )
        assert off.status_code == 303
        assert api.get(f"/v1/webhook_endpoints/{endpoint_id_}").json()["status"] == "disabled"
        client.post(
            f"/dashboard/developers/webhooks/{endpoint_id_}/enable", data={"csrf_token": csrf}
        )
        assert api.get(f"/v1/webhook_endpoints/{endpoint_id_}").json()["status"] == "enabled"

        # Deliveries and redeliver.
        session = create_session(api)
        receiver.wait_for(lambda: len(receiver.on("/dev")) >= 1)
        log = client.get(f"/dashboard/developers/webhooks/{endpoint_id_}")
        for _ in range(50):
            if "delivered" in log.text:
                break
            log = client.get(f"/dashboard/developers/webhooks/{endpoint_id_}")
        assert "(HTTP 200)" in log.text
        event_id = re.search(r'name="event" value="(evt_\w+)"', log.text)
        assert event_id
        again = client.post(
            f"/dashboard/developers/webhooks/{endpoint_id_}/redeliver",
            data={"csrf_token": csrf, "event": event_id.group(1)},
        )
        assert again.status_code == 303
        receiver.wait_for(lambda: len(receiver.on("/dev")) >= 2)

        # Events, filtered by type, linking to the checkout.
        listed = client.get("/dashboard/developers/events", params={"type": "checkout.created"})
        assert listed.status_code == 200
        assert f'href="/dashboard/checkouts/{session["id"]}"' in listed.text
        assert "webhook_endpoint" not in listed.text

        # Another account's endpoint is not found, for reading and for every action.
        assert client.get(f"/dashboard/developers/webhooks/{their_hook['id']}").status_code == 404
        for action in ("rotate", "disable", "enable", "redeliver"):
            response = client.post(
                f"/dashboard/developers/webhooks/{their_hook['id']}/{action}",
                data={"csrf_token": csrf, "event": event_id.group(1)},
            )
            assert response.status_code == 404, action
        with client_for(server, other_account.secret_key) as other_api:
            theirs = other_api.get(f"/v1/webhook_endpoints/{their_hook['id']}").json()
            assert theirs["status"] == "enabled"


# -- orders ---------------------------------------------------------------------------------


def test_orders_list_detail_and_a_shipment(
    dash: DashServer, account: Account, other_account: Account, api, server: Server
):
    paid = paid_session(api)
    order = api.get("/v1/orders", params={"checkout": paid["id"]}).json()["data"][0]
    with client_for(server, other_account.secret_key) as other_api:
        theirs = paid_session(other_api)
        their_order = other_api.get("/v1/orders", params={"checkout": theirs["id"]}).json()["data"][
            0
        ]
    with signed_in(dash, account.name) as client:
        listing = client.get("/dashboard/orders")
        assert listing.status_code == 200
        assert order["id"] in listing.text and their_order["id"] not in listing.text
        assert order["id"] in client.get("/dashboard/orders?status=confirmed").text
        assert order["id"] not in client.get("/dashboard/orders?status=fulfilled").text
        detail = client.get(f"/dashboard/orders/{order['id']}")
        assert detail.status_code == 200 and "Nothing shipped yet." in detail.text
        csrf = csrf_of(detail.text)
        path = f"/dashboard/orders/{order['id']}/fulfillment_events"
        assert client.post(path, data={"type": "shipped"}).status_code == 403
        bad = client.post(
            path, data={"csrf_token": csrf, "type": "shipped", "tracking_url": "nope"}
        )
        assert bad.status_code == 422 and "tracking_url" in bad.text
        shipped = client.post(
            path,
            data={
                "csrf_token": csrf,
                "type": "shipped",
                "carrier": "DHL",
                "tracking_number": "JD0001",
                "tracking_url": "https://track.example/JD0001",
            },
        )
        assert shipped.status_code == 303
        after = api.get(f"/v1/orders/{order['id']}").json()
        assert after["status"] == "fulfilled"
        event = after["fulfillment_events"][0]
        assert (event["carrier"], event["tracking_number"]) == ("DHL", "JD0001")
        page = client.get(shipped.headers["location"]).text
        assert "The fulfillment event was added." in page and "JD0001" in page
        # Another account's order: not found, and unchanged.
        assert client.get(f"/dashboard/orders/{their_order['id']}").status_code == 404
        refused = client.post(
            f"/dashboard/orders/{their_order['id']}/fulfillment_events",
            data={"csrf_token": csrf, "type": "shipped"},
        )
        assert refused.status_code == 404
        with client_for(server, other_account.secret_key) as other_api:
            assert other_api.get(f"/v1/orders/{their_order['id']}").json()["status"] == "confirmed"


# -- catalog --------------------------------------------------------------------------------


def test_products_with_stock_list_create_edit(
    dash: DashServer, account: Account, other_account: Account, api, server: Server
):
    with client_for(server, other_account.secret_key) as other_api:
        other_api.post(
            "/v1/products",
            json={"id": "their-sku", "name": "Theirs", "unit_amount": 100, "currency": "eur"},
        )
    with signed_in(dash, account.name) as client:
        page = client.get("/dashboard/catalog/products")
        assert page.status_code == 200 and "their-sku" not in page.text
        csrf = csrf_of(page.text)
        form = {"sku": "mug-1", "name": "Mug", "price": "12.50", "currency": "EUR", "stock": "7"}
        assert client.post("/dashboard/catalog/products", data=form).status_code == 403
        made = client.post("/dashboard/catalog/products", data={"csrf_token": csrf, **form})
        assert made.status_code == 303
        product = api.get("/v1/products/mug-1").json()
        assert (product["unit_amount"], product["currency"], product["stock"]) == (1250, "eur", 7)
        again = client.post("/dashboard/catalog/products", data={"csrf_token": csrf, **form})
        assert again.status_code == 409
        bad = client.post(
            "/dashboard/catalog/products",
            data={"csrf_token": csrf, **form, "sku": "x", "price": "?"},
        )
        assert bad.status_code == 422 and "as a number" in bad.text
        listing = client.get("/dashboard/catalog/products").text.replace("\xa0", " ")
        assert "mug-1" in listing and "€12.50" in listing and ">7<" in listing

        edit = client.get("/dashboard/catalog/products/mug-1")
        assert edit.status_code == 200 and 'value="12.50"' in edit.text
        saved = client.post(
            "/dashboard/catalog/products/mug-1",
            data={
                "csrf_token": csrf,
                "name": "Big mug",
                "price": "14",
                "stock": "",
                "active": "on",
            },
        )
        assert saved.status_code == 303
        product = api.get("/v1/products/mug-1").json()
        assert (product["name"], product["unit_amount"], product["stock"]) == (
            "Big mug",
            1400,
            None,
        )
        archived = client.post(
            "/dashboard/catalog/products/mug-1",
            data={"csrf_token": csrf, "name": "Big mug", "price": "", "stock": "3"},
        )
        assert archived.status_code == 303
        product = api.get("/v1/products/mug-1").json()
        assert product["active"] is False and product["stock"] == 3
        # Another account's product cannot be read or changed.
        assert client.get("/dashboard/catalog/products/their-sku").status_code == 404
        refused = client.post(
            "/dashboard/catalog/products/their-sku",
            data={"csrf_token": csrf, "name": "Mine now", "stock": "1"},
        )
        assert refused.status_code == 404
        with client_for(server, other_account.secret_key) as other_api:
            assert other_api.get("/v1/products/their-sku").json()["name"] == "Theirs"


def test_tax_rates_and_coupons_list_create_edit(
    dash: DashServer, account: Account, other_account: Account, api, server: Server
):
    with client_for(server, other_account.secret_key) as other_api:
        their_coupon = other_api.post("/v1/coupons", json={"percent_off": 5}).json()
    with signed_in(dash, account.name) as client:
        page = client.get("/dashboard/catalog/tax_rates")
        assert page.status_code == 200
        csrf = csrf_of(page.text)
        form = {"name": "VAT", "percentage": "21", "country": "ES", "inclusive": "on"}
        assert client.post("/dashboard/catalog/tax_rates", data=form).status_code == 403
        made = client.post("/dashboard/catalog/tax_rates", data={"csrf_token": csrf, **form})
        assert made.status_code == 303
        rate = api.get("/v1/tax_rates").json()["data"][0]
        assert (rate["display_name"], rate["percentage"], rate["inclusive"]) == ("VAT", 21, True)
        bad = client.post(
            "/dashboard/catalog/tax_rates", data={"csrf_token": csrf, **form, "percentage": "101"}
        )
        assert bad.status_code == 422
        assert client.get(f"/dashboard/catalog/tax_rates/{rate['id']}").status_code == 200
        saved = client.post(
            f"/dashboard/catalog/tax_rates/{rate['id']}",
            data={"csrf_token": csrf, "name": "IVA"},
        )
        assert saved.status_code == 303
        rate = api.get(f"/v1/tax_rates/{rate['id']}").json()
        assert rate["display_name"] == "IVA" and rate["active"] is False

        coupon_form = {"name": "Summer", "code": "SUMMER10", "percent_off": "10"}
        made = client.post("/dashboard/catalog/coupons", data={"csrf_token": csrf, **coupon_form})
        assert made.status_code == 303
        listing = client.get("/dashboard/catalog/coupons").text
        assert "SUMMER10" in listing and their_coupon["id"] not in listing
        dup = client.post("/dashboard/catalog/coupons", data={"csrf_token": csrf, **coupon_form})
        assert dup.status_code in (409, 422)
        amount = client.post(
            "/dashboard/catalog/coupons",
            data={"csrf_token": csrf, "amount_off": "5", "currency": "EUR"},
        )
        assert amount.status_code == 303
        coupons = api.get("/v1/coupons").json()["data"]
        assert {c.get("amount_off") for c in coupons} >= {500}
        summer = next(c for c in coupons if c["code"] == "SUMMER10")
        saved = client.post(
            f"/dashboard/catalog/coupons/{summer['id']}",
            data={"csrf_token": csrf, "name": "Summer sale", "active": "on"},
        )
        assert saved.status_code == 303
        assert api.get(f"/v1/coupons/{summer['id']}").json()["name"] == "Summer sale"
        # Another account's coupon: not found, unchanged.
        assert client.get(f"/dashboard/catalog/coupons/{their_coupon['id']}").status_code == 404
        refused = client.post(
            f"/dashboard/catalog/coupons/{their_coupon['id']}",
            data={"csrf_token": csrf, "name": "Mine"},
        )
        assert refused.status_code == 404
        with client_for(server, other_account.secret_key) as other_api:
            assert other_api.get(f"/v1/coupons/{their_coupon['id']}").json()["active"] is True


def test_shipping_rates_and_promotions_list_create_edit(dash: DashServer, account: Account, api):
    with signed_in(dash, account.name) as client:
        csrf = token(client, "/dashboard/catalog/shipping_rates")
        made = client.post(
            "/dashboard/catalog/shipping_rates",
            data={
                "csrf_token": csrf,
                "name": "Standard",
                "amount": "4.90",
                "currency": "EUR",
                "countries": "es, fr",
            },
        )
        assert made.status_code == 303, made.text
        rate = api.get("/v1/shipping_rates").json()["data"][0]
        assert (rate["amount"], rate["countries"]) == (490, ["ES", "FR"])
        listing = client.get("/dashboard/catalog/shipping_rates").text.replace("\xa0", " ")
        assert "Standard" in listing and "€4.90" in listing
        saved = client.post(
            f"/dashboard/catalog/shipping_rates/{rate['id']}",
            data={"csrf_token": csrf, "name": "Standard (3-5 days)"},
        )
        assert saved.status_code == 303
        rate = api.get(f"/v1/shipping_rates/{rate['id']}").json()
        assert rate["display_name"] == "Standard (3-5 days)" and rate["active"] is False

        promo = client.post(
            "/dashboard/catalog/shipping_promotions",
            data={
                "csrf_token": csrf,
                "name": "Free over 50",
                "min_subtotal": "50",
                "currency": "EUR",
            },
        )
        assert promo.status_code == 303, promo.text
        created = api.get("/v1/shipping_promotions").json()["data"][0]
        assert (created["min_subtotal"], created["currency"]) == (5000, "eur")
        assert "Free over 50" in client.get("/dashboard/catalog/shipping_promotions").text
        assert (
            client.post("/dashboard/catalog/shipping_promotions", data={"name": "x"}).status_code
            == 403
        )


def test_customers_and_address_books(
    dash: DashServer, account: Account, other_account: Account, api, server: Server
):
    with client_for(server, other_account.secret_key) as other_api:
        theirs = other_api.post("/v1/customers", json={"email": "t@example.com"}).json()
    with signed_in(dash, account.name) as client:
        csrf = token(client, "/dashboard/catalog/customers")
        made = client.post(
            "/dashboard/catalog/customers",
            data={"csrf_token": csrf, "email": "ada@example.com", "name": "Ada"},
        )
        assert made.status_code == 303, made.text
        customer = api.get("/v1/customers", params={"email": "ada@example.com"}).json()["data"][0]
        listing = client.get("/dashboard/catalog/customers").text
        assert customer["id"] in listing and theirs["id"] not in listing
        bad = client.post(
            "/dashboard/catalog/customers", data={"csrf_token": csrf, "email": "not-an-email"}
        )
        assert bad.status_code == 422
        path = f"/dashboard/catalog/customers/{customer['id']}"
        saved = client.post(
            path,
            data={
                "csrf_token": csrf,
                "email": "ada@example.com",
                "name": "Ada Lovelace",
                "phone": "",
            },
        )
        assert saved.status_code == 303
        assert api.get(f"/v1/customers/{customer['id']}").json()["name"] == "Ada Lovelace"
        added = client.post(
            f"{path}/addresses",
            data={
                "csrf_token": csrf,
                "line1": "Carrer 1",
                "city": "Barcelona",
                "postal_code": "08013",
                "country": "ES",
            },
        )
        assert added.status_code == 303
        book = api.get(f"/v1/customers/{customer['id']}").json()["addresses"]
        assert [a["city"] for a in book] == ["Barcelona"]
        assert "Carrer 1" in client.get(path).text
        removed = client.post(f"{path}/addresses/{book[0]['id']}/remove", data={"csrf_token": csrf})
        assert removed.status_code == 303
        assert api.get(f"/v1/customers/{customer['id']}").json()["addresses"] == []
        assert client.post(f"{path}/addresses", data={"line1": "x"}).status_code == 403
        # Another account's customer: not found for reading and every change.
        their_path = f"/dashboard/catalog/customers/{theirs['id']}"
        assert client.get(their_path).status_code == 404
        assert client.post(their_path, data={"csrf_token": csrf, "name": "x"}).status_code == 404
        assert (
            client.post(
                f"{their_path}/addresses", data={"csrf_token": csrf, "line1": "x"}
            ).status_code
            == 404
        )
        with client_for(server, other_account.secret_key) as other_api:
            after = other_api.get(f"/v1/customers/{theirs['id']}").json()
            assert after["name"] is None and after["addresses"] == []


def test_checkout_detail_shows_reference_custom_fields_and_the_buyers_visit(
    dash: DashServer, account: Account, api
):
    fields = [
        {
            "key": "order_ref",
            "label": {"custom": "Order reference", "translations": {"de": "Bestellnummer"}},
            "type": "text",
        },
        {"key": "gift_note", "label": "Gift note", "type": "text", "optional": True},
        {
            "key": "size",
            "label": "Size",
            "type": "dropdown",
            "options": [{"label": "Small", "value": "s"}, {"label": "Large", "value": "l"}],
        },
    ]
    session = create_session(
        api,
        client_reference_id="cart-<b>8812</b>",
        custom_fields=fields,
        custom_field_values={"order_ref": "PO-77", "size": "l"},
    )
    chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0"
    permalink = "/c/" + str(session["permalink"]).rsplit("/c/", 1)[1]
    with httpx.Client(base_url=dash.url, headers={"User-Agent": chrome}) as buyer_browser:
        assert buyer_browser.get(permalink).status_code == 200
    with signed_in(dash, account.name) as client:
        html = client.get(f"/dashboard/checkouts/{session['id']}").text
        assert "Client reference" in html and "cart-&lt;b&gt;8812&lt;/b&gt;" in html
        assert "<b>8812" not in html  # escaped
        assert "Custom fields" in html and "Order reference" in html and "PO-77" in html
        assert "Large (l)" in html and "Gift note" in html and "Not filled in" in html
        assert "Buyer&#39;s visit" in html or "Buyer's visit" in html
        assert "127.0.0.1" in html and "Chrome" in html and "Linux" in html
        german = client.get(
            f"/dashboard/checkouts/{session['id']}", headers={"Accept-Language": "de"}
        ).text
        assert "Bestellnummer" in german and "Benutzerdefinierte Felder" in german
        assert "Kundenreferenz" in german and "Besuch des Käufers" in german


def test_service_refusals_are_shown_in_the_dashboards_language(
    dash: DashServer, account: Account, api
):
    """English readers get the service's own message; other locales the translated
    message of its code (from the catalogs), naming the field."""
    paid = paid_session(api)
    german = {"Accept-Language": "de"}
    with signed_in(dash, account.name) as client:
        csrf = token(client)
        path = f"/dashboard/checkouts/{paid['id']}/refund"
        english = client.post(path, data={"csrf_token": csrf, "amount": "99"})
        assert english.status_code == 422 and "remains to refund" in english.text
        refused = client.post(path, data={"csrf_token": csrf, "amount": "99"}, headers=german)
        assert refused.status_code == 422
        assert "Der Erstattungsbetrag übersteigt den erstattbaren Rest" in refused.text
        assert "Feld: amount" in refused.text and "remains to refund" not in refused.text
        spanish = client.post(
            f"/dashboard/checkouts/{paid['id']}/cancel",
            data={"csrf_token": csrf},
            headers={"Accept-Language": "es"},
        )
        assert spanish.status_code == 409
        assert "Solo se pueden cancelar checkouts pendientes o fallidos." in spanish.text
        # An input model's refusal: the field, in the reader's language.
        invalid = client.post(
            "/dashboard/catalog/tax_rates",
            data={"csrf_token": csrf, "name": "VAT", "percentage": "101"},
            headers={"Accept-Language": "fr"},
        )
        assert invalid.status_code == 422
        assert "Une valeur n&#39;est pas valide." in invalid.text
        assert "Champ : percentage" in invalid.text
        made = {"sku": "dup-1", "name": "Mug", "price": "1", "currency": "EUR"}
        first = client.post("/dashboard/catalog/products", data={"csrf_token": csrf, **made})
        assert first.status_code == 303
        dup = client.post(
            "/dashboard/catalog/products",
            data={"csrf_token": csrf, **made},
            headers={"Accept-Language": "sv"},
        )
        assert dup.status_code == 409
        assert "Det finns redan en produkt med denna SKU." in dup.text


# -- every view and action is scoped to the account and the mode ----------------------------

ADDRESS = {"line1": "Carrer 1", "city": "Barcelona", "postal_code": "08013", "country": "ES"}


def _catalog_of(api: httpx.Client, tag: str, *, paid: bool) -> dict[str, str]:
    """One of everything the dashboard shows, made through the API with ``api``'s key
    (its account and mode); ids by kind."""

    def made(path: str, body: dict[str, object]) -> dict[str, object]:
        response = api.post(path, json=body)
        assert response.status_code in (200, 201), (path, response.text)
        created: dict[str, object] = response.json()
        return created

    sku = f"sku-{tag}-{uuid.uuid4().hex[:6]}"
    made("/v1/products", {"id": sku, "name": f"P {tag}", "unit_amount": 100, "currency": "eur"})
    customer = made("/v1/customers", {"email": f"{tag}@example.com", "addresses": [ADDRESS]})
    checkout = paid_session(api) if paid else create_session(api)
    ids = {
        "product": sku,
        "coupons": str(made("/v1/coupons", {"percent_off": 5, "name": f"C {tag}"})["id"]),
        "tax_rates": str(
            made(
                "/v1/tax_rates", {"display_name": f"T {tag}", "percentage": 7, "inclusive": False}
            )["id"]
        ),
        "shipping_rates": str(
            made(
                "/v1/shipping_rates",
                {"display_name": f"S {tag}", "amount": 300, "currency": "eur"},
            )["id"]
        ),
        "shipping_promotions": str(
            made("/v1/shipping_promotions", {"display_name": f"F {tag}"})["id"]
        ),
        "customer": str(customer["id"]),
        "address": str(customer["addresses"][0]["id"]),  # type: ignore[index]
        "endpoint": str(
            made(
                "/v1/webhook_endpoints", {"url": "https://example.com/h", "enabled_events": ["*"]}
            )["id"]
        ),
        "checkout": str(checkout["id"]),
        "event": str(api.get("/v1/events").json()["data"][0]["id"]),
    }
    if paid:
        orders = api.get("/v1/orders", params={"checkout": checkout["id"]}).json()["data"]
        ids["order"] = str(orders[0]["id"])
    return ids


def _reads(ids: dict[str, str]) -> list[str]:
    paths = [
        f"/dashboard/catalog/products/{ids['product']}",
        f"/dashboard/catalog/customers/{ids['customer']}",
        f"/dashboard/developers/webhooks/{ids['endpoint']}",
        f"/dashboard/checkouts/{ids['checkout']}",
    ]
    paths += [
        f"/dashboard/catalog/{kind}/{ids[kind]}"
        for kind in ("coupons", "tax_rates", "shipping_rates", "shipping_promotions")
    ]
    if "order" in ids:
        paths.append(f"/dashboard/orders/{ids['order']}")
    return paths


def _actions(ids: dict[str, str], key_prefix: str) -> list[tuple[str, dict[str, str]]]:
    customer = f"/dashboard/catalog/customers/{ids['customer']}"
    endpoint = f"/dashboard/developers/webhooks/{ids['endpoint']}"
    checkout = f"/dashboard/checkouts/{ids['checkout']}"
    actions: list[tuple[str, dict[str, str]]] = [
        (f"/dashboard/catalog/products/{ids['product']}", {"name": "Taken", "stock": "1"}),
        (customer, {"email": "taken@example.com", "name": "Taken"}),
        (f"{customer}/addresses", ADDRESS),
        (f"{customer}/addresses/{ids['address']}/remove", {}),
        (f"{endpoint}/rotate", {}),
        (f"{endpoint}/disable", {}),
        (f"{endpoint}/redeliver", {"event": ids["event"]}),
        ("/dashboard/developers/keys/revoke", {"prefix": key_prefix}),
        (f"{checkout}/cancel", {}),
        (f"{checkout}/recover", {}),
        (f"{checkout}/refund", {"amount": "1"}),
        (f"{checkout}/resend", {"event": ids["event"]}),
    ]
    actions += [
        (f"/dashboard/catalog/{kind}/{ids[kind]}", {"name": "Taken", "active": "on"})
        for kind in ("coupons", "tax_rates", "shipping_rates", "shipping_promotions")
    ]
    if "order" in ids:
        actions.append(
            (f"/dashboard/orders/{ids['order']}/fulfillment_events", {"type": "shipped"})
        )
    return actions


LISTS = (
    "/dashboard/checkouts",
    "/dashboard/orders",
    "/dashboard/catalog/products",
    "/dashboard/catalog/coupons",
    "/dashboard/catalog/tax_rates",
    "/dashboard/catalog/shipping_rates",
    "/dashboard/catalog/shipping_promotions",
    "/dashboard/catalog/customers",
    "/dashboard/developers",
    "/dashboard/developers/events",
)


def _listed(client: httpx.Client) -> str:
    pages = [client.get(path) for path in LISTS]
    assert [page.status_code for page in pages] == [200] * len(LISTS)
    return "\n".join(page.text for page in pages)


def _none_reachable(
    client: httpx.Client, csrf: str, ids: dict[str, str], key_prefix: str, listed: str
) -> None:
    """Nothing of ``ids`` is listed, readable or changeable from ``client``'s account and mode."""
    for kind, value in ids.items():
        if kind not in ("address", "event"):
            assert value not in listed, kind
    for path in _reads(ids):
        assert client.get(path).status_code == 404, path
    for path, data in _actions(ids, key_prefix):
        response = client.post(path, data={"csrf_token": csrf, **data})
        assert response.status_code == 404, (path, response.status_code, response.text[:300])
    assert key_prefix not in listed


def _all_reachable(client: httpx.Client, ids: dict[str, str], listed: str) -> None:
    for kind in ("product", "coupons", "tax_rates", "customer", "endpoint", "checkout"):
        assert ids[kind] in listed, kind
    for path in _reads(ids):
        assert client.get(path).status_code == 200, path


def _unchanged(api: httpx.Client, ids: dict[str, str]) -> None:
    assert api.get(f"/v1/products/{ids['product']}").json()["name"].startswith("P ")
    customer = api.get(f"/v1/customers/{ids['customer']}").json()
    assert customer["name"] is None and len(customer["addresses"]) == 1
    for kind in ("coupons", "tax_rates", "shipping_rates", "shipping_promotions"):
        assert api.get(f"/v1/{kind}/{ids[kind]}").json()["active"] is True, kind
    endpoint = api.get(f"/v1/webhook_endpoints/{ids['endpoint']}").json()
    assert endpoint["status"] == "enabled"
    checkout = api.get(f"/v1/checkouts/{ids['checkout']}").json()
    assert checkout["amount_refunded"] == 0 and checkout["status"] in ("pending", "completed")
    assert api.get("/v1/checkouts").status_code == 200  # its key was not revoked
    if "order" in ids:
        assert api.get(f"/v1/orders/{ids['order']}").json()["fulfillment_events"] == []


def test_every_view_and_action_is_scoped_to_the_account_and_the_mode(
    dash: DashServer, account: Account, other_account: Account, server: Server
):
    """What another account has, and what this account has in the other mode, is never
    listed, never readable (404) and never changed by any dashboard action (404)."""
    with (
        client_for(server, account.secret_key) as test_api,
        client_for(server, account.live_key) as live_api,
        client_for(server, other_account.secret_key) as their_api,
    ):
        mine = _catalog_of(test_api, "mine", paid=True)
        live = _catalog_of(live_api, "live", paid=False)
        theirs = _catalog_of(their_api, "theirs", paid=True)
        with signed_in(dash, account.name) as client:
            csrf = token(client)
            listed = _listed(client)
            _all_reachable(client, mine, listed)
            _none_reachable(client, csrf, theirs, other_account.secret_key[:16], listed)
            _none_reachable(client, csrf, live, account.live_key[:16], listed)
            overview = client.get("/dashboard/overview").text
            assert _kpi(overview, "created") == "1" and _kpi(overview, "completed") == "1"

            switched = client.post("/dashboard/mode", data={"csrf_token": csrf, "mode": "live"})
            assert switched.status_code == 303
            listed = _listed(client)
            assert "Live mode" in listed
            _all_reachable(client, live, listed)
            _none_reachable(client, csrf, mine, account.secret_key[:16], listed)
            _none_reachable(client, csrf, theirs, other_account.secret_key[:16], listed)
            overview = client.get("/dashboard/overview").text
            assert _kpi(overview, "created") == "1" and _kpi(overview, "completed") == "0"
        _unchanged(test_api, mine)
        _unchanged(live_api, live)
        _unchanged(their_api, theirs)


def test_coupon_and_promotion_forms_offer_every_create_field(
    dash: DashServer, account: Account, api
):
    """Dates, product restrictions, metadata (coupons) and service levels and products
    (shipping promotions): what the API's create accepts, the form offers."""
    api.post(
        "/v1/products",
        json={"id": "sku-gift", "name": "Gift", "unit_amount": 900, "currency": "eur"},
    )
    with signed_in(dash, account.name) as client:
        csrf = token(client, "/dashboard/catalog/coupons")
        form = {
            "csrf_token": csrf,
            "name": "Gift week",
            "code": "GIFT5",
            "amount_off": "5",
            "currency": "EUR",
            "max_redemptions": "100",
            "redeem_by": "2031-01-31",
            "products": "sku-gift, sku-shirt",
            "metadata": "campaign=winter\nchannel = email",
        }
        made = client.post("/dashboard/catalog/coupons", data=form)
        assert made.status_code == 303, made.text
        coupon = next(c for c in api.get("/v1/coupons").json()["data"] if c["code"] == "GIFT5")
        assert coupon["redeem_by"] == "2031-01-31T23:59:59Z"
        assert coupon["applies_to"] == {"products": ["sku-gift", "sku-shirt"]}
        assert coupon["metadata"] == {"campaign": "winter", "channel": "email"}
        assert (coupon["amount_off"], coupon["max_redemptions"]) == (500, 100)
        listing = client.get("/dashboard/catalog/coupons").text
        assert "sku-gift, sku-shirt" in listing and "2031" in listing
        bad = client.post(
            "/dashboard/catalog/coupons",
            data={**form, "code": "GIFT6", "metadata": "no equals sign"},
        )
        assert bad.status_code == 422 and "key=value" in bad.text
        form_page = client.get("/dashboard/catalog/coupons").text
        for name in ("redeem_by", "products", "metadata", "max_redemptions", "code"):
            assert f'name="{name}"' in form_page, name

        promo = client.post(
            "/dashboard/catalog/shipping_promotions",
            data={
                "csrf_token": csrf,
                "name": "Free express for gifts",
                "service_levels": "Express, standard",
                "products": "sku-gift",
            },
        )
        assert promo.status_code == 303, promo.text
        created = api.get("/v1/shipping_promotions").json()["data"][0]
        assert created["service_levels"] == ["express", "standard"]
        assert created["products"] == ["sku-gift"]
        listing = client.get("/dashboard/catalog/shipping_promotions").text
        assert "express, standard" in listing and "sku-gift" in listing
