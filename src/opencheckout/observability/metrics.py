"""The process's Prometheus metrics and the functions that record them.

Any layer may call the ``record_*`` functions (they only touch in-memory
counters, never I/O). Metrics are per process: ``serve --workers N`` runs N
processes, each counting what it served, unless ``PROMETHEUS_MULTIPROC_DIR``
is set (``serve`` sets it for ``--workers`` above 1), in which case every
``/metrics`` answer adds up all of them (prometheus_client's multiprocess mode).

Gauges that describe shared state (the delivery queue) or a pool are set
right before a scrape by :func:`set_queue` and :func:`set_pools`.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client import multiprocess as _multiprocess

__all__ = [
    "CONTENT_TYPE_LATEST",
    "PoolUsage",
    "QueueStats",
    "observe_worker_duty",
    "record_checkout_transition",
    "record_payment",
    "record_refund",
    "record_request",
    "record_webhook_delivery",
    "render",
    "set_pools",
    "set_queue",
]

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

REQUESTS = Counter(
    "opencheckout_http_requests",
    "HTTP requests answered, by method, route template and status code.",
    ["method", "route", "status"],
)
REQUEST_LATENCY = Histogram(
    "opencheckout_http_request_duration_seconds",
    "Time from a request's arrival to the end of its response, by method and route template.",
    ["method", "route"],
    buckets=_LATENCY_BUCKETS,
)
CHECKOUT_TRANSITIONS = Counter(
    "opencheckout_checkout_transitions",
    "Checkout sessions entering a status (pending on creation or recovery).",
    ["status"],
)
PAYMENTS = Counter(
    "opencheckout_payments",
    "Processor answers to payments, by processor and outcome (succeeded, declined, "
    "processing, error); a payment that answered processing counts again when it settles.",
    ["processor", "outcome"],
)
REFUNDS = Counter(
    "opencheckout_refunds",
    "Refunds asked of a processor, by processor and outcome.",
    ["processor", "outcome"],
)
WEBHOOK_DELIVERIES = Counter(
    "opencheckout_webhook_deliveries",
    "Webhook delivery attempts by outcome: succeeded, retrying (failed, will retry) or "
    "failed (failed and given up).",
    ["outcome"],
)
WORKER_DUTY = Histogram(
    "opencheckout_worker_loop_duration_seconds",
    "Time one worker pass spent on each duty (deliver, sweep, settle, housekeeping) "
    "and on the whole pass.",
    ["duty"],
    buckets=_LATENCY_BUCKETS,
)
QUEUE_DEPTH = Gauge(
    "opencheckout_webhook_queue_depth",
    "Webhook deliveries pending (due now or waiting for a retry), at scrape time.",
    multiprocess_mode="mostrecent",
)
QUEUE_OLDEST_AGE = Gauge(
    "opencheckout_webhook_queue_oldest_age_seconds",
    "Age of the oldest pending webhook delivery (0 when none), at scrape time.",
    multiprocess_mode="mostrecent",
)
POOL_SIZE = Gauge(
    "opencheckout_db_pool_size",
    "Connections a database pool holds open (busy or idle).",
    ["pool"],
    multiprocess_mode="livesum",
)
POOL_IN_USE = Gauge(
    "opencheckout_db_pool_in_use",
    "Connections of a database pool checked out by a request or the worker.",
    ["pool"],
    multiprocess_mode="livesum",
)
POOL_MAX = Gauge(
    "opencheckout_db_pool_max",
    "The most connections a database pool may open (size plus overflow).",
    ["pool"],
    multiprocess_mode="livesum",
)


@dataclass(frozen=True, slots=True)
class QueueStats:
    depth: int
    oldest_age_seconds: float


@dataclass(frozen=True, slots=True)
class PoolUsage:
    pool: str
    size: int
    in_use: int
    max_size: int


def record_request(method: str, route: str, status: int, seconds: float) -> None:
    """One answered request; ``route`` is its template (``/v1/checkouts/{checkout_id}``)."""
    method = method if method in _KNOWN_METHODS else "OTHER"
    REQUESTS.labels(method, route, str(status)).inc()
    REQUEST_LATENCY.labels(method, route).observe(seconds)


def record_checkout_transition(status: str) -> None:
    CHECKOUT_TRANSITIONS.labels(status).inc()


def record_payment(processor: str, outcome: str) -> None:
    """A processor's answer (``succeeded``, ``declined``, ``processing``) or ``error``."""
    PAYMENTS.labels(processor, outcome).inc()


def record_refund(processor: str, outcome: str) -> None:
    """A refund's result (e.g. ``succeeded``, ``pending``, ``failed``, ``error``)."""
    REFUNDS.labels(processor, outcome).inc()


def record_webhook_delivery(outcome: str) -> None:
    """One attempt: ``succeeded``, ``retrying`` or ``failed`` (given up)."""
    WEBHOOK_DELIVERIES.labels(outcome).inc()


def observe_worker_duty(duty: str, seconds: float) -> None:
    WORKER_DUTY.labels(duty).observe(seconds)


def set_queue(stats: QueueStats) -> None:
    QUEUE_DEPTH.set(stats.depth)
    QUEUE_OLDEST_AGE.set(stats.oldest_age_seconds)


def set_pools(pools: Iterable[PoolUsage]) -> None:
    for usage in pools:
        POOL_SIZE.labels(usage.pool).set(usage.size)
        POOL_IN_USE.labels(usage.pool).set(usage.in_use)
        POOL_MAX.labels(usage.pool).set(usage.max_size)


def multiprocess() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


def render() -> bytes:
    """The Prometheus text exposition of every metric (all processes in multiprocess mode)."""
    if not multiprocess():
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    _multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return generate_latest(registry)


def use_multiprocess_dir() -> None:
    """Before ``serve`` starts ``--workers`` children: have them share their metrics.

    The children are new interpreters that inherit the environment; a fresh
    directory (unless the operator chose one) keeps a previous run's counts out.
    """
    if multiprocess():
        return
    directory = tempfile.mkdtemp(prefix="opencheckout-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
