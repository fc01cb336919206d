"""Issue 11, "Reaching past a key": no request reaches past the key that sent it.

Idempotent replays stay with the key that made the request and never skip the
scope check; rate limits count verified keys, not strings that look like them;
one account cannot crowd out another's webhooks; no special-purpose address
is a webhook target.
"""

from __future__ import annotations

import asyncio
import ipaddress
import secrets
import string
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from opencheckout.config import Settings
from opencheckout.domain.errors import InvalidValue
from opencheckout.ids import new_id
from opencheckout.service import auth
from opencheckout.service.auth import Scope
from opencheckout.service.context import Context
from opencheckout.service.worker import CLAIM_BATCH, Worker
from opencheckout.store import webhooks as webhook_store
from opencheckout.store.db import Database
from opencheckout.store.models import Event, WebhookDelivery, WebhookEndpoint
from opencheckout.webhooks.netguard import (
    SPECIAL_PURPOSE_RANGES,
    BlockedAddress,
    is_public_address,
    make_client,
    resolve_public,
    validate_endpoint_url,
)
from tests.conftest import (
    Account,
    Server,
    _make_account,
    client_for,
    fresh_database,
    server_settings,
    start_server,
)
from tests.factories import assert_error, session_body
from tests.receiver import Receiver, run_receiver

ACP_HEADERS = {"API-Version": "2026-04-17"}


# -- idempotent replays: scope first, and only to the key that made the request -----


def _replayed(response: httpx.Response) -> bool:
    return response.headers.get("idempotent-replayed") == "true"


def test_read_key_never_receives_a_writes_replay_of_a_webhook_secret(server, account):
    key = {"Idempotency-Key": f"we-{uuid.uuid4()}"}
    body = {"url": "https://hooks.example.com/in", "enabled_events": ["*"]}
    with client_for(server, account.secret_key) as writer:
        first = writer.post("/v1/webhook_endpoints", json=body, headers=key)
        assert first.status_code == 201 and first.json()["secret"].startswith("whsec_")
    with client_for(server, account.read_key) as reader:
        refused = reader.post("/v1/webhook_endpoints", json=body, headers=key)
    error = assert_error(refused, 403, code="insufficient_scope")
    assert error["type"] == "permission_error"
    assert "whsec_" not in refused.text and not _replayed(refused)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/checkouts", session_body()),
        ("/v1/products", {"id": "sku-x", "name": "X", "unit_amount": 100, "currency": "eur"}),
    ],
)
def test_read_key_is_refused_before_any_native_replay(server, account, path, body):
    key = {"Idempotency-Key": f"k-{uuid.uuid4()}"}
    with client_for(server, account.secret_key) as writer:
        assert writer.post(path, json=body, headers=key).status_code == 201
    with client_for(server, account.read_key) as reader:
        refused = reader.post(path, json=body, headers=key)
    assert_error(refused, 403, code="insufficient_scope")
    assert not _replayed(refused)


def test_another_key_of_the_account_has_its_own_idempotency_key_space(server, account):
    """Same account, same Idempotency-Key, a second write key: its own request, no leak."""
    second = _second_write_key(server, account)
    key = {"Idempotency-Key": f"we-{uuid.uuid4()}"}
    body = {"url": "https://hooks.example.com/in", "enabled_events": ["*"]}
    with client_for(server, account.secret_key) as writer:
        first = writer.post("/v1/webhook_endpoints", json=body, headers=key)
        again = writer.post("/v1/webhook_endpoints", json=body, headers=key)
    assert first.status_code == 201 and _replayed(again)
    assert again.json()["secret"] == first.json()["secret"]
    with client_for(server, second) as other:
        own = other.post("/v1/webhook_endpoints", json=body, headers=key)
        own_again = other.post("/v1/webhook_endpoints", json=body, headers=key)
    assert own.status_code == 201 and not _replayed(own)
    assert own.json()["id"] != first.json()["id"]
    assert own.json()["secret"] != first.json()["secret"]
    assert _replayed(own_again) and own_again.json()["id"] == own.json()["id"]


def test_quaderno_replay_is_scoped_and_per_key(server, account):
    key = {"Idempotency-Key": f"q-{uuid.uuid4()}"}
    body = {"items": [{"product": "ebook", "amount": "9.99", "currency": "EUR"}]}
    path = "/api/checkout/sessions.json"
    with httpx.Client(base_url=server.url, auth=(account.secret_key, "x")) as writer:
        first = writer.post(path, json=body, headers=key)
        assert first.status_code == 201, first.text
    with httpx.Client(base_url=server.url, auth=(account.read_key, "x")) as reader:
        refused = reader.post(path, json=body, headers=key)
    assert refused.status_code == 403 and not _replayed(refused)
    assert str(first.json()["id"]) not in refused.text
    with httpx.Client(base_url=server.url, auth=(account.live_key, "x")) as live:
        own = live.post(path, json=body, headers=key)
    assert own.status_code == 201 and not _replayed(own)
    assert own.json()["id"] != first.json()["id"]


