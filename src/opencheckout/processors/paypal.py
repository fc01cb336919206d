"""PayPal, through its REST API (Orders v2) over httpx.

A payment is one order (intent ``CAPTURE``) for the session's exact amount,
written by PayPal's currency rules (:mod:`opencheckout.domain.processor_amounts`),
with the session's items and a breakdown that sums to it exactly (or, when a
part cannot be written exactly in PayPal's units, the amount alone). The order
is created with ``PayPal-Request-Id`` set to the attempt's idempotency key, so a
repeated call returns the same order, and ``custom_id`` set to the checkout id.

:meth:`PayPalProcessor.authorize` answers PROCESSING with the order id: the
buyer approves at the order's ``payer-action`` link and comes back to the
hosted page (``/c/{token}/paypal/return``), where :meth:`find` captures the
approved order (``PayPal-Request-Id`` derived from the attempt's key) and
answers its outcome. A buyer who cancels at PayPal comes back to
``/c/{token}/paypal/cancel``; :meth:`void` makes sure nothing was captured and
the session becomes payable again. The same two methods are how the worker
reconciles an attempt whose answer was lost: the order is read back (GET) and
settled, captured, or released.

``PAYMENT.CAPTURE.COMPLETED`` and ``PAYMENT.CAPTURE.DENIED`` webhooks are
verified by PayPal's ``/v1/notifications/verify-webhook-signature`` with the
configured webhook id before anything is settled. Refunds go to
``/v2/payments/captures/{id}/refund``.

The OAuth2 client-credentials token is cached until shortly before it expires.
The client secret and the token are never logged or put in an error message.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from opencheckout.domain.processor_amounts import convert, paypal_value
from opencheckout.processors.base import (
    AttemptRef,
    Outcome,
    PaymentRequest,
    PaymentResult,
    RefundResult,
)

SANDBOX_API_BASE = "https://api-m.sandbox.paypal.com"
LIVE_API_BASE = "https://api-m.paypal.com"
#: Event types that settle a session; others are acknowledged and ignored.
SETTLING_EVENTS = frozenset({"PAYMENT.CAPTURE.COMPLETED", "PAYMENT.CAPTURE.DENIED"})
#: How long a buyer may take to approve before an unapproved order is given up.
APPROVAL_WINDOW_SECONDS = 3 * 3600
#: A token is renewed this long before PayPal says it expires.
TOKEN_MARGIN_SECONDS = 60.0
_TIMEOUT = httpx.Timeout(20.0, connect=10.0)
_ITEM_NAME_MAX = 127
_DECLINED_CAPTURE = frozenset({"DECLINED", "FAILED"})


class PayPalError(Exception):
    """PayPal answered with an error (its ``name`` and ``debug_id``; never a secret)."""

    def __init__(self, status: int, name: str, message: str, debug_id: str | None = None):
        super().__init__(f"PayPal {status} {name}: {message} (debug_id {debug_id})")
        self.status = status
        self.name = name
        self.debug_id = debug_id


@dataclass(frozen=True, slots=True)
class PayPalNotice:
    """A verified PayPal event about a capture's final outcome."""

    event_id: str
    event_type: str
    order_id: str
    checkout_id: str | None
    outcome: Outcome


def _money(currency: str, amount: int) -> dict[str, str] | None:
    conversion = convert("paypal", currency, amount, charge=False)
    if conversion.amount is None:
        return None
    return {"currency_code": currency.upper(), "value": paypal_value(currency, conversion.amount)}


def purchase_unit(request: PaymentRequest) -> dict[str, Any]:
    """The order's one purchase unit: the exact total; items and breakdown when exact.

    Every figure is converted on its own; PayPal checks that ``value`` equals
    item_total + tax_total + shipping - discount, which holds here because the
    conversion is exact (a power of ten, no rounding) and so additive. A part
    PayPal cannot write exactly (a HUF price with fillér) drops the breakdown.
    """
    conversion = convert("paypal", request.currency, request.amount)
    if conversion.amount is None:
        raise ValueError(conversion.reason)
    currency = request.currency.upper()
    amount: dict[str, Any] = {
        "currency_code": currency,
        "value": paypal_value(currency, conversion.amount),
    }
    unit: dict[str, Any] = {
        "reference_id": request.checkout_id[:256],
        "custom_id": request.checkout_id[:127],
        "amount": amount,
    }
    parts = _breakdown(request)
    if parts is not None:
        items, breakdown = parts
        amount["breakdown"] = breakdown
        unit["items"] = items
    return unit


