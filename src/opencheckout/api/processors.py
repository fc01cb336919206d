"""Processor callbacks: ``POST /v1/processors/stripe/webhook`` and
``POST /v1/processors/paypal/webhook``.

Stripe signs each event (``Stripe-Signature``), verified with the official
library against ``OPENCHECKOUT_STRIPE_WEBHOOK_SECRET``. A
``payment_intent.succeeded`` or ``payment_intent.payment_failed`` event
settles the session its PaymentIntent pays for; the event id is stored with
the session in the same transaction, so a redelivered event is answered 200
and changes nothing. ``refund.updated``, ``charge.refund.updated`` and
``refund.failed`` settle a refund Stripe had left pending as soon as Stripe
decides (the worker's poll is the fallback); a refund is settled once, so a
redelivery changes nothing. Other event types are acknowledged and ignored.

PayPal's events are verified by PayPal itself: the transmission headers and the
event go to its verify-webhook-signature API with
``OPENCHECKOUT_PAYPAL_WEBHOOK_ID``; only ``verification_status: SUCCESS`` is
read further. ``PAYMENT.CAPTURE.COMPLETED`` and ``PAYMENT.CAPTURE.DENIED``
settle the session whose order the capture belongs to, once per event id.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from opencheckout.api.auth import context
from opencheckout.api.errors import APIError, ErrorResponse
from opencheckout.api.params import json_response
from opencheckout.processors.base import Outcome
from opencheckout.processors.paypal import PayPalProcessor
from opencheckout.processors.stripe import RefundNotice, StripeProcessor
from opencheckout.service import payments, refunds
from opencheckout.service.context import Context
from opencheckout.service.payments import SettleResult

router = APIRouter(prefix="/v1/processors", tags=["processors"])


@router.post(
    "/stripe/webhook",
    responses={
        400: {"model": ErrorResponse, "description": "The Stripe-Signature does not verify."},
        404: {"model": ErrorResponse, "description": "Stripe is not configured here."},
        409: {"model": ErrorResponse, "description": "Not recorded yet; Stripe retries."},
        413: {"model": ErrorResponse, "description": "Request body over the limit."},
        415: {"model": ErrorResponse, "description": "Request body is not JSON."},
    },
)
async def stripe_webhook(request: Request, ctx: Context = Depends(context)) -> Response:
    """Stripe's asynchronous payment outcomes (signed; safe to deliver twice)."""
    processor = ctx.processors.get("stripe")
    if not isinstance(processor, StripeProcessor) or not processor.webhook_secret:
        raise APIError(
            404, "processor_not_configured", "The stripe processor is not configured here."
        )
    payload = await request.body()
    signature = request.headers.get("stripe-signature", "")
    try:
        notice = processor.parse_webhook(payload, signature)
    except ValueError as exc:
        raise APIError(
            400, "signature_invalid", f"The Stripe-Signature does not verify: {exc}"
        ) from exc
    if notice is None:
        return json_response({"received": True, "result": "ignored"})
    if isinstance(notice, RefundNotice):
        result = await refunds.settle_notified(
            ctx, "stripe", notice.payment_intent_id, notice.result
        )
        if result is SettleResult.NOT_YET:
            raise APIError(
                409, "refund_not_recorded", "The refund is not recorded yet; retry later."
            )
        return json_response({"received": True, "result": result.value})
    settlement = await payments.settle(
        ctx,
        "stripe",
        notice.payment_intent_id,
        notice.outcome,
        checkout_id=notice.checkout_id,
        event_id=notice.event_id,
        decline_code=notice.decline_code,
        message=notice.message,
    )
    if settlement.result is SettleResult.NOT_YET:
        # complete() has not written the payment id yet: Stripe redelivers later.
        raise APIError(409, "payment_not_recorded", "The payment is not recorded yet; retry later.")
    return json_response({"received": True, "result": settlement.result.value})


@router.post(
    "/paypal/webhook",
    responses={
        400: {"model": ErrorResponse, "description": "PayPal does not verify the event."},
        404: {"model": ErrorResponse, "description": "PayPal is not configured here."},
        409: {"model": ErrorResponse, "description": "Not recorded yet; PayPal retries."},
        413: {"model": ErrorResponse, "description": "Request body over the limit."},
        415: {"model": ErrorResponse, "description": "Request body is not JSON."},
        502: {"model": ErrorResponse, "description": "PayPal could not be asked; it retries."},
    },
)
async def paypal_webhook(request: Request, ctx: Context = Depends(context)) -> Response:
    """PayPal's capture outcomes (verified with PayPal; safe to deliver twice)."""
    processor = ctx.processors.get("paypal")
    if not isinstance(processor, PayPalProcessor):
        raise APIError(
            404, "processor_not_configured", "The paypal processor is not configured here."
        )
    try:
        event = processor.read_event(await request.body())
    except ValueError as exc:
        raise APIError(400, "signature_invalid", "The PayPal event is not JSON.") from exc
    # Which PayPal (sandbox or live) to ask: the mode of the session it names.
    checkout_id = processor.checkout_of(event)
    livemode = await payments.is_livemode(ctx, checkout_id) if checkout_id else False
    try:
        notice = await processor.verify_and_read(event, request.headers, livemode=livemode)
    except ValueError as exc:
        raise APIError(
            400, "signature_invalid", f"The PayPal event does not verify: {exc}"
        ) from exc
    except Exception as exc:
        raise APIError(
            502, "processor_unavailable", "PayPal could not verify the event now; retry."
        ) from exc
    if notice is None:
        return json_response({"received": True, "result": "ignored"})
    if isinstance(notice, RefundNotice):
        result = await refunds.settle_notified(
            ctx, "stripe", notice.payment_intent_id, notice.result
        )
        if result is SettleResult.NOT_YET:
            raise APIError(
                409, "refund_not_recorded", "The refund is not recorded yet; retry later."
            )
        return json_response({"received": True, "result": result.value})
    settlement = await payments.settle(
        ctx,
        "paypal",
        notice.order_id,
        notice.outcome,
        checkout_id=notice.checkout_id,
        event_id=notice.event_id,
        decline_code=None if notice.outcome is Outcome.SUCCEEDED else "paypal_declined",
        message=None if notice.outcome is Outcome.SUCCEEDED else "PayPal declined the payment.",
    )
    if settlement.result is SettleResult.NOT_YET:
        raise APIError(409, "payment_not_recorded", "The payment is not recorded yet; retry later.")
    return json_response({"received": True, "result": settlement.result.value})