def test_acp_replay_is_scoped_and_per_key(server, account):
    with client_for(server, account.secret_key) as native:
        product = {"id": "item_acp", "name": "Tote", "unit_amount": 300, "currency": "usd"}
        assert native.post("/v1/products", json=product).status_code == 201
    second = _second_write_key(server, account)
    headers = {**ACP_HEADERS, "Idempotency-Key": f"acp-{uuid.uuid4()}"}
    body = {"currency": "usd", "line_items": [{"id": "item_acp"}]}
    path = "/acp/checkout_sessions"
    with client_for(server, account.secret_key) as agent:
        first = agent.post(path, json=body, headers=headers)
        assert first.status_code == 201, first.text
    with client_for(server, account.read_key) as reader:
        refused = reader.post(path, json=body, headers=headers)
    assert refused.status_code == 403 and not _replayed(refused)
    assert first.json()["id"] not in refused.text
    with client_for(server, second) as other:
        own = other.post(path, json=body, headers=headers)
    assert own.status_code == 201 and not _replayed(own)
    assert own.json()["id"] != first.json()["id"]


def _second_write_key(server: Server, account: Account) -> str:
    async def create() -> str:
        db = Database(server.database_url)
        try:
            created = await auth.create_key(db, account.name, livemode=False, scope=Scope.WRITE)
        finally:
            await db.dispose()
        return created.secret

    return asyncio.run(create())


# -- rate limits: verified key ids, and client addresses for everything else ----------

BURST = 3


@pytest.fixture(scope="module")
def throttled(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Account]]:
    """A server allowing 3 requests at once and one every 100 s (no refill mid-test)."""
    kind = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    with fresh_database(kind, tmp_path_factory.mktemp("limits")) as url:
        account = asyncio.run(_make_account(url, "limited"))
        settings = server_settings(url, rate_limit_per_second=0.01, rate_limit_burst=BURST)
        uv_server, thread, base_url = start_server(settings)
        yield base_url, account
        uv_server.should_exit = True
        thread.join(timeout=10)


def _forged(real: str) -> str:
    """A key with ``real``'s 16-character public prefix and a random rest."""
    alphabet = string.ascii_letters + string.digits
    return real[:16] + "".join(secrets.choice(alphabet) for _ in range(len(real) - 16))


def test_forged_keys_with_a_real_prefix_cannot_throttle_the_real_key(throttled):
    base_url, account = throttled
    with httpx.Client(base_url=base_url, timeout=30) as anyone:
        forged = [
            anyone.get(
                "/v1/checkouts", headers={"Authorization": f"Bearer {_forged(account.secret_key)}"}
            ).status_code
            for _ in range(400)
        ]
        # Failed authentication is limited per client address...
        assert forged[:BURST] == [401] * BURST
        assert set(forged[BURST:]) == {429}
        # ...and so is every request without a key, from that address.
        anonymous = anyone.get("/v1/checkouts")
        assert_error(anonymous, 429, code="rate_limited")
        assert "address" in anonymous.json()["error"]["message"]
        # Health probes are never throttled.
        assert anyone.get("/healthz").status_code == 200

    # The real key has its own bucket, by its verified key id: untouched.
    with client_for_url(base_url, account.secret_key) as real:
        allowed = [real.get("/v1/checkouts") for _ in range(BURST)]
        assert [r.status_code for r in allowed] == [200] * BURST
        assert [r.headers["x-ratelimit-remaining"] for r in allowed] == ["2", "1", "0"]
        refused = real.get("/v1/checkouts")
        assert_error(refused, 429, code="rate_limited")
        assert "API key" in refused.json()["error"]["message"]
    # Another real key of the account still has its own.
    with client_for_url(base_url, account.read_key) as reader:
        assert reader.get("/v1/checkouts").status_code == 200


def client_for_url(base_url: str, key: str) -> httpx.Client:
    return httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {key}"}, timeout=30)


# -- SSRF: every IANA special-purpose range, at creation and at connect time ----------


def _edges(cidr: str) -> list[str]:
    network = ipaddress.ip_network(cidr)
    return list(dict.fromkeys([str(network[0]), str(network[-1])]))


def _url(address: str) -> str:
    return f"http://[{address}]/hook" if ":" in address else f"http://{address}/hook"


