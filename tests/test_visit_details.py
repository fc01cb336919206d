"""Visit details: the hosted page records ``client`` on the session (address,
user agent parsed by ua-parser, first and last seen), believes X-Forwarded-For
only from trusted proxies, anonymizes or records nothing when configured; over
HTTP on both engines, plus the pure rules (chain walking, prefixes, throttling)."""

from __future__ import annotations

import asyncio
import ipaddress
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from opencheckout.config import Settings
from opencheckout.domain.client_ip import anonymize, client_address, parse_networks
from opencheckout.service.visits import Visit, client_update, parse_user_agent
from tests.conftest import _make_account, server_settings, start_server
from tests.factories import create_session
from tests.hosted import page_path

MAC_CHROME = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/92.0.4515.131 Safari/537.36"
)
IPHONE_SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1"
)


def _visit(url: str, session: dict[str, Any], **headers: str) -> None:
    with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
        assert client.get(page_path(session)).status_code == 200


def test_the_first_and_latest_visit_are_recorded(server, api):
    session = create_session(api)
    assert session["client"] is None
    _visit(server.url, session, **{"User-Agent": MAC_CHROME, "X-Forwarded-For": "198.51.100.9"})
    client = api.get(f"/v1/checkouts/{session['id']}").json()["client"]
    assert client["ip"] == "127.0.0.1"  # no trusted proxy: the header is not believed
    assert client["user_agent"] == MAC_CHROME
    assert (client["browser"], client["os"], client["device"]) == (
        "Chrome",
        "Mac OS X 10.15.7",
        "Mac",
    )
    assert client["first_seen_at"] == client["last_seen_at"]
    assert client["first_seen_at"].endswith("Z")
    # Reloading within the minute writes nothing new.
    _visit(server.url, session, **{"User-Agent": MAC_CHROME})
    assert api.get(f"/v1/checkouts/{session['id']}").json()["client"] == client
    # Another browser is the latest visit; the first one is remembered by time.
    _visit(server.url, session, **{"User-Agent": IPHONE_SAFARI})
    latest = api.get(f"/v1/checkouts/{session['id']}").json()["client"]
    assert latest["browser"] == "Mobile Safari" and latest["os"] == "iOS 17.1"
    assert latest["device"] == "iPhone"
    assert latest["first_seen_at"] == client["first_seen_at"]
    assert latest["last_seen_at"] >= client["last_seen_at"]


def test_a_visit_emits_no_event_but_later_events_carry_it(server, api):
    session = create_session(api)
    _visit(server.url, session, **{"User-Agent": MAC_CHROME})
    types = [
        event["type"]
        for event in api.get("/v1/events", params={"limit": 100}).json()["data"]
        if event["data"]["object"]["id"] == session["id"]
    ]
    assert types == ["checkout.created"]
    assert api.post(f"/v1/checkouts/{session['id']}/cancel").status_code == 200
    abandoned = api.get("/v1/events", params={"type": "checkout.abandoned"}).json()["data"][0]
    assert abandoned["data"]["object"]["client"]["browser"] == "Chrome"


def test_a_closed_session_records_nothing(server, api):
    session = create_session(api)
    assert api.post(f"/v1/checkouts/{session['id']}/cancel").status_code == 200
    with httpx.Client(base_url=server.url, timeout=30) as client:
        assert client.get(page_path(session)).status_code == 410
    assert api.get(f"/v1/checkouts/{session['id']}").json()["client"] is None


def test_no_user_agent_is_recorded_as_null(server, api):
    session = create_session(api)
    with httpx.Client(base_url=server.url, timeout=30) as client:
        del client.headers["user-agent"]
        assert client.get(page_path(session)).status_code == 200
    client_info = api.get(f"/v1/checkouts/{session['id']}").json()["client"]
    assert client_info["ip"] == "127.0.0.1"
    assert client_info["user_agent"] is None and client_info["browser"] is None


@pytest.fixture(scope="module")
def configured(database_url: str) -> Iterator[dict[str, tuple[str, str]]]:
    """Servers (no embedded worker) behind a trusted proxy on loopback, full and
    anonymized, and one that records nothing: name -> (url, API key)."""
    servers = {}
    started = []
    for name, overrides in {
        "proxied": {"trusted_proxies": parse_networks("127.0.0.1, 10.0.0.0/8")},
        "anonymized": {
            "trusted_proxies": parse_networks("127.0.0.0/8"),
            "record_client": "anonymized",
        },
        "off": {"record_client": "off"},
    }.items():
        settings = server_settings(database_url, embedded_worker=False, **overrides)
        uv_server, thread, url = start_server(settings)
        started.append((uv_server, thread))
        account = asyncio.run(_make_account(database_url, f"visit-{uuid.uuid4().hex[:8]}"))
        servers[name] = (url, account.secret_key)
    yield servers
    for uv_server, thread in started:
        uv_server.should_exit = True
        thread.join(timeout=10)


def _api(url: str, key: str) -> httpx.Client:
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=30)


