"""``GET /metrics``: Prometheus text over real HTTP, counting what the server did.

In-process test servers share one process, hence one set of counters: every
assertion compares a scrape taken before with one taken after.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from opencheckout.observability import metrics
from tests.conftest import (
    _make_account,
    free_port,
    fresh_database,
    server_settings,
    start_server,
)
from tests.factories import DECLINED_CARD, GOOD_CARD, create_session
from tests.processes import start_serve, start_worker
from tests.receiver import Receiver, run_receiver

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(base_url: str, path: str = "/metrics") -> Samples:
    response = httpx.get(base_url + path, timeout=60)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def delta(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with run_receiver() as running:
        yield running


def test_requests_are_counted_by_route_template_and_status(server, api):
    before = scrape(server.url)
    session = create_session(api)  # answered by the hot path
    assert api.get(f"/v1/checkouts/{session['id']}").status_code == 200  # hot path
    assert api.get("/v1/checkouts/cs_missing").status_code == 404  # hot path, an error
    assert api.get("/v1/checkouts", params={"limit": 1}).status_code == 200  # the router
    assert api.post(f"/v1/checkouts/{session['id']}/cancel").status_code == 200
    assert api.get("/no/such/route").status_code == 404
    after = scrape(server.url)

    requests = "opencheckout_http_requests_total"
    item = "/v1/checkouts/{checkout_id}"
    assert delta(before, after, requests, method="POST", route="/v1/checkouts", status="201") == 1
    assert delta(before, after, requests, method="GET", route=item, status="200") == 1
    assert delta(before, after, requests, method="GET", route=item, status="404") == 1
    assert delta(before, after, requests, method="GET", route="/v1/checkouts", status="200") == 1
    cancel = "/v1/checkouts/{checkout_id}/cancel"
    assert delta(before, after, requests, method="POST", route=cancel, status="200") == 1
    assert delta(before, after, requests, method="GET", route="unmatched", status="404") == 1
    # No series names a session: ids would make one series per checkout.
    assert not any(session["id"] in str(labels) for _name, labels in after)

    histogram = "opencheckout_http_request_duration_seconds"
    assert delta(before, after, histogram + "_count", method="GET", route=item) == 2
    assert value(after, histogram + "_bucket", method="GET", route=item, le="+Inf") >= 2
    assert value(after, histogram + "_sum", method="GET", route=item) > 0


def test_checkout_transitions_and_payments(server, api):
    before = scrape(server.url)
    declined_then_paid = create_session(api)
    sid = declined_then_paid["id"]
    pay = f"/v1/checkouts/{sid}/complete"
    assert api.post(pay, json={"payment": DECLINED_CARD}).status_code == 402
    assert api.post(pay, json={"payment": GOOD_CARD}).status_code == 200
    cancelled = create_session(api)
    assert api.post(f"/v1/checkouts/{cancelled['id']}/cancel").status_code == 200
    # A refused edit rolls back and moves nothing.
    assert api.post(pay, json={"payment": GOOD_CARD}).status_code == 409
    after = scrape(server.url)

    transitions = "opencheckout_checkout_transitions_total"
    assert delta(before, after, transitions, status="pending") == 2
    assert delta(before, after, transitions, status="processing") == 2
    assert delta(before, after, transitions, status="failed") == 1
    assert delta(before, after, transitions, status="completed") == 1
    assert delta(before, after, transitions, status="abandoned") == 1
    payments = "opencheckout_payments_total"
    assert delta(before, after, payments, processor="test", outcome="declined") == 1
    assert delta(before, after, payments, processor="test", outcome="succeeded") == 1


def test_webhook_deliveries_queue_worker_and_pools(server, api, receiver):
    receiver.behaviours["/flaky"] = lambda n: 500 if n == 0 else 204
    response = api.post(
        "/v1/webhook_endpoints",
        json={"url": f"{receiver.url}/flaky", "enabled_events": ["checkout.created"]},
    )
    assert response.status_code == 201, response.text
    before = scrape(server.url)
    create_session(api)
    receiver.wait_for(lambda: len(receiver.on("/flaky")) >= 2)
    deliveries = "opencheckout_webhook_deliveries_total"

    def settled() -> bool:
        return delta(before, scrape(server.url), deliveries, outcome="succeeded") >= 1

    receiver.wait_for(settled)
    after = scrape(server.url)
    assert delta(before, after, deliveries, outcome="retrying") == 1
    assert delta(before, after, deliveries, outcome="succeeded") == 1

    worker = "opencheckout_worker_loop_duration_seconds_count"
    for duty in ("deliver", "sweep", "settle", "housekeeping", "pass"):
        assert delta(before, after, worker, duty=duty) >= 1, duty
    assert ("opencheckout_webhook_queue_depth", frozenset()) in after
    assert ("opencheckout_webhook_queue_oldest_age_seconds", frozenset()) in after
    assert value(after, "opencheckout_db_pool_max", pool="write") >= 1
    assert value(after, "opencheckout_db_pool_size", pool="write") >= 1
    assert ("opencheckout_db_pool_in_use", frozenset({("pool", "write")})) in after


def test_queue_depth_and_oldest_age_come_from_the_database(server, api, receiver):
    """A delivery that keeps failing stays pending: the gauges see it at scrape time."""
    receiver.behaviours["/down"] = lambda _n: 503
    response = api.post(
        "/v1/webhook_endpoints",
        json={"url": f"{receiver.url}/down", "enabled_events": ["checkout.created"]},
    )
    endpoint = response.json()
    try:
        create_session(api)
        receiver.wait_for(lambda: len(receiver.on("/down")) >= 1)
        first = scrape(server.url)
        assert value(first, "opencheckout_webhook_queue_depth") >= 1
        time.sleep(0.05)  # ordering only: the second scrape is later
        second = scrape(server.url)
        age = "opencheckout_webhook_queue_oldest_age_seconds"
        assert value(second, age) > 0
        assert value(second, age) >= value(first, age)
    finally:
        api.delete(f"/v1/webhook_endpoints/{endpoint['id']}")


@pytest.fixture(scope="module")
def throttled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    with fresh_database("sqlite", tmp_path_factory.mktemp("metrics-429")) as url:
        account = asyncio.run(_make_account(url, "throttled-metrics"))
        settings = server_settings(url, rate_limit_per_second=0.01, rate_limit_burst=1)
        server, thread, base_url = start_server(settings)
        yield base_url, account.secret_key
        server.should_exit = True
        thread.join(timeout=10)


def test_rate_limited_requests_count_under_their_route(throttled):
    base_url, key = throttled
    before = scrape(base_url)
    headers = {"Authorization": f"Bearer {key}"}
    statuses = [
        httpx.get(
            f"{base_url}/v1/checkouts/cs_{uuid.uuid4().hex}", headers=headers, timeout=60
        ).status_code
        for _ in range(3)
    ]
    assert statuses.count(429) >= 2
    after = scrape(base_url)
    requests = "opencheckout_http_requests_total"
    item = "/v1/checkouts/{checkout_id}"
    assert delta(before, after, requests, method="GET", route=item, status="429") == statuses.count(
        429
    )


def test_metrics_can_be_turned_off(database_url):
    server, thread, base_url = start_server(server_settings(database_url, metrics=False))
    try:
        assert httpx.get(base_url + "/metrics", timeout=60).status_code == 404
        assert httpx.get(base_url + "/healthz", timeout=60).status_code == 200
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_metrics_on_a_separate_port(database_url, tmp_path):
    metrics_port = free_port()
    serve = start_serve(database_url, tmp_path, OPENCHECKOUT_METRICS_PORT=str(metrics_port))
    try:
        assert httpx.get(serve.url + "/metrics", timeout=60).status_code == 404
        samples = scrape(f"http://127.0.0.1:{metrics_port}")
        assert (
            value(
                samples,
                "opencheckout_http_requests_total",
                method="GET",
                route="/readyz",
                status="200",
            )
            >= 1
        )
        refused = httpx.get(f"http://127.0.0.1:{metrics_port}/other", timeout=60)
        assert refused.status_code == 404
    finally:
        serve.stop()


def test_standalone_worker_serves_its_metrics_port(database_url, tmp_path):
    metrics_port = free_port()
    worker = start_worker(
        database_url,
        tmp_path,
        OPENCHECKOUT_METRICS_PORT=str(metrics_port),
        OPENCHECKOUT_LOG_FORMAT="json",
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                samples = scrape(f"http://127.0.0.1:{metrics_port}")
                if value(samples, "opencheckout_worker_loop_duration_seconds_count", duty="pass"):
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, worker.output()[-2000:]
            time.sleep(0.1)
    finally:
        worker.stop()


def test_workers_share_one_view_in_multiprocess_mode(database_url, tmp_path):
    """``serve --workers 2``: whichever process answers, it counts both processes' requests."""
    account = asyncio.run(_make_account(database_url, f"mp-{uuid.uuid4().hex[:8]}"))
    serve = start_serve(database_url, tmp_path, workers=2)
    try:
        with client_for_url(serve.url, account.secret_key) as api:
            for _ in range(20):
                assert api.get("/v1/checkouts", params={"limit": 1}).status_code == 200
        samples = scrape(serve.url)
        listed = value(
            samples,
            "opencheckout_http_requests_total",
            method="GET",
            route="/v1/checkouts",
            status="200",
        )
        assert listed == 20
    finally:
        serve.stop()


def client_for_url(url: str, key: str) -> httpx.Client:
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=30)


def test_refunds_are_counted_by_processor_and_outcome(server, api):
    session = create_session(api)
    assert (
        api.post(f"/v1/checkouts/{session['id']}/complete", json={"payment": GOOD_CARD}).status_code
        == 200
    )
    before = scrape(server.url)
    refunded = api.post(f"/v1/checkouts/{session['id']}/refunds", json={"amount": 100})
    assert refunded.status_code in (200, 201), refunded.text
    after = scrape(server.url)
    refunds = "opencheckout_refunds_total"
    assert delta(before, after, refunds, processor="test", outcome="succeeded") == 1


def test_record_refund_is_exposed():
    """The hook the refunds code calls; its series appear in the exposition."""
    processor = f"proc{uuid.uuid4().hex[:6]}"
    metrics.record_refund(processor, "succeeded")
    metrics.record_refund(processor, "succeeded")
    metrics.record_refund(processor, "failed")
    text = metrics.render().decode()
    assert f'opencheckout_refunds_total{{outcome="succeeded",processor="{processor}"}} 2.0' in text
    assert f'opencheckout_refunds_total{{outcome="failed",processor="{processor}"}} 1.0' in text
