"""Stripe, through the official ``stripe`` library on PaymentIntents.

A payment is one PaymentIntent created and confirmed in a single call. Its
``metadata`` carries ``custom.stripe.metadata`` from the session plus
``opencheckout_checkout_id``, which is how a webhook finds its session.
Outcomes: ``succeeded`` -> SUCCEEDED; ``requires_action``/``processing`` ->
PROCESSING (Stripe confirms later with a ``payment_intent.succeeded`` or
``payment_intent.payment_failed`` webhook); a card error -> DECLINED. Any
other Stripe error (network, auth, rate limit) propagates, and the service
answers 502 ``processor_unavailable`` without charging.

The payment method is ``details["stripe_token"]`` (a ``tok_...`` that Stripe.js
made from the card element on the hosted page: the card number never reaches
us; its card is the PaymentIntent's payment method), ``details["payment_method"]``
(a ``pm_...`` id, or a test id such as ``pm_card_visa``) or raw card fields
(``card_number``, ``exp_month``, ``exp_year``, ``cvc``), which Stripe accepts
only on accounts enabled for raw card data (and localstripe in tests).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
import stripe

from opencheckout.domain.processor_amounts import convert
from opencheckout.processors.base import (
    AttemptRef,
    Outcome,
    PaymentRequest,
    PaymentResult,
    RefundResult,
)
from opencheckout.processors.test import normalize_card_number

#: Metadata key naming the checkout a PaymentIntent pays for.
CHECKOUT_METADATA_KEY = "opencheckout_checkout_id"
#: Metadata key naming the attempt (its idempotency key): how reconciliation finds
#: a PaymentIntent whose id was never recorded.
ATTEMPT_METADATA_KEY = "opencheckout_attempt"
_METADATA_MAX_KEYS = 48  # Stripe allows 50; two are ours.
_METADATA_KEY_LENGTH = 40
_METADATA_VALUE_LENGTH = 500

_PROCESSING_STATUSES = frozenset({"processing", "requires_action", "requires_capture"})
#: Statuses from which a PaymentIntent can still be charged if someone confirms it,
#: and which cancel takes back.
_CANCELABLE_STATUSES = frozenset(
    {"requires_payment_method", "requires_confirmation", "requires_action"}
)


@dataclass(frozen=True, slots=True)
class WebhookNotice:
    """A verified Stripe event about a PaymentIntent's final outcome."""

    event_id: str
    event_type: str
    payment_intent_id: str
    checkout_id: str | None
    outcome: Outcome
    decline_code: str | None = None
    message: str | None = None


@dataclass(frozen=True, slots=True)
class RefundNotice:
    """A verified Stripe event about a refund's status (see ``REFUND_EVENTS``)."""

    event_id: str
    event_type: str
    #: The PaymentIntent refunded: how the refund's session is found.
    payment_intent_id: str | None
    result: RefundResult


#: Events whose object is a Refund: its status now (``pending`` ones change nothing).
REFUND_EVENTS = frozenset({"refund.updated", "charge.refund.updated", "refund.failed"})
_PAYMENT_EVENTS = frozenset({"payment_intent.succeeded", "payment_intent.payment_failed"})


def stripe_metadata(request: PaymentRequest) -> dict[str, str]:
    """``custom.stripe.metadata`` as Stripe accepts it (string values), plus our key."""
    stripe_custom = request.custom.get("stripe") if isinstance(request.custom, dict) else None
    raw = stripe_custom.get("metadata") if isinstance(stripe_custom, dict) else None
    metadata: dict[str, str] = {}
    if isinstance(raw, dict):
        for key, value in list(raw.items())[:_METADATA_MAX_KEYS]:
            text = value if isinstance(value, str) else orjson.dumps(value).decode()
            metadata[str(key)[:_METADATA_KEY_LENGTH]] = text[:_METADATA_VALUE_LENGTH]
    metadata[CHECKOUT_METADATA_KEY] = request.checkout_id
    if request.idempotency_key:
        metadata[ATTEMPT_METADATA_KEY] = request.idempotency_key
    return metadata


def _plain(value: Any) -> dict[str, Any]:
    """A StripeObject (or a dict) as a plain dict; StripeObjects refuse dict methods."""
    if value is None:
        return {}
    if isinstance(value, stripe.StripeObject):
        return value.to_dict()
    return dict(value) if isinstance(value, dict) else {}


def _error_of(intent: Any) -> tuple[str | None, str | None]:
    error = _plain(getattr(intent, "last_payment_error", None))
    return error.get("code"), error.get("message")