def test_forwarded_for_is_believed_from_trusted_proxies_only(configured):
    url, key = configured["proxied"]
    with _api(url, key) as api:
        session = create_session(api)
        # A spoofed left-most hop, the client, then our own (trusted) load balancer.
        _visit(url, session, **{"X-Forwarded-For": "1.2.3.4, 203.0.113.7, 10.1.2.3"})
        assert api.get(f"/v1/checkouts/{session['id']}").json()["client"]["ip"] == "203.0.113.7"
        other = create_session(api)
        _visit(url, other, **{"X-Forwarded-For": "not-an-ip, 10.0.0.5"})
        assert api.get(f"/v1/checkouts/{other['id']}").json()["client"]["ip"] == "10.0.0.5"
        third = create_session(api)
        _visit(url, third)
        assert api.get(f"/v1/checkouts/{third['id']}").json()["client"]["ip"] == "127.0.0.1"


def test_anonymized_keeps_only_the_network_prefix(configured):
    url, key = configured["anonymized"]
    with _api(url, key) as api:
        session = create_session(api)
        _visit(url, session, **{"X-Forwarded-For": "203.0.113.77", "User-Agent": MAC_CHROME})
        client = api.get(f"/v1/checkouts/{session['id']}").json()["client"]
        assert client["ip"] == "203.0.113.0" and client["browser"] == "Chrome"
        v6 = create_session(api)
        _visit(url, v6, **{"X-Forwarded-For": "2001:db8:1:2:3:4:5:6"})
        assert api.get(f"/v1/checkouts/{v6['id']}").json()["client"]["ip"] == "2001:db8:1::"


def test_record_client_off_records_nothing(configured):
    url, key = configured["off"]
    with _api(url, key) as api:
        session = create_session(api)
        _visit(url, session, **{"User-Agent": MAC_CHROME})
        assert api.get(f"/v1/checkouts/{session['id']}").json()["client"] is None


# The pure rules.


def test_chain_walking_and_prefixes():
    trusted = parse_networks("10.0.0.0/8, ::1")
    assert client_address("10.0.0.1", ["198.51.100.1, 10.9.9.9"], trusted) == "198.51.100.1"
    assert client_address("192.0.2.1", ["198.51.100.1"], trusted) == "192.0.2.1"
    assert client_address("10.0.0.1", [], trusted) == "10.0.0.1"
    assert client_address("10.0.0.1", ["[2001:db8::1]:443"], trusted) == "2001:db8::1"
    assert client_address("::ffff:10.0.0.1", ["198.51.100.2:5000"], trusted) == "198.51.100.2"
    assert client_address("::1", ["a", "198.51.100.3"], trusted) == "198.51.100.3"
    assert client_address(None, ["198.51.100.1"], trusted) is None
    assert anonymize("192.0.2.200") == "192.0.2.0"
    assert anonymize("2001:db8:abcd:1234::1") == "2001:db8:abcd::"
    assert parse_networks("") == ()
    assert parse_networks("192.0.2.1")[0] == ipaddress.ip_network("192.0.2.1/32")
    with pytest.raises(ValueError, match="OPENCHECKOUT_TRUSTED_PROXIES"):
        parse_networks("10.0.0.0/8, proxy.example")


def test_settings_from_the_environment(monkeypatch):
    for value, mode in (("", "full"), ("1", "full"), ("0", "off"), ("anonymized", "anonymized")):
        monkeypatch.setenv("OPENCHECKOUT_RECORD_CLIENT", value)
        assert Settings.from_env().record_client == mode
    monkeypatch.setenv("OPENCHECKOUT_RECORD_CLIENT", "maybe")
    with pytest.raises(ValueError, match="OPENCHECKOUT_RECORD_CLIENT"):
        Settings.from_env()
    monkeypatch.setenv("OPENCHECKOUT_RECORD_CLIENT", "1")
    monkeypatch.setenv("OPENCHECKOUT_TRUSTED_PROXIES", "10.0.0.1, 172.16.0.0/12")
    assert [str(n) for n in Settings.from_env().trusted_proxies] == [
        "10.0.0.1/32",
        "172.16.0.0/12",
    ]


def test_last_seen_is_refreshed_at_most_once_a_minute():
    now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    visit = Visit(ip="192.0.2.1", user_agent=MAC_CHROME)
    first = client_update(None, visit, now, "full")
    assert first is not None and first["first_seen_at"] == "2026-12-02T12:00:00Z"
    assert client_update(first, visit, now + timedelta(seconds=59), "full") is None
    later = client_update(first, visit, now + timedelta(seconds=61), "full")
    assert later is not None and later["last_seen_at"] == "2026-12-02T12:01:01Z"
    assert later["first_seen_at"] == first["first_seen_at"]
    moved = client_update(first, Visit("192.0.2.2", MAC_CHROME), now, "full")
    assert moved is not None and moved["ip"] == "192.0.2.2"
    assert client_update(None, visit, now, "off") is None
    # A damaged record never fails the page: nothing is written.
    assert client_update({"ip": "192.0.2.1", "user_agent": MAC_CHROME, "last_seen_at": "x"},
                         visit, now, "full") is None  # fmt: skip
    assert client_update(None, Visit("not-an-ip", None), now, "anonymized") is None
    long = client_update(None, Visit(None, "x" * 5000 + "\x00"), now, "full")
    assert long is not None and long["user_agent"] == "x" * 512


def test_user_agents_are_parsed_by_ua_parser():
    assert parse_user_agent(MAC_CHROME) == ("Chrome", "Mac OS X 10.15.7", "Mac")
    assert parse_user_agent("curl/8.5.0") == ("curl", "Other", "Other")
