"""Processor callbacks: ``POST /v1/processors/stripe/webhook``.

Stripe signs each event (``Stripe-Signature``), verified with the official
library against ``OPENCHECKOUT_STRIPE_WEBHOOK_SECRET``. A
``payment_intent.succeeded`` or ``payment_intent.payment_failed`` event
settles the session its PaymentIntent pays for; the event id is stored with
the session in the same transaction, so a redelivered event is answered 200
and changes nothing. Other event types are acknowledged and ignored.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from opencheckout.api.auth import context
from opencheckout.api.errors import APIError, ErrorResponse
from opencheckout.api.params import json_response
from opencheckout.processors.stripe import StripeProcessor
from opencheckout.service import payments
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