@pytest.mark.parametrize(
    "cidr", [cidr for cidr, _name in SPECIAL_PURPOSE_RANGES], ids=lambda cidr: cidr
)
def test_special_purpose_range_is_refused_at_creation_and_connect(cidr: str) -> None:
    for address in _edges(cidr):
        assert not is_public_address(ipaddress.ip_address(address))
        with pytest.raises(InvalidValue) as refused:
            validate_endpoint_url(_url(address), allow_private=False)
        assert (refused.value.code, refused.value.param) == ("url_not_allowed", "url")
        assert "OPENCHECKOUT_WEBHOOKS_ALLOW_PRIVATE=1" in refused.value.message
        with pytest.raises(BlockedAddress):
            asyncio.run(resolve_public(address, 80, allow_private=False))
        # With the development switch on, the same address is allowed.
        assert validate_endpoint_url(_url(address), allow_private=True)


@pytest.mark.parametrize(
    "address",
    ["192.0.0.8", "192.0.0.170", "198.18.0.1", "100.64.0.1", "240.0.0.1", "64:ff9b:1::1",
     "2001:db8::1", "2001:2::1", "fc00::1", "3fff::1"],
)  # fmt: skip
def test_delivery_client_refuses_special_purpose_addresses_at_connect(address: str) -> None:
    async def post() -> None:
        async with make_client(allow_private=False, timeout=2) as client:
            await client.post(_url(address), content=b"{}")

    with pytest.raises(BlockedAddress) as blocked:
        asyncio.run(post())
    assert "OPENCHECKOUT_WEBHOOKS_ALLOW_PRIVATE=1" in str(blocked.value)


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:4700::1111", "8.8.8.8"])
def test_public_addresses_stay_allowed(address: str) -> None:
    assert is_public_address(ipaddress.ip_address(address))
    assert validate_endpoint_url(_url(address), allow_private=False)