def _breakdown(
    request: PaymentRequest,
) -> tuple[list[dict[str, Any]], dict[str, Any]] | None:
    order = request.order or {}
    lines: Sequence[Mapping[str, Any]] = order.get("line_items") or []
    if not lines:
        return None
    currency = request.currency
    items: list[dict[str, Any]] = []
    item_total = 0
    for line in lines:
        quantity = int(line.get("quantity") or 1)
        unit_amount = int(line.get("unit_amount") or 0)
        money = _money(currency, unit_amount)
        if money is None or quantity < 1 or unit_amount < 0:
            return None
        item_total += unit_amount * quantity
        items.append(
            {
                "name": str(line.get("name") or line.get("product") or "Item")[:_ITEM_NAME_MAX],
                "quantity": str(quantity),
                "unit_amount": money,
                **({"sku": str(line["product"])[:127]} if line.get("product") else {}),
            }
        )
    shipping = int(order.get("amount_shipping") or 0)
    discount = int(order.get("amount_discount") or 0)
    # What is left is tax added on top of the prices (inclusive tax is inside them).
    tax = request.amount - (item_total - discount + shipping)
    if tax < 0:
        return None
    breakdown: dict[str, Any] = {}
    for key, value in (
        ("item_total", item_total),
        ("tax_total", tax),
        ("shipping", shipping),
        ("discount", discount),
    ):
        if key != "item_total" and value == 0:
            continue
        money = _money(currency, value) if value else {"currency_code": currency.upper()}
        if money is None:
            return None
        if value == 0:
            money["value"] = paypal_value(currency, 0)
        breakdown[key] = money
    return items, breakdown


def approve_link(order: Mapping[str, Any]) -> str | None:
    """Where the buyer approves the order: its ``payer-action`` (or ``approve``) link."""
    links = {link.get("rel"): link.get("href") for link in order.get("links") or []}
    href = links.get("payer-action") or links.get("approve")
    return str(href) if href else None


def _capture_of(order: Mapping[str, Any]) -> Mapping[str, Any] | None:
    for unit in order.get("purchase_units") or []:
        captures = (unit.get("payments") or {}).get("captures") or []
        if captures:
            return dict(captures[-1])
    return None


def result_of(order: Mapping[str, Any]) -> PaymentResult:
    """The payment an order stands for, by its status and its capture's."""
    order_id = str(order.get("id") or "")
    status = str(order.get("status") or "")
    capture = _capture_of(order)
    capture_status = str(capture.get("status")) if capture else ""
    if capture_status == "COMPLETED":
        return PaymentResult(Outcome.SUCCEEDED, order_id)
    if capture_status in _DECLINED_CAPTURE:
        return PaymentResult(
            Outcome.DECLINED, order_id, "paypal_declined", "PayPal declined the payment."
        )
    if status == "VOIDED":
        return PaymentResult(
            Outcome.DECLINED, order_id, "paypal_voided", "The PayPal order was voided."
        )
    if status == "COMPLETED" and not capture:
        return PaymentResult(Outcome.SUCCEEDED, order_id)
    return PaymentResult(Outcome.PROCESSING, order_id)


