"""Authentication, scopes, and tenant and mode isolation."""

from __future__ import annotations

import asyncio

import httpx

from opencheckout.service import auth
from opencheckout.store.db import Database
from tests.conftest import client_for
from tests.factories import assert_error, create_session, session_body


def test_missing_and_unknown_keys_are_401(server):
    with client_for(server, None) as anonymous:
        error = assert_error(anonymous.get("/v1/checkouts"), 401, code="api_key_missing")
        assert error["type"] == "authentication_error"
    for bad in ("sk_test_" + "A" * 32, "sk_test_short", "nonsense", "rk_live_" + "b" * 32):
        with client_for(server, bad) as client:
            assert_error(client.get("/v1/checkouts"), 401, code="api_key_invalid")


def test_basic_auth_with_key_as_user_name(server, account):
    with httpx.Client(base_url=server.url, auth=(account.secret_key, "x")) as client:
        created = client.post("/v1/checkouts", json=session_body())
        assert created.status_code == 201
        assert client.get(f"/v1/checkouts/{created.json()['id']}").status_code == 200
    with httpx.Client(base_url=server.url, auth=("sk_test_" + "Z" * 32, "x")) as client:
        assert_error(client.get("/v1/checkouts"), 401)


def test_restricted_key_reads_but_cannot_write(server, account, api):
    session = create_session(api)
    with client_for(server, account.read_key) as reader:
        assert reader.get(f"/v1/checkouts/{session['id']}").status_code == 200
        assert reader.get("/v1/checkouts").json()["data"][0]["id"] == session["id"]
        assert reader.get(f"/v1/checkouts/{session['id']}/line_items").status_code == 200
        error = assert_error(reader.post("/v1/checkouts", json=session_body()), 403)
        assert error["type"] == "permission_error"
        assert_error(reader.patch(f"/v1/checkouts/{session['id']}", json={}), 403)
        assert_error(reader.delete(f"/v1/checkouts/{session['id']}"), 403)
        assert_error(reader.post(f"/v1/checkouts/{session['id']}/cancel"), 403)


def test_other_accounts_and_modes_see_404(server, account, other_account, api):
    session = create_session(api)
    sid = session["id"]
    for key in (other_account.secret_key, account.live_key):
        with client_for(server, key) as outsider:
            assert_error(outsider.get(f"/v1/checkouts/{sid}"), 404, code="resource_missing")
            assert_error(outsider.patch(f"/v1/checkouts/{sid}", json={"locale": "es"}), 404)
            assert_error(outsider.post(f"/v1/checkouts/{sid}/cancel"), 404)
            assert_error(outsider.delete(f"/v1/checkouts/{sid}"), 404)
            assert outsider.get("/v1/checkouts", params={"ids[]": sid}).json()["data"] == []
    assert api.get(f"/v1/checkouts/{sid}").json()["status"] == "pending"


def test_live_mode_sessions_are_live_and_refuse_the_test_processor(server, account):
    with client_for(server, account.live_key) as live:
        session = live.post("/v1/checkouts", json=session_body()).json()
        assert session["livemode"] is True
        response = live.post(
            f"/v1/checkouts/{session['id']}/complete",
            json={"payment": {"method": "card", "card_number": "4242424242424242"}},
        )
        assert_error(response, 409, code="processor_not_configured")
        assert live.get(f"/v1/checkouts/{session['id']}").json()["status"] == "pending"


def test_revoked_key_is_refused(server, account):
    async def revoke() -> None:
        db = Database(server.database_url)
        try:
            await auth.revoke_key(db, auth.key_prefix(account.read_key) or "")
        finally:
            await db.dispose()

    with client_for(server, account.read_key) as reader:
        assert reader.get("/v1/checkouts").status_code == 200
        asyncio.run(revoke())
        assert_error(reader.get("/v1/checkouts"), 401, code="api_key_invalid")


def test_keys_are_stored_only_as_digests(server, account):
    async def stored() -> list[str]:
        db = Database(server.database_url)
        try:
            return [key.key_hash for key in await auth.list_keys(db, account.name)]
        finally:
            await db.dispose()

    digests = asyncio.run(stored())
    assert len(digests) == 3
    for secret in (account.secret_key, account.read_key, account.live_key):
        assert secret not in digests
        assert all(secret[8:] not in digest for digest in digests)