@pytest.fixture(scope="module")
def strict(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server with the production default: private addresses refused."""
    kind = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    with fresh_database(kind, tmp_path_factory.mktemp("strict")) as url:
        settings = server_settings(url, webhooks_allow_private=False)
        uv_server, thread, base_url = start_server(settings)
        yield Server(url=base_url, database_url=url, settings=settings)
        uv_server.should_exit = True
        thread.join(timeout=10)


@pytest.mark.parametrize(
    "url", ["http://192.0.0.8/", "http://[64:ff9b:1::a00:1]/", "http://198.18.0.1/"]
)
def test_special_purpose_webhook_url_is_422_naming_the_setting(strict, url):
    account = asyncio.run(_make_account(strict.database_url, f"ssrf-{uuid.uuid4().hex[:8]}"))
    with client_for(strict, account.secret_key) as api:
        refused = api.post("/v1/webhook_endpoints", json={"url": url, "enabled_events": ["*"]})
        error = assert_error(refused, 422, code="url_not_allowed", param="url")
        assert "OPENCHECKOUT_WEBHOOKS_ALLOW_PRIVATE=1" in error["message"]
        assert api.get("/v1/webhook_endpoints").json()["data"] == []


# -- noisy neighbours: an endpoint cap, and delivery fair across accounts ------------

HOOK = {"url": "https://hooks.example.com/in", "enabled_events": ["*"]}


def test_webhook_endpoints_are_capped_per_account_and_mode(server, account, other_account):
    with client_for(server, account.secret_key) as api:
        created = [api.post("/v1/webhook_endpoints", json=HOOK) for _ in range(16)]
        assert [r.status_code for r in created] == [201] * 16
        over = api.post("/v1/webhook_endpoints", json=HOOK)
        error = assert_error(over, 422, code="webhook_endpoint_limit")
        assert "16" in error["message"] and "test mode" in error["message"]
        assert len(api.get("/v1/webhook_endpoints", params={"limit": 100}).json()["data"]) == 16
        # Deleting one makes room again.
        gone = api.delete(f"/v1/webhook_endpoints/{created[0].json()['id']}")
        assert gone.status_code == 204
        assert api.post("/v1/webhook_endpoints", json=HOOK).status_code == 201
        assert_error(api.post("/v1/webhook_endpoints", json=HOOK), 422, "webhook_endpoint_limit")
    # Live mode and other accounts count on their own.
    with client_for(server, account.live_key) as live:
        assert live.post("/v1/webhook_endpoints", json=HOOK).status_code == 201
    with client_for(server, other_account.secret_key) as other:
        assert other.post("/v1/webhook_endpoints", json=HOOK).status_code == 201


def test_concurrent_creates_never_pass_the_endpoint_cap(server, account):
    def create(_n: int) -> int:
        with client_for(server, account.secret_key) as api:
            return api.post("/v1/webhook_endpoints", json=HOOK).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(create, range(24)))
    assert sorted(statuses) == [201] * 16 + [422] * 8
    with client_for(server, account.secret_key) as api:
        assert len(api.get("/v1/webhook_endpoints", params={"limit": 100}).json()["data"]) == 16


def test_endpoint_cap_is_read_from_the_environment(monkeypatch):
    assert Settings().max_webhook_endpoints == 16
    monkeypatch.setenv("OPENCHECKOUT_MAX_WEBHOOK_ENDPOINTS", "3")
    assert Settings.from_env().max_webhook_endpoints == 3


NOISY_ENDPOINTS = 8
NOISY_BACKLOG = 40  # per endpoint: 320 due deliveries, all older than the quiet one's


@pytest.fixture
def backlog(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database of its own: no server, so no other worker claims its deliveries."""
    kind = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    with fresh_database(kind, tmp_path_factory.mktemp("fair")) as url:
        yield url


async def _queue(
    db: Database, account_id: str, url: str, *, endpoints: int, events: int, now: datetime
) -> list[str]:
    """``endpoints`` endpoints of ``account_id`` at ``url``, each owed ``events`` due
    deliveries; returns the endpoint ids."""
    async with db.write() as session:
        owned = [
            WebhookEndpoint(
                id=new_id("we"), account_id=account_id, livemode=False, url=url,
                enabled_events=["*"], status="enabled", secret="whsec_" + "a" * 32,
                metadata_={}, created_at=now, updated_at=now,
            )
            for _ in range(endpoints)
        ]  # fmt: skip
        session.add_all(owned)
        for _ in range(events):
            event = Event(
                id=new_id("evt"), account_id=account_id, livemode=False,
                type="checkout.created", created_at=now, data={"object": {}},
            )  # fmt: skip
            session.add(event)
            await session.flush()
            session.add_all(
                WebhookDelivery(
                    endpoint_id=endpoint.id, event_pk=event.pk, account_id=account_id,
                    livemode=False, status="pending", attempts=0,
                    next_attempt_at=now - timedelta(seconds=1), created_at=now,
                )
                for endpoint in owned
            )  # fmt: skip
    return [endpoint.id for endpoint in owned]


def test_a_neighbours_backlog_does_not_keep_another_account_out_of_the_batch(backlog):
    async def scenario() -> None:
        db = Database(backlog)
        now = datetime.now(UTC)
        try:
            noisy = await _queue(
                db, "acct_noisy", "https://noisy.example/h",
                endpoints=NOISY_ENDPOINTS, events=NOISY_BACKLOG, now=now,
            )  # fmt: skip
            [quiet] = await _queue(
                db, "acct_quiet", "https://quiet.example/h", endpoints=1, events=1, now=now
            )
            async with db.write() as session:
                claimed = await webhook_store.claim_due(session, now, limit=CLAIM_BATCH)
        finally:
            await db.dispose()
        endpoints = [endpoint.id for _delivery, endpoint, _event in claimed]
        # The quiet account's only delivery is claimed first, with the noisy
        # account's first round: not after its 320 older ones.
        assert quiet in endpoints[:2]
        # The noisy account gets a bounded share, at most two per endpoint...
        assert 0 < endpoints.count(noisy[0]) <= webhook_store.PER_ENDPOINT_CLAIM
        assert len(endpoints) - 1 <= webhook_store.PER_ACCOUNT_CLAIM
        # ...and each endpoint's events still go oldest first.
        for endpoint_id in set(endpoints):
            pks = [e.pk for _d, end, e in claimed if end.id == endpoint_id]
            assert pks == sorted(pks)

    asyncio.run(scenario())


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with run_receiver() as running:
        running.behaviours["/failing"] = lambda _n: 500
        yield running


def test_a_neighbours_failing_endpoints_do_not_delay_another_accounts_delivery(backlog, receiver):
    """One worker pass: the quiet account is delivered although the noisy one's
    failing backlog alone would fill several batches."""

    async def scenario() -> None:
        db = Database(backlog)
        now = datetime.now(UTC)
        settings = Settings(
            database_url=backlog, webhooks_allow_private=True, webhook_timeout_seconds=5
        )
        worker = Worker(Context(db=db, settings=settings))
        try:
            await _queue(
                db, "acct_noisy", receiver.url + "/failing",
                endpoints=NOISY_ENDPOINTS, events=NOISY_BACKLOG, now=now,
            )  # fmt: skip
            await _queue(db, "acct_quiet", receiver.url + "/ok", endpoints=1, events=1, now=now)
            delivered = await worker.deliver_due()
        finally:
            await worker.close()
            await db.dispose()
        assert delivered <= CLAIM_BATCH
        assert len(receiver.on("/ok")) == 1
        assert 0 < len(receiver.on("/failing")) <= webhook_store.PER_ACCOUNT_CLAIM

    asyncio.run(scenario())