def _result_of(intent: Any) -> PaymentResult:
    status = str(intent.status)
    if status == "succeeded":
        return PaymentResult(outcome=Outcome.SUCCEEDED, processor_id=intent.id)
    if status in _PROCESSING_STATUSES:
        return PaymentResult(outcome=Outcome.PROCESSING, processor_id=intent.id)
    code, message = _error_of(intent)
    return PaymentResult(
        outcome=Outcome.DECLINED,
        processor_id=intent.id,
        decline_code=code or "card_declined",
        message=message or "The payment was declined.",
    )


def stripe_amount(currency: str, amount: int, *, charge: bool = True) -> int:
    """ISO minor units as Stripe writes them (ISK x100, MGA /100, ...); see
    :mod:`opencheckout.domain.processor_amounts`. The service refuses
    unchargeable totals first, so the ValueError is a last guard, not a path."""
    conversion = convert("stripe", currency, amount, charge=charge)
    if conversion.amount is None:
        raise ValueError(conversion.reason)
    return conversion.amount


def refund_result(refund: Any) -> RefundResult:
    """A Stripe Refund's status as a result: ``pending``/``requires_action`` wait;
    ``failed``/``canceled`` give nothing back."""
    status = str(getattr(refund, "status", "") or "")
    return RefundResult(
        succeeded=status == "succeeded",
        refund_id=str(refund.id),
        pending=status in ("pending", "requires_action"),
        message=getattr(refund, "failure_reason", None),
    )


