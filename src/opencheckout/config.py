"""Settings, read from ``OPENCHECKOUT_*`` environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from opencheckout.domain.client_ip import Network, parse_networks

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./opencheckout.db"
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    #: Base of the buyer-facing permalinks; set it to the public origin behind a proxy.
    public_url: str = DEFAULT_PUBLIC_URL
    #: Largest request body accepted, in bytes.
    max_body_bytes: int = 1024 * 1024
    #: How long an Idempotency-Key's first response is replayed.
    idempotency_ttl_seconds: int = 24 * 3600
    #: An in-flight idempotent request older than this is presumed dead (its
    #: process crashed) and its key may be taken over by a retry.
    idempotency_lock_timeout_seconds: int = 60
    #: Let webhook endpoints point at loopback/private/link-local addresses
    #: (local development and tests only: it opens the door to SSRF).
    webhooks_allow_private: bool = False
    #: Webhook endpoints an account may register per mode (422 ``webhook_endpoint_limit``
    #: above it), so one tenant cannot flood the shared delivery worker.
    max_webhook_endpoints: int = 16
    #: First retry wait after a failed delivery; it doubles (with jitter) per attempt.
    webhook_retry_base_seconds: float = 5.0
    #: Time allowed for one delivery attempt.
    webhook_timeout_seconds: float = 10.0
    #: How long the worker sleeps when it found nothing to do.
    worker_poll_seconds: float = 1.0
    #: Run the delivery/sweeper worker inside each ``serve`` process.
    embedded_worker: bool = True
    #: Events older than this are deleted.
    event_retention_days: int = 30
    #: Signs the hosted page's CSRF tokens; when unset, one is generated and kept in
    #: a file (see :mod:`opencheckout.pages.security`). Set it when several hosts serve pages.
    secret_key: str | None = None
    #: Processor for test-mode payments: ``test`` (built in) or ``stripe``.
    processor: str = "test"
    #: Stripe secret key; live-mode payments need it (the test processor never takes them).
    stripe_secret_key: str | None = None
    #: Stripe API origin (a localstripe server in tests); None means Stripe's own.
    stripe_api_base: str | None = None
    #: Verifies ``POST /v1/processors/stripe/webhook`` (``whsec_...``).
    stripe_webhook_secret: str | None = None
    #: Stripe publishable key (``pk_...``), given to Stripe.js on the hosted page.
    stripe_publishable_key: str | None = None
    #: Where the hosted page loads Stripe.js from; the page's CSP allows exactly
    #: this origin (a localstripe server in tests).
    stripe_js_url: str = "https://js.stripe.com/v3/"
    #: PayPal REST app credentials (Orders v2); with all three set, ``paypal`` payments
    #: go to PayPal. Without them test mode simulates the approval and live mode refuses.
    paypal_client_id: str | None = None
    paypal_client_secret: str | None = field(default=None, repr=False)
    #: The id PayPal gave the webhook pointing at ``/v1/processors/paypal/webhook``;
    #: events are verified with it through PayPal's verify-webhook-signature API.
    paypal_webhook_id: str | None = None
    #: PayPal API origin; None: the sandbox for test mode, the live API for live mode.
    paypal_api_base: str | None = None
    #: Seconds before the test processor settles a ``processing`` payment.
    test_settle_seconds: float = 3.0
    #: A payment attempt without a recorded answer this old is reconciled by the
    #: worker: it asks the processor and settles the session, or makes it payable again.
    payment_reconcile_seconds: float = 60.0
    #: Requests per second allowed per API key, per process (token bucket); 0 disables.
    rate_limit_per_second: float = 100.0
    #: Requests a key may send at once before the per-second rate applies.
    rate_limit_burst: int = 200
    #: Sessions a client address may start from checkout links (``GET /l/{slug}``) per
    #: minute, per process, with bursts of ``link_sessions_burst``; 0 disables.
    link_sessions_per_minute: float = 20.0
    link_sessions_burst: int = 10
    #: Seconds a successfully authenticated key is remembered per process, sparing a
    #: database read per request; a revoked key works at most this long. 0 disables.
    auth_cache_seconds: float = 2.0
    #: Answer plain retrieves and creates of checkouts without FastAPI's routing and
    #: dependency solving (:mod:`opencheckout.api.hot`); off only to compare or debug.
    hot_path: bool = True
    #: FastAPI's native OpenTelemetry spans and metrics, for deployments that configure
    #: an OpenTelemetry SDK; off by default (with nothing configured it only costs a
    #: check per request).
    otel: bool = False
    #: Largest request line plus headers accepted by ``serve`` (431 above it).
    max_header_bytes: int = 16 * 1024
    #: Time ``serve`` allows a client to send a request's head, and again its body,
    #: before closing the connection (slow-client protection; 408).
    request_read_timeout_seconds: float = 10.0
    #: ACP order webhooks (``order_create``/``order_update``) go here when set with
    #: the secret the agent platform issued (signs ``Merchant-Signature``).
    acp_webhook_url: str | None = None
    acp_webhook_secret: str | None = None
    #: JSON list of shipping options (native ``shipping_options`` shape) offered on
    #: every session created over ACP, where agents cannot define their own.
    acp_shipping_options: str | None = None
    #: The account (name or ``acct_`` id) and mode (``test`` or ``live``) the public
    #: UCP binding (``/.well-known/ucp``, ``/ucp``) sells for; unset: it answers 404.
    ucp_account: str | None = None
    ucp_mode: str = "test"
    #: Enables ``POST /ucp/testing/simulate-shipping/{id}`` for callers sending it in
    #: a ``Simulation-Secret`` header (conformance runs); unset: that route is 403.
    ucp_simulation_secret: str | None = None
    #: Serve Prometheus metrics at ``GET /metrics``.
    metrics: bool = True
    #: Serve ``/metrics`` on this port (of ``metrics_host``) instead of the API's port.
    metrics_port: int | None = None
    #: Interface of the separate metrics port.
    metrics_host: str = "127.0.0.1"
    #: ``json`` or ``console``; None: console on a terminal, JSON otherwise.
    log_format: str | None = None
    #: Threshold of what is logged (``debug``, ``info``, ``warning``, ``error``).
    log_level: str = "info"
    #: What the hosted page records of the buyer's visit on the session (``client``):
    #: ``full``, ``anonymized`` (only the address's network prefix) or ``off``.
    record_client: str = "full"
    #: Proxies whose ``X-Forwarded-For`` is believed (addresses or CIDR networks);
    #: without any, the connecting address is the client's.
    trusted_proxies: tuple[Network, ...] = ()

    @property
    def paypal_configured(self) -> bool:
        return bool(self.paypal_client_id and self.paypal_client_secret and self.paypal_webhook_id)

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ
        return cls(
            database_url=env.get("OPENCHECKOUT_DATABASE_URL", DEFAULT_DATABASE_URL),
            public_url=env.get("OPENCHECKOUT_PUBLIC_URL", DEFAULT_PUBLIC_URL).rstrip("/"),
            max_body_bytes=int(env.get("OPENCHECKOUT_MAX_BODY_BYTES", str(1024 * 1024))),
            webhooks_allow_private=_flag(env.get("OPENCHECKOUT_WEBHOOKS_ALLOW_PRIVATE")),
            max_webhook_endpoints=int(env.get("OPENCHECKOUT_MAX_WEBHOOK_ENDPOINTS", "16")),
            webhook_retry_base_seconds=float(
                env.get("OPENCHECKOUT_WEBHOOK_RETRY_BASE_SECONDS", "5")
            ),
            webhook_timeout_seconds=float(env.get("OPENCHECKOUT_WEBHOOK_TIMEOUT_SECONDS", "10")),
            worker_poll_seconds=float(env.get("OPENCHECKOUT_WORKER_POLL_SECONDS", "1")),
            embedded_worker=_flag(env.get("OPENCHECKOUT_EMBEDDED_WORKER", "1")),
            event_retention_days=int(env.get("OPENCHECKOUT_EVENT_RETENTION_DAYS", "30")),
            secret_key=env.get("OPENCHECKOUT_SECRET_KEY") or None,
            processor=env.get("OPENCHECKOUT_PROCESSOR", "test").strip().lower() or "test",
            stripe_secret_key=env.get("OPENCHECKOUT_STRIPE_SECRET_KEY") or None,
            stripe_api_base=env.get("OPENCHECKOUT_STRIPE_API_BASE") or None,
            stripe_webhook_secret=env.get("OPENCHECKOUT_STRIPE_WEBHOOK_SECRET") or None,
            stripe_publishable_key=env.get("OPENCHECKOUT_STRIPE_PUBLISHABLE_KEY") or None,
            stripe_js_url=env.get("OPENCHECKOUT_STRIPE_JS_URL") or "https://js.stripe.com/v3/",
            paypal_client_id=env.get("OPENCHECKOUT_PAYPAL_CLIENT_ID") or None,
            paypal_client_secret=env.get("OPENCHECKOUT_PAYPAL_CLIENT_SECRET") or None,
            paypal_webhook_id=env.get("OPENCHECKOUT_PAYPAL_WEBHOOK_ID") or None,
            paypal_api_base=(env.get("OPENCHECKOUT_PAYPAL_API_BASE") or "").rstrip("/") or None,
            test_settle_seconds=float(env.get("OPENCHECKOUT_TEST_SETTLE_SECONDS", "3")),
            payment_reconcile_seconds=float(
                env.get("OPENCHECKOUT_PAYMENT_RECONCILE_SECONDS", "60")
            ),
            rate_limit_per_second=float(env.get("OPENCHECKOUT_RATE_LIMIT_PER_SECOND", "100")),
            rate_limit_burst=int(env.get("OPENCHECKOUT_RATE_LIMIT_BURST", "200")),
            link_sessions_per_minute=float(env.get("OPENCHECKOUT_LINK_SESSIONS_PER_MINUTE", "20")),
            link_sessions_burst=int(env.get("OPENCHECKOUT_LINK_SESSIONS_BURST", "10")),
            auth_cache_seconds=float(env.get("OPENCHECKOUT_AUTH_CACHE_SECONDS", "2")),
            hot_path=_flag(env.get("OPENCHECKOUT_HOT_PATH", "1")),
            otel=_flag(env.get("OPENCHECKOUT_OTEL")),
            max_header_bytes=int(env.get("OPENCHECKOUT_MAX_HEADER_BYTES", str(16 * 1024))),
            request_read_timeout_seconds=float(
                env.get("OPENCHECKOUT_REQUEST_READ_TIMEOUT_SECONDS", "10")
            ),
            acp_webhook_url=env.get("OPENCHECKOUT_ACP_WEBHOOK_URL") or None,
            acp_webhook_secret=env.get("OPENCHECKOUT_ACP_WEBHOOK_SECRET") or None,
            acp_shipping_options=env.get("OPENCHECKOUT_ACP_SHIPPING_OPTIONS") or None,
            ucp_account=(env.get("OPENCHECKOUT_UCP_ACCOUNT") or "").strip() or None,
            ucp_mode=(env.get("OPENCHECKOUT_UCP_MODE") or "test").strip().lower() or "test",
            ucp_simulation_secret=env.get("OPENCHECKOUT_UCP_SIMULATION_SECRET") or None,
            metrics=_flag(env.get("OPENCHECKOUT_METRICS", "1")),
            metrics_port=int(env["OPENCHECKOUT_METRICS_PORT"])
            if env.get("OPENCHECKOUT_METRICS_PORT")
            else None,
            metrics_host=env.get("OPENCHECKOUT_METRICS_HOST", "127.0.0.1"),
            log_format=(env.get("OPENCHECKOUT_LOG_FORMAT") or "").strip().lower() or None,
            log_level=env.get("OPENCHECKOUT_LOG_LEVEL", "info").strip().lower() or "info",
            record_client=_record_client(env.get("OPENCHECKOUT_RECORD_CLIENT")),
            trusted_proxies=parse_networks(env.get("OPENCHECKOUT_TRUSTED_PROXIES", "")),
        )


RECORD_CLIENT_MODES = {
    "": "full",
    "1": "full",
    "true": "full",
    "yes": "full",
    "on": "full",
    "full": "full",
    "0": "off",
    "false": "off",
    "no": "off",
    "off": "off",
    "anonymized": "anonymized",
    "anonymised": "anonymized",
}


def _record_client(value: str | None) -> str:
    mode = RECORD_CLIENT_MODES.get((value or "").strip().lower())
    if mode is None:
        raise ValueError(f"OPENCHECKOUT_RECORD_CLIENT must be 1, 0 or anonymized, not '{value}'.")
    return mode


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")
