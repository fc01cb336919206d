"""The buyer's side of a session, reached by its permalink token.

The hosted page is a thin front-end: the token finds the session, the session
gives the tenant, and the ordinary use cases in :mod:`service.checkouts` do
the work with a write principal for that tenant (``key_id="hosted_page"``).
A token is a 256-bit secret: whoever holds the permalink acts as the buyer.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from opencheckout.domain.errors import NotFound
from opencheckout.domain.lifecycle import OPEN_STATUSES, Status, effective_status
from opencheckout.domain.processor_amounts import PAYPAL_DECIMALS, convert
from opencheckout.domain.session import CheckoutSession
from opencheckout.processors.paypal import PayPalProcessor
from opencheckout.processors.stripe import StripeProcessor
from opencheckout.service import checkouts, reconcile, shipping, visits
from opencheckout.service.auth import Principal, Scope
from opencheckout.service.context import Context
from opencheckout.service.visits import Visit
from opencheckout.store import checkouts as store
from opencheckout.store import shipping as shipping_store
from opencheckout.store.checkout_records import session_of
from opencheckout.store.checkouts import Tenant

logger = logging.getLogger("opencheckout.hosted")

HOSTED_KEY_ID = "hosted_page"


@dataclass(frozen=True, slots=True)
class HostedSession:
    row: CheckoutSession
    status: Status

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


def principal_of(row: CheckoutSession) -> Principal:
    """The buyer acts on this one session with the merchant's tenant and mode."""
    return Principal(
        account_id=row.account_id, livemode=row.livemode, scope=Scope.WRITE, key_id=HOSTED_KEY_ID
    )


def tenant_of(row: CheckoutSession) -> Tenant:
    return Tenant(row.account_id, row.livemode)


def _unknown() -> NotFound:
    return NotFound("No checkout has this link.", code="checkout_link_unknown", param="token")


async def load(ctx: Context, token: str) -> HostedSession:
    """The session behind ``token`` with its effective status; NotFound if none."""
    if not token or len(token) > 64:
        raise _unknown()
    async with ctx.db.read() as session:
        row = await store.get_by_token(session, token)
    if row is None:
        raise _unknown()
    status = effective_status(Status(row.status), row.expires_at, ctx.clock())
    return HostedSession(session_of(row), status)


async def touch(ctx: Context, token: str, visit: Visit | None = None) -> HostedSession:
    """A visit is activity: push ``expires_at`` forward for an open session, and
    record the buyer's ``client`` (see :mod:`opencheckout.service.visits`).

    A plain store-level UPDATE guarded by status and expiry, with no event:
    merchants hear about buyer edits (``checkout.updated``), not page views.
    Recording the visit never fails the page: if it cannot be written, the
    activity is written without it.
    """
    now = ctx.clock()
    try:
        return await _touch(ctx, token, now, visit)
    except NotFound:
        raise
    except Exception:
        if visit is None:
            raise
        logger.warning("could not record the visit to a hosted page", exc_info=True)
        return await _touch(ctx, token, now, None)


async def _touch(ctx: Context, token: str, now: datetime, visit: Visit | None) -> HostedSession:
    async with ctx.db.write() as session:
        row = await store.get_by_token(session, token)
        if row is None:
            raise _unknown()
        status = effective_status(Status(row.status), row.expires_at, now)
        if status in OPEN_STATUSES:
            expires_at = now + timedelta(seconds=row.abandon_after_seconds)
            client = None
            if visit is not None:
                client = visits.client_update(
                    row.data.get("client"), visit, now, ctx.settings.record_client
                )
            await store.touch_open(session, row, now, expires_at, client=client)
        return HostedSession(session_of(row), status)


async def update_details(
    ctx: Context, row: CheckoutSession, params: dict[str, Any]
) -> CheckoutSession:
    """Save what the buyer typed (``customer`` and friends); an edit defers expiry."""
    return await checkouts.update(ctx, principal_of(row), row.id, params)


async def ships(ctx: Context, row: CheckoutSession) -> bool:
    """Whether the page asks where to ship: the session has shipping options, or
    its options come (or could come) from the account's active rates."""
    data = row.data
    if data.get("shipping_options") or data.get(shipping.SOURCE_KEY):
        return True
    async with ctx.db.read() as session:
        found, _promotions = await shipping_store.active_for(session, tenant_of(row), row.currency)
    return bool(found)