class PayPalProcessor:
    """Orders v2 with intent CAPTURE; the buyer approves at PayPal."""

    name = "paypal"
    supports_livemode = True
    #: The outcome is pushed (webhook) or read when the buyer returns; the worker
    #: reads the order again only at the reconcile window.
    polls = False

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        webhook_id: str,
        api_base: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._client_id = client_id
        self._client_secret = client_secret
        self.webhook_id = webhook_id
        self._explicit_base = api_base.rstrip("/") if api_base else None
        self._transport = transport
        self._tokens: dict[str, tuple[str, float]] = {}
        self._token_lock = asyncio.Lock()

    def __repr__(self) -> str:  # never the secret
        return f"PayPalProcessor(client_id={self._client_id!r}, api_base={self._explicit_base!r})"

    def api_base(self, livemode: bool) -> str:
        """``OPENCHECKOUT_PAYPAL_API_BASE``, else PayPal's sandbox (test) or live API."""
        if self._explicit_base:
            return self._explicit_base
        return LIVE_API_BASE if livemode else SANDBOX_API_BASE

    def approve_origin(self, livemode: bool) -> str:
        """The origin of the approve links: PayPal's web site for its own APIs, else
        (a stand-in) the API's origin."""
        base = self.api_base(livemode)
        known = {
            SANDBOX_API_BASE: "https://www.sandbox.paypal.com",
            LIVE_API_BASE: "https://www.paypal.com",
        }
        return known.get(base, base)

    # -- HTTP ---------------------------------------------------------------------

    def _client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(timeout=_TIMEOUT, transport=self._transport)

    async def _token(self, base: str, *, renew: bool = False) -> str:
        async with self._token_lock:
            cached = self._tokens.get(base)
            if cached is not None and not renew and cached[1] > time.monotonic():
                return cached[0]
            async with self._client() as client:
                response = await client.post(
                    f"{base}/v1/oauth2/token",
                    data={"grant_type": "client_credentials"},
                    auth=(self._client_id, self._client_secret),
                    headers={"Accept": "application/json"},
                )
            if response.status_code != 200:
                raise _error_of(response)
            body = response.json()
            token = str(body["access_token"])
            expires_in = float(body.get("expires_in") or 0)
            self._tokens[base] = (token, time.monotonic() + expires_in - TOKEN_MARGIN_SECONDS)
            return token

    async def _call(
        self,
        livemode: bool,
        method: str,
        path: str,
        *,
        body: Mapping[str, Any] | None = None,
        request_id: str | None = None,
        prefer: str | None = None,
    ) -> httpx.Response:
        base = self.api_base(livemode)
        for attempt in range(2):
            token = await self._token(base, renew=attempt > 0)
            headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
            if request_id:
                headers["PayPal-Request-Id"] = request_id[:108]
            if prefer:
                headers["Prefer"] = prefer
            content = None
            if body is not None:
                headers["Content-Type"] = "application/json"
                content = orjson.dumps(body)
            async with self._client() as client:
                response = await client.request(
                    method, f"{base}{path}", headers=headers, content=content
                )
            if response.status_code != 401:
                return response
            # The cached token expired or was revoked early: renew once.
        return response

    # -- Orders -------------------------------------------------------------------

    async def create_order(self, request: PaymentRequest) -> dict[str, Any]:
        body: dict[str, Any] = {
            "intent": "CAPTURE",
            "purchase_units": [purchase_unit(request)],
        }
        if request.return_url and request.cancel_url:
            body["payment_source"] = {
                "paypal": {
                    "experience_context": {
                        "user_action": "PAY_NOW",
                        "shipping_preference": "NO_SHIPPING",
                        "return_url": request.return_url,
                        "cancel_url": request.cancel_url,
                    }
                }
            }
        response = await self._call(
            request.livemode,
            "POST",
            "/v2/checkout/orders",
            body=body,
            request_id=request.idempotency_key or None,
            prefer="return=representation",
        )
        if response.status_code not in (200, 201):
            raise _error_of(response)
        return dict(response.json())

    async def get_order(self, order_id: str, *, livemode: bool) -> dict[str, Any] | None:
        response = await self._call(livemode, "GET", f"/v2/checkout/orders/{order_id}")
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise _error_of(response)
        return dict(response.json())

    async def capture_order(
        self, order_id: str, *, livemode: bool, request_id: str
    ) -> dict[str, Any]:
        response = await self._call(
            livemode,
            "POST",
            f"/v2/checkout/orders/{order_id}/capture",
            request_id=request_id,
            prefer="return=representation",
        )
        if response.status_code in (200, 201):
            return dict(response.json())
        error = _error_of(response)
        if error.name in ("UNPROCESSABLE_ENTITY", "INSTRUMENT_DECLINED", "ORDER_NOT_APPROVED"):
            # A refused capture leaves the order as it was: its state says why.
            order = await self.get_order(order_id, livemode=livemode)
            if order is not None:
                return order
        raise error

    async def approval_url(self, order_id: str, *, livemode: bool) -> str | None:
        """The approve link of an order still waiting for the buyer, else None."""
        order = await self.get_order(order_id, livemode=livemode)
        if order is None or order.get("status") not in ("CREATED", "PAYER_ACTION_REQUIRED"):
            return None
        return approve_link(order)

    # -- Processor ----------------------------------------------------------------

    async def authorize(self, request: PaymentRequest) -> PaymentResult:
        if request.method != "paypal":
            return PaymentResult(
                outcome=Outcome.DECLINED,
                processor_id="",
                decline_code="payment_method_unsupported",
                message=f"The paypal processor does not take '{request.method}' payments.",
            )
        order = await self.create_order(request)
        return result_of(order)

    async def retrieve(self, processor_id: str) -> PaymentResult:
        order = await self.get_order(processor_id, livemode=False)
        if order is None:
            return PaymentResult(Outcome.PROCESSING, processor_id)
        return result_of(order)

    async def _order_of(self, attempt: AttemptRef) -> dict[str, Any] | None:
        if not attempt.processor_id:
            # Created (if at all) with this PayPal-Request-Id: the same call answers
            # the same order and creates none if it already exists.
            return None
        return await self.get_order(attempt.processor_id, livemode=attempt.livemode)

    async def find(self, attempt: AttemptRef) -> PaymentResult | None:
        """The order's outcome; an approved order is captured first (the buyer is back,
        or the capture's answer was lost: the capture's request id makes it once)."""
        order = await self._order_of(attempt)
        if order is None:
            return None
        if order.get("status") == "APPROVED" and _capture_of(order) is None:
            order = await self.capture_order(
                str(order["id"]),
                livemode=attempt.livemode,
                request_id=f"{attempt.idempotency_key}-capture",
            )
        return result_of(order)

    async def void(self, attempt: AttemptRef) -> PaymentResult | None:
        """Nothing captured: None (the order is never captured after this). An order
        still within the approval window answers PROCESSING unless ``released``."""
        order = await self._order_of(attempt)
        if order is None:
            return None
        result = result_of(order)
        if result.outcome is not Outcome.PROCESSING:
            return result
        if _capture_of(order) is not None:
            return result  # PENDING at PayPal: it settles by webhook or a later read.
        if attempt.canceled_by_buyer:
            return None
        created = str(order.get("create_time") or "")
        if created and _age_seconds(created) < APPROVAL_WINDOW_SECONDS:
            return result
        return None

    async def refund(
        self,
        processor_id: str,
        amount: int | None = None,
        *,
        currency: str | None = None,
        livemode: bool = False,
    ) -> RefundResult:
        order = await self.get_order(processor_id, livemode=livemode)
        capture = _capture_of(order) if order is not None else None
        if capture is None or capture.get("status") not in ("COMPLETED", "PARTIALLY_REFUNDED"):
            return RefundResult(
                succeeded=False, refund_id="", message="The PayPal payment has no capture."
            )
        body: dict[str, Any] = {}
        if amount is not None:
            code = currency or str(capture["amount"]["currency_code"])
            money = _money(code, amount)
            if money is None:
                raise ValueError(f"PayPal cannot refund {amount} {code.upper()} exactly.")
            body["amount"] = money
        response = await self._call(
            livemode,
            "POST",
            f"/v2/payments/captures/{capture['id']}/refund",
            body=body,
            prefer="return=representation",
        )
        if response.status_code not in (200, 201):
            error = _error_of(response)
            if response.status_code == 422:
                return RefundResult(succeeded=False, refund_id="", message=error.name)
            raise error
        return _refund_result(response.json())

    async def retrieve_refund(self, refund_id: str, *, livemode: bool = False) -> RefundResult:
        """``GET /v2/payments/refunds/{id}``: PENDING waits, COMPLETED gave back,
        FAILED/CANCELLED did not."""
        response = await self._call(livemode, "GET", f"/v2/payments/refunds/{refund_id}")
        if response.status_code != 200:
            raise _error_of(response)
        return _refund_result(response.json())

    # -- Webhooks -----------------------------------------------------------------

    @staticmethod
    def read_event(payload: bytes) -> dict[str, Any]:
        event = orjson.loads(payload)
        if not isinstance(event, dict):
            raise ValueError("The event is not a JSON object.")
        return event

    @staticmethod
    def checkout_of(event: Mapping[str, Any]) -> str | None:
        resource = event.get("resource")
        if not isinstance(resource, dict):
            return None
        custom = resource.get("custom_id")
        return str(custom) if custom else None

    async def verify_and_read(
        self, event: dict[str, Any], headers: Mapping[str, str], *, livemode: bool
    ) -> PayPalNotice | None:
        """Verify the event with PayPal (raises ``ValueError`` if it does not verify)
        and read it; None for an event that settles nothing."""
        names = (
            "paypal-auth-algo",
            "paypal-cert-url",
            "paypal-transmission-id",
            "paypal-transmission-sig",
            "paypal-transmission-time",
        )
        values = {name: headers.get(name, "") for name in names}
        if not all(values.values()):
            raise ValueError("PayPal's transmission headers are missing.")
        response = await self._call(
            livemode,
            "POST",
            "/v1/notifications/verify-webhook-signature",
            body={
                "auth_algo": values["paypal-auth-algo"],
                "cert_url": values["paypal-cert-url"],
                "transmission_id": values["paypal-transmission-id"],
                "transmission_sig": values["paypal-transmission-sig"],
                "transmission_time": values["paypal-transmission-time"],
                "webhook_id": self.webhook_id,
                "webhook_event": event,
            },
        )
        if response.status_code != 200:
            raise _error_of(response)
        if response.json().get("verification_status") != "SUCCESS":
            raise ValueError("PayPal did not verify the event's signature.")
        event_type = str(event.get("event_type") or "")
        if event_type not in SETTLING_EVENTS:
            return None
        resource = event.get("resource") or {}
        related = (resource.get("supplementary_data") or {}).get("related_ids") or {}
        order_id = related.get("order_id")
        if not order_id:
            return None
        return PayPalNotice(
            event_id=str(event.get("id") or ""),
            event_type=event_type,
            order_id=str(order_id),
            checkout_id=self.checkout_of(event),
            outcome=Outcome.SUCCEEDED
            if event_type == "PAYMENT.CAPTURE.COMPLETED"
            else Outcome.DECLINED,
        )


def _refund_result(refund: Mapping[str, Any]) -> RefundResult:
    status = str(refund.get("status") or "")
    return RefundResult(
        succeeded=status == "COMPLETED",
        refund_id=str(refund.get("id") or ""),
        pending=status == "PENDING",
        message=None if status in ("COMPLETED", "PENDING") else status or None,
    )


def _age_seconds(rfc3339: str) -> float:
    from datetime import UTC, datetime

    try:
        created = datetime.fromisoformat(rfc3339.replace("Z", "+00:00"))
    except ValueError:
        return float(APPROVAL_WINDOW_SECONDS)
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    return (datetime.now(UTC) - created).total_seconds()


def _error_of(response: httpx.Response) -> PayPalError:
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    name = str(body.get("name") or body.get("error") or "ERROR")
    message = str(body.get("message") or body.get("error_description") or response.reason_phrase)
    return PayPalError(response.status_code, name, message[:300], body.get("debug_id"))