class StripeProcessor:
    name = "stripe"
    supports_livemode = True
    #: Webhooks get lost: processing payments are also polled.
    polls = True

    def __init__(
        self,
        secret_key: str,
        *,
        api_base: str | None = None,
        webhook_secret: str | None = None,
        publishable_key: str | None = None,
    ) -> None:
        #: Given to Stripe.js on the hosted page (card entry without our server seeing it).
        self.publishable_key = publishable_key
        base_addresses: dict[str, str | None] = {"api": api_base} if api_base else {}
        self.client = stripe.StripeClient(
            secret_key,
            base_addresses=base_addresses,  # type: ignore[arg-type]
            http_client=stripe.HTTPXClient(),
            max_network_retries=0,
        )
        self.webhook_secret = webhook_secret

    async def _payment_method(self, request: PaymentRequest) -> str | PaymentResult:
        details = request.details
        token = details.get("stripe_token")
        if isinstance(token, str) and token.startswith("tok_") and len(token) <= 255:
            retrieved = await self.client.v1.tokens.retrieve_async(token)
            card = retrieved.card
            if card is not None:
                return str(card.id)
        if isinstance(details.get("payment_method"), str):
            return str(details["payment_method"])
        number = normalize_card_number(str(details.get("card_number") or ""))
        exp_month, exp_year, cvc = (details.get(k) for k in ("exp_month", "exp_year", "cvc"))
        if not number or not exp_month or not exp_year or not cvc:
            return PaymentResult(
                outcome=Outcome.DECLINED,
                processor_id="",
                decline_code="incomplete_card",
                message="Enter the card number, expiry date and security code.",
            )
        method = await self.client.v1.payment_methods.create_async(
            params={
                "type": "card",
                "card": {
                    "number": number,
                    "exp_month": int(exp_month),
                    "exp_year": int(exp_year),
                    "cvc": str(cvc),
                },
            }
        )
        return str(method.id)

    async def authorize(self, request: PaymentRequest) -> PaymentResult:
        if request.method != "card":
            return PaymentResult(
                outcome=Outcome.DECLINED,
                processor_id="",
                decline_code="payment_method_unsupported",
                message=f"The stripe processor does not take '{request.method}' payments.",
            )
        try:
            method = await self._payment_method(request)
            if isinstance(method, PaymentResult):
                return method
            intent = await self.client.v1.payment_intents.create_async(
                params={
                    "amount": stripe_amount(request.currency, request.amount),
                    "currency": request.currency,
                    "payment_method": method,
                    "payment_method_types": ["card"],  # type: ignore[typeddict-unknown-key]
                    "confirm": True,
                    "metadata": stripe_metadata(request),
                },
                options=self._options(request.idempotency_key),
            )
        except stripe.CardError as exc:
            error = exc.error
            intent_id = ""
            if error is not None and getattr(error, "payment_intent", None):
                intent_id = str(error.payment_intent.id)  # type: ignore[union-attr]
            elif error is not None and getattr(error, "charge", None):
                intent_id = str(error.charge)
            return PaymentResult(
                outcome=Outcome.DECLINED,
                processor_id=intent_id,
                decline_code=exc.code or "card_declined",
                message=exc.user_message or "Your card was declined.",
            )
        return _result_of(intent)

    @staticmethod
    def _options(idempotency_key: str) -> Any:
        return {"idempotency_key": idempotency_key} if idempotency_key else {}

    async def retrieve(self, processor_id: str) -> PaymentResult:
        intent = await self.client.v1.payment_intents.retrieve_async(processor_id)
        return _result_of(intent)

    async def action_secret(self, processor_id: str) -> str | None:
        """The client secret of a PaymentIntent waiting for the buyer (3-D Secure),
        for Stripe.js's ``confirmCardPayment`` on the page; None otherwise."""
        intent = await self.client.v1.payment_intents.retrieve_async(processor_id)
        if str(intent.status) != "requires_action":
            return None
        return str(intent.client_secret) if intent.client_secret else None

    async def _intent_of(self, attempt: AttemptRef) -> Any:
        """The attempt's PaymentIntent: by its recorded id, else by our metadata."""
        if attempt.processor_id:
            return await self.client.v1.payment_intents.retrieve_async(attempt.processor_id)
        query = f"metadata['{ATTEMPT_METADATA_KEY}']:'{attempt.idempotency_key}'"
        found = await self.client.v1.payment_intents.search_async(params={"query": query})
        return found.data[0] if found.data else None

    async def find(self, attempt: AttemptRef) -> PaymentResult | None:
        intent = await self._intent_of(attempt)
        if intent is None:
            return None
        if str(intent.status) == "requires_payment_method":
            # Declined (or 3-D Secure refused): cancel it, so nobody holding its client
            # secret can still confirm it after the session moved on.
            intent = await self._cancel(str(intent.id))
        return _result_of(intent)

    async def void(self, attempt: AttemptRef) -> PaymentResult | None:
        intent = await self._intent_of(attempt)
        if intent is None:
            return None
        if str(intent.status) in _CANCELABLE_STATUSES:
            intent = await self._cancel(str(intent.id))
        if str(intent.status) == "canceled":
            return None
        return _result_of(intent)

    async def _cancel(self, intent_id: str) -> Any:
        try:
            return await self.client.v1.payment_intents.cancel_async(intent_id)
        except stripe.InvalidRequestError:
            # It moved on meanwhile (succeeded, or already canceled): its state now.
            return await self.client.v1.payment_intents.retrieve_async(intent_id)

    async def refund(
        self, processor_id: str, amount: int | None = None, *, currency: str | None = None
    ) -> RefundResult:
        params: dict[str, Any] = {"payment_intent": processor_id}
        if amount is not None:
            params["amount"] = stripe_amount(currency, amount, charge=False) if currency else amount
        refund = await self.client.v1.refunds.create_async(params=params)  # type: ignore[arg-type]
        return refund_result(refund)

    async def retrieve_refund(self, refund_id: str) -> RefundResult:
        return refund_result(await self.client.v1.refunds.retrieve_async(refund_id))

    def parse_webhook(self, payload: bytes, signature: str) -> WebhookNotice | RefundNotice | None:
        """Verify a webhook (raises ``ValueError`` if forged or stale) and read it:
        a payment's outcome, or a refund's status.

        Returns None for events that settle nothing (other types).
        """
        if not self.webhook_secret:
            raise ValueError("No Stripe webhook secret is configured.")
        try:
            event = stripe.Webhook.construct_event(payload, signature, self.webhook_secret)
        except stripe.SignatureVerificationError as exc:
            raise ValueError(str(exc)) from exc
        if event.type in REFUND_EVENTS:
            refund = event.data.object
            intent_id = getattr(refund, "payment_intent", None)
            return RefundNotice(
                event_id=str(event.id),
                event_type=str(event.type),
                payment_intent_id=str(intent_id) if intent_id else None,
                result=refund_result(refund),
            )
        if event.type not in _PAYMENT_EVENTS:
            return None
        intent = _plain(event.data.object)
        metadata = intent.get("metadata") or {}
        checkout_id = metadata.get(CHECKOUT_METADATA_KEY)
        if event.type == "payment_intent.succeeded":
            outcome, code, message = Outcome.SUCCEEDED, None, None
        else:
            error = intent.get("last_payment_error") or {}
            outcome = Outcome.DECLINED
            code = error.get("code") or "card_declined"
            message = error.get("message") or "The payment was declined."
        return WebhookNotice(
            event_id=str(event.id),
            event_type=str(event.type),
            payment_intent_id=str(intent.get("id")),
            checkout_id=str(checkout_id) if checkout_id else None,
            outcome=outcome,
            decline_code=code,
            message=message,
        )