async def pay(
    ctx: Context,
    row: CheckoutSession,
    method: str | None,
    details: dict[str, Any],
    *,
    expected_amount: int | None = None,
) -> CheckoutSession:
    """Pay what the page showed: a different total is 409 ``amount_changed``."""
    payment = checkouts.PaymentParams(
        method=method, details=details, expected_amount=expected_amount
    )
    return await checkouts.complete(ctx, principal_of(row), row.id, payment)


async def cancel(ctx: Context, row: CheckoutSession) -> CheckoutSession:
    return await checkouts.cancel(ctx, principal_of(row), row.id)


async def apply_code(ctx: Context, row: CheckoutSession, code: str) -> CheckoutSession:
    return await checkouts.apply_code(ctx, tenant_of(row), row.id, code)


async def remove_discount(ctx: Context, row: CheckoutSession, coupon_id: str) -> CheckoutSession:
    return await checkouts.remove_discount(ctx, tenant_of(row), row.id, coupon_id)


@dataclass(frozen=True, slots=True)
class StripeCardEntry:
    """What the page needs to mount Stripe Elements (the card never reaches us)."""

    publishable_key: str
    js_url: str


def _stripe_of(ctx: Context, row: CheckoutSession) -> StripeProcessor | None:
    processor = ctx.processor_for(row.livemode)
    if isinstance(processor, StripeProcessor) and processor.publishable_key:
        return processor
    return None


def card_entry(ctx: Context, row: CheckoutSession) -> StripeCardEntry | None:
    """Stripe.js card entry when the session pays through Stripe with a publishable key."""
    stripe = _stripe_of(ctx, row)
    if stripe is None or stripe.publishable_key is None:
        return None
    return StripeCardEntry(stripe.publishable_key, ctx.settings.stripe_js_url)


async def pending_action(ctx: Context, row: CheckoutSession) -> str | None:
    """The client secret of the session's PaymentIntent while it waits for the
    buyer's 3-D Secure step, else None."""
    stripe = _stripe_of(ctx, row)
    if stripe is None or row.processor != stripe.name or not row.processor_id:
        return None
    return await stripe.action_secret(row.processor_id)


async def refresh_payment(ctx: Context, row: CheckoutSession) -> HostedSession:
    """The buyer is back from confirming: settle from the processor's answer if it is final."""
    await reconcile.check_now(ctx, row.pk)
    return await load(ctx, row.token)


#: Why a session is payable again after the buyer left PayPal without paying.
PAYPAL_CANCELED = ("paypal_canceled", "The PayPal payment was canceled; nothing was charged.")


def payment_methods(row: CheckoutSession) -> list[str]:
    """The methods the page offers: the session's, without PayPal where PayPal
    cannot charge the total (a currency outside ``PAYPAL_DECIMALS``, or a fraction
    of a currency PayPal takes in whole units) while another method is left.
    A session that takes PayPal only keeps it; ``complete`` tells why it cannot pay."""
    methods = list(row.data.get("payment_methods") or [])
    if "paypal" not in methods or len(methods) == 1:
        return methods
    if row.currency.upper() in PAYPAL_DECIMALS and (
        row.amount_total == 0 or convert("paypal", row.currency, row.amount_total).chargeable
    ):
        return methods
    return [method for method in methods if method != "paypal"]


def paypal_of(ctx: Context, row: CheckoutSession) -> PayPalProcessor | None:
    """The real PayPal processor, when this session takes PayPal through it."""
    processor = ctx.processor_for_method(row.livemode, "paypal")
    if isinstance(processor, PayPalProcessor) and "paypal" in payment_methods(row):
        return processor
    return None


def paypal_origin(ctx: Context, row: CheckoutSession) -> str | None:
    """Where the pay form's redirect lands for PayPal (the page's CSP allows it)."""
    processor = paypal_of(ctx, row)
    return None if processor is None else processor.approve_origin(row.livemode)


async def paypal_approval(ctx: Context, row: CheckoutSession) -> str | None:
    """The approve link of the session's PayPal order while it waits for the buyer."""
    processor = paypal_of(ctx, row)
    if processor is None or row.processor != processor.name or not row.processor_id:
        return None
    return await processor.approval_url(row.processor_id, livemode=row.livemode)


async def paypal_cancel(ctx: Context, row: CheckoutSession) -> HostedSession:
    """Back from PayPal without approving: payable again (unless it was paid after all)."""
    code, message = PAYPAL_CANCELED
    await reconcile.release_now(ctx, row.pk, decline_code=code, message=message)
    return await load(ctx, row.token)
