"""Checkout session use cases.

Inputs are already shape-validated by the API schemas (types, lengths,
formats); this module applies the business rules: the status machine,
readiness, tenancy and concurrency, with pricing (catalog, tax, coupons,
shipping) delegated to :mod:`opencheckout.service.checkout_pricing`. Each
function is one transaction, except ``complete``, which releases the database
while the processor is called.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from opencheckout.domain import custom_fields, lifecycle
from opencheckout.domain.errors import (
    Conflict,
    InvalidValue,
    NotFound,
    PaymentDeclined,
    ProcessorUnavailable,
)
from opencheckout.domain.filters import CheckoutFilters
from opencheckout.domain.lifecycle import (
    OPEN_STATUSES,
    Event,
    Move,
    PaymentStatus,
    Status,
    effective_status,
    move_of,
)
from opencheckout.domain.session import (
    MAX_DISCOUNTS,
    CheckoutSession,
    as_document,
    customer_columns,
)
from opencheckout.ids import new_id, new_token
from opencheckout.observability import metrics
from opencheckout.processors.base import Outcome, PaymentRequest, PaymentResult, Processor
from opencheckout.service import (
    checkout_links,
    checkout_pricing,
    coupons,
    customer_links,
    events,
    inventory,
    reconcile,
    settlement,
)
from opencheckout.service.auth import Principal
from opencheckout.service.catalog import AutocommitCatalog, EditCatalog
from opencheckout.service.context import Context
from opencheckout.service.metadata import merge_metadata
from opencheckout.service.paging import Cursor, cursor_pks
from opencheckout.service.tenancy import tenant_of
from opencheckout.service.views import amount_blocker, checkout_resource, missing_of, permalink
from opencheckout.store import attempts as attempt_store
from opencheckout.store import checkout_records
from opencheckout.store import checkouts as store
from opencheckout.store import lifecycle as lifecycle_store
from opencheckout.store.checkout_records import EventRecord, session_of
from opencheckout.store.checkouts import Tenant
from opencheckout.store.lifecycle import Changes
from opencheckout.store.models import Checkout

DEFAULT_ABANDON_AFTER_SECONDS = 1800

#: Session fields kept in the JSON document, with their defaults on create.
DOCUMENT_DEFAULTS: dict[str, Any] = {
    "billing_details_collection": "required",
    "coupon_collection": False,
    "locale": "auto",
    "payment_methods": ["card", "paypal"],
    "success_url": None,
    "cancel_url": None,
    "metadata": {},
    "custom": {},
}


CUSTOMER_FIELDS = (
    "id",
    "email",
    "first_name",
    "last_name",
    "company",
    "phone",
    "tax_id",
    "business_number",
    "billing_address",
    "shipping_address",
)
ADDRESS_FIELDS = ("line1", "line2", "city", "postal_code", "state", "country")


def _customer_document(raw: dict[str, Any] | None) -> dict[str, Any]:
    """Every customer field present (null when unknown), so the shape never varies."""
    raw = raw or {}
    customer = {name: raw.get(name) for name in CUSTOMER_FIELDS}
    for kind in ("billing_address", "shipping_address"):
        address = raw.get(kind)
        if address is not None:
            customer[kind] = {name: address.get(name) for name in ADDRESS_FIELDS}
    # The linked customer's saved addresses (see service.customer_links).
    customer["addresses"] = list(raw.get("addresses") or [])
    return customer


def _customer_param(params: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """``customer: "cus_…"`` is ``{"id": "cus_…"}`` that must name a customer."""
    value = params.get("customer")
    if isinstance(value, str):
        return {**params, "customer": {"id": value}}, True
    if isinstance(value, dict) and value.get("link_required"):
        return {**params, "customer": {"id": value.get("id")}}, True
    return params, False


async def _emit(
    ctx: Context, session: AsyncSession, row: Checkout, type: str, now: datetime
) -> None:
    """Record ``type`` with the session's snapshot, in the caller's transaction."""
    await events.record(
        session,
        account_id=row.account_id,
        livemode=row.livemode,
        type=type,
        obj=checkout_resource(
            session_of(row),
            public_url=ctx.settings.public_url,
            now=now,
            processor=ctx.processor_name_for(row.livemode),
        ),
        now=now,
    )


def _new_record(
    principal: Principal,
    params: dict[str, Any],
    document: dict[str, Any],
    now: datetime,
    *,
    recovered_from: str | None,
) -> CheckoutSession:
    """A pending session around ``document``, priced (``pk`` 0 until inserted)."""
    abandon_after = params.get("abandon_after_seconds") or DEFAULT_ABANDON_AFTER_SECONDS
    currency = params["currency"]
    totals = checkout_pricing.reprice(document, currency).to_session_totals()
    customer_ref, email = customer_columns(document)
    return CheckoutSession(
        pk=0,
        id=new_id("cs"),
        account_id=principal.account_id,
        livemode=principal.livemode,
        status=Status.PENDING.value,
        payment_status=PaymentStatus.UNPAID.value,
        currency=currency,
        customer_ref=customer_ref,
        email=email,
        client_reference_id=params.get("client_reference_id"),
        processor=None,
        processor_id=None,
        token=new_token(),
        amount_subtotal=totals.amount_subtotal,
        amount_discount=totals.amount_discount,
        amount_tax=totals.amount_tax,
        amount_shipping=totals.amount_shipping,
        amount_total=totals.amount_total,
        abandon_after_seconds=abandon_after,
        expires_at=now + timedelta(seconds=abandon_after),
        created_at=now,
        updated_at=now,
        completed_at=None,
        recovered_from=recovered_from,
        data=as_document(document),
        group_key=params.get("group_key"),
        checkout_link=params.get("checkout_link"),
    )


def _new_row(
    principal: Principal,
    params: dict[str, Any],
    document: dict[str, Any],
    now: datetime,
    *,
    recovered_from: str | None,
) -> Checkout:
    """:func:`_new_record` as an ORM row, for writes that go through a session."""
    record = _new_record(principal, params, document, now, recovered_from=recovered_from)
    return Checkout(**{name: getattr(record, name) for name in checkout_records.INSERT_COLUMNS})


def _payment_methods(
    ctx: Context, principal: Principal, methods: Any, *, explicit: bool = True
) -> list[str]:
    """The session's methods: PayPal asked for is refused (422) where it cannot be
    taken (live mode without its settings); a defaulted list leaves it out there."""
    available = ctx.paypal_available(principal.livemode)
    if methods is None:
        methods = DOCUMENT_DEFAULTS["payment_methods"]
    if "paypal" in methods and not available:
        if not explicit and len(methods) > 1:
            return [method for method in methods if method != "paypal"]
        raise InvalidValue(
            "PayPal is not configured for live mode: set OPENCHECKOUT_PAYPAL_CLIENT_ID, "
            "OPENCHECKOUT_PAYPAL_CLIENT_SECRET and OPENCHECKOUT_PAYPAL_WEBHOOK_ID, or leave "
            "'paypal' out of payment_methods.",
            code="processor_not_configured",
            param="payment_methods",
        )
    return list(methods)


def _base_document(params: dict[str, Any]) -> dict[str, Any]:
    document = {key: params.get(key, default) for key, default in DOCUMENT_DEFAULTS.items()}
    document["customer"] = _customer_document(params.get("customer"))
    document["custom_fields"] = custom_fields.definitions(params.get("custom_fields") or [])
    _set_custom_values(document, params)
    return document


def _set_custom_values(document: dict[str, Any], params: dict[str, Any]) -> None:
    """``custom_field_values`` from the API (or the page), checked like the buyer's input."""
    values = params.get("custom_field_values")
    if values:
        custom_fields.set_values(document["custom_fields"], values, param="custom_field_values")


def _update_custom_fields(document: dict[str, Any], params: dict[str, Any]) -> None:
    if "custom_fields" in params:
        old = document.get("custom_fields") or []
        new = custom_fields.definitions(params["custom_fields"] or [])
        document["custom_fields"] = custom_fields.kept_values(old, new)
    else:
        document.setdefault("custom_fields", [])
    _set_custom_values(document, params)


async def check_params(ctx: Context, principal: Principal, params: dict[str, Any]) -> None:
    """Refuse what :func:`create` would refuse about ``params``, without creating
    anything (checkout links check the sessions they will make this way)."""
    document = _base_document(params)
    await checkout_pricing.apply_changes(
        AutocommitCatalog(ctx.db),
        tenant_of(principal),
        document,
        params,
        currency=params["currency"],
        currency_changed=False,
        now=ctx.clock(),
    )
    checkout_pricing.reprice(document, params["currency"])


async def create(ctx: Context, principal: Principal, params: dict[str, Any]) -> CheckoutSession:
    row, _resource = await create_with_resource(ctx, principal, params)
    return row


async def create_with_resource(
    ctx: Context, principal: Principal, params: dict[str, Any]
) -> tuple[CheckoutSession, dict[str, Any]]:
    """Price and insert a new session with its ``checkout.created`` event; returns the
    row and its resource (the event's snapshot, which is also the API's answer).

    The hottest write: the catalog is read first (nothing needs locking) and
    the session, its SKU rows, event and deliveries go in one driver-level
    transaction (see :mod:`opencheckout.store.checkout_records`).
    """
    now = ctx.clock()
    params, required = _customer_param(params)
    explicit = bool(params.pop("payment_methods_explicit", False))
    params["payment_methods"] = _payment_methods(
        ctx, principal, params.get("payment_methods"), explicit=explicit
    )
    document = _base_document(params)
    await checkout_pricing.apply_changes(
        AutocommitCatalog(ctx.db),
        tenant_of(principal),
        document,
        params,
        currency=params["currency"],
        currency_changed=False,
        now=now,
    )
    customer = document["customer"]
    if customer.get("id") or customer.get("email"):
        await customer_links.link_new(ctx.db, tenant_of(principal), document, required=required)
    row = _new_record(principal, params, document, now, recovered_from=None)
    event = _announcement(ctx, row, "checkout.created", now)
    pk = await checkout_records.insert_created(ctx.db, row, event)
    metrics.record_checkout_transition("pending")  # written by the driver, not the ORM
    return replace(row, pk=pk), event.data["object"]


async def retrieve(ctx: Context, principal: Principal, checkout_id: str) -> CheckoutSession:
    row = await checkout_records.get(ctx.db, tenant_of(principal), checkout_id)
    if row is None:
        raise _not_found(checkout_id)
    return row


def _not_found(checkout_id: str) -> NotFound:
    return NotFound(f"No such checkout: '{checkout_id}'.", param="id")


def _current_status(row: Checkout | CheckoutSession, now: datetime) -> Status:
    return effective_status(Status(row.status), row.expires_at, now)


def _check_editable(
    row: CheckoutSession, now: datetime, editable: frozenset[Status]
) -> CheckoutSession:
    """``row``, if its (effective) status is one of ``editable``; 409 otherwise."""
    status = _current_status(row, now)
    if status not in editable:
        allowed = " or ".join(state.value for state in Status if state in editable)
        raise Conflict(
            f"This checkout is {status.value}; only {allowed} sessions can be edited.",
            code="checkout_not_editable",
        )
    return row


async def update(
    ctx: Context,
    principal: Principal,
    checkout_id: str,
    params: dict[str, Any],
    *,
    editable: frozenset[Status] = OPEN_STATUSES,
) -> CheckoutSession:
    """Apply an edit; ``editable`` narrows the statuses allowed (a dialect's own rule),
    checked on the locked row so a payment racing the edit cannot slip past it.

    The session is read locked, edited and written back with its ``checkout.updated``
    event in one driver-level transaction (see :func:`checkout_records.edit`)."""
    now = ctx.clock()
    params, required = _customer_param(params)
    for key in ("currency", "line_items"):
        if key in params and params[key] is None:
            raise InvalidValue(f"'{key}' cannot be null.", param=key)
    async with checkout_records.edit(ctx.db, tenant_of(principal), checkout_id) as edit:
        row = _editable(edit, checkout_id, now, editable)
        currency = params.get("currency") or row.currency
        document = await _edited_document(
            ctx, principal, edit, params, currency=currency, required=required, now=now
        )
        edited = _edited(row, document, params, currency, now)
        return await _save(ctx, edit, edited, now, products_changed="line_items" in params)


def _editable(
    edit: checkout_records.Edit,
    checkout_id: str,
    now: datetime,
    editable: frozenset[Status] = OPEN_STATUSES,
) -> CheckoutSession:
    """The session read for ``edit``, if there is one and it may be edited."""
    if edit.row is None:
        raise _not_found(checkout_id)
    return _check_editable(edit.row, now, editable)


async def _save(
    ctx: Context,
    edit: checkout_records.Edit,
    edited: CheckoutSession,
    now: datetime,
    *,
    products_changed: bool = False,
) -> CheckoutSession:
    """Write ``edited`` back with its ``checkout.updated`` event (committed with the edit)."""
    event = _announcement(ctx, edited, "checkout.updated", now)
    await edit.save(edited, event, products_changed=products_changed)
    return edited


async def _edited_document(
    ctx: Context,
    principal: Principal,
    edit: checkout_records.Edit,
    params: dict[str, Any],
    *,
    currency: str,
    required: bool,
    now: datetime,
) -> dict[str, Any]:
    """The locked session's document with ``params`` applied. It was read for this edit
    alone, so it is changed in place: if the edit fails, it is dropped with the row."""
    assert edit.row is not None
    tenant = tenant_of(principal)
    # Read for this edit alone: pricing may change its parts in place.
    document: dict[str, Any] = dict(edit.row.data)
    # Before pricing: the shipping address decides which rates are offered.
    if "customer" in params:
        # Fields sent replace the stored ones (null clears); others are kept.
        customer = _customer_document({**document["customer"], **(params["customer"] or {})})
        document["customer"] = customer
        if customer.get("id") or customer.get("email") or document.get(customer_links.LINK_KEY):
            await customer_links.link_new(
                ctx.db, tenant, document, required=required, reader=edit.reader
            )
    await checkout_pricing.apply_changes(
        EditCatalog(ctx.db, edit.reader),
        tenant,
        document,
        params,
        currency=currency,
        currency_changed=currency != edit.row.currency,
        now=now,
    )
    _update_custom_fields(document, params)
    if "metadata" in params:
        document["metadata"] = merge_metadata(document["metadata"], params["metadata"] or {})
    if params.get("payment_methods") is not None:
        _payment_methods(ctx, principal, params["payment_methods"])
    for key in DOCUMENT_DEFAULTS.keys() - {"metadata"}:
        if key in params:
            document[key] = params[key] if params[key] is not None else DOCUMENT_DEFAULTS[key]
    return document


def _edited(
    row: CheckoutSession,
    document: dict[str, Any],
    params: dict[str, Any],
    currency: str,
    now: datetime,
) -> CheckoutSession:
    """``row`` as the edit leaves it: re-priced; any edit is activity that defers expiry."""
    changes: dict[str, Any] = {
        key: params[key] for key in ("client_reference_id", "group_key") if key in params
    }
    abandon_after = params.get("abandon_after_seconds")
    if abandon_after is None:
        abandon_after = row.abandon_after_seconds
    customer_ref, email = customer_columns(document)
    edited = replace(
        row,
        **changes,
        currency=currency,
        customer_ref=customer_ref,
        email=email,
        data=as_document(document),
        abandon_after_seconds=abandon_after,
        updated_at=now,
        expires_at=now + timedelta(seconds=abandon_after),
    )
    return edited.with_totals(checkout_pricing.reprice(document, currency).to_session_totals())


def _announcement(ctx: Context, row: CheckoutSession, type: str, now: datetime) -> EventRecord:
    """The event ``type`` with the session's snapshot (also the API's answer)."""
    resource = checkout_resource(
        row,
        public_url=ctx.settings.public_url,
        now=now,
        processor=ctx.processor_name_for(row.livemode),
    )
    return EventRecord(id=new_id("evt"), type=type, created_at=now, data={"object": resource})


async def apply_code(ctx: Context, tenant: Tenant, checkout_id: str, code: str) -> CheckoutSession:
    """The buyer applies a promotion code (only when ``coupon_collection`` is on).

    The hosted page and ``POST /v1/checkouts/{id}/discounts`` both call this.
    A buyer holds one code at a time: a new code replaces the buyer's previous
    one, while discounts the merchant set stay. Applying a code that is
    already on the session changes nothing.
    """
    now = ctx.clock()
    async with checkout_records.edit(ctx.db, tenant, checkout_id) as edit:
        row = _editable(edit, checkout_id, now)
        _require_coupon_collection(row)
        coupon = await EditCatalog(ctx.db, edit.reader).coupon(
            tenant, coupon_id=None, code=code, currency=row.currency, now=now, param="code"
        )
        current = row.data.get("discounts", [])
        if any(discount["coupon"] == coupon.id for discount in current):
            return row
        kept = [discount for discount in current if discount["applied_by"] != "buyer"]
        if len(kept) >= MAX_DISCOUNTS:
            raise Conflict(
                f"This checkout already has {len(kept)} discounts, the most it can take.",
                code="discounts_limit_reached",
                param="code",
            )
        document: dict[str, Any] = dict(row.data)
        document["discounts"] = [*kept, coupons.snapshot(coupon, applied_by="buyer")]
        return await _save(ctx, edit, _edited(row, document, {}, row.currency, now), now)


async def remove_discount(
    ctx: Context, tenant: Tenant, checkout_id: str, coupon_id: str
) -> CheckoutSession:
    """The buyer takes a discount off (only when ``coupon_collection`` is on)."""
    now = ctx.clock()
    async with checkout_records.edit(ctx.db, tenant, checkout_id) as edit:
        row = _editable(edit, checkout_id, now)
        _require_coupon_collection(row)
        current = row.data.get("discounts", [])
        remaining = [discount for discount in current if discount["coupon"] != coupon_id]
        if len(remaining) == len(current):
            raise NotFound(f"Coupon '{coupon_id}' is not applied to this checkout.", param="coupon")
        document: dict[str, Any] = dict(row.data)
        document["discounts"] = remaining
        return await _save(ctx, edit, _edited(row, document, {}, row.currency, now), now)


def _require_coupon_collection(row: CheckoutSession) -> None:
    if not row.data.get("coupon_collection"):
        raise Conflict(
            "This checkout does not collect coupon codes from the buyer "
            "(coupon_collection is false); the merchant sets 'discounts' instead.",
            code="coupon_collection_disabled",
        )


async def _load_locked(session: AsyncSession, tenant: Tenant, checkout_id: str) -> Checkout:
    row = await store.get(session, tenant, checkout_id, for_update=True)
    if row is None:
        raise _not_found(checkout_id)
    return row


def _decide(event: Event, row: Checkout, now: datetime) -> Move:
    """The lifecycle's move for ``event`` from the row's state (409 if it refuses)."""
    return lifecycle.decide(event, Status(row.status), row.expires_at, now)


async def delete(ctx: Context, principal: Principal, checkout_id: str) -> None:
    now = ctx.clock()
    async with ctx.db.write() as session:
        row = await _load_locked(session, tenant_of(principal), checkout_id)
        move = _decide(Event.DELETE, row, now)
        await _emit(ctx, session, row, "checkout.deleted", now)
        if await lifecycle_store.apply_many(session, [row.pk], move, now) != 1:
            raise _in_progress()  # pragma: no cover - the row is locked above


async def cancel(ctx: Context, principal: Principal, checkout_id: str) -> CheckoutSession:
    now = ctx.clock()
    async with ctx.db.write() as session:
        row = await _load_locked(session, tenant_of(principal), checkout_id)
        moved = await lifecycle_store.apply(session, row.pk, _decide(Event.CANCEL, row, now), now)
        if moved is None:  # pragma: no cover - the row is locked above
            raise _in_progress()
        await _emit(ctx, session, moved, "checkout.abandoned", now)
    return session_of(moved)


async def recover(ctx: Context, principal: Principal, checkout_id: str) -> CheckoutSession:
    """Open a new pending session with the contents of an abandoned one."""
    now = ctx.clock()
    async with ctx.db.write() as session:
        original = await store.get(session, tenant_of(principal), checkout_id)
        if original is None:
            raise _not_found(checkout_id)
        _decide(Event.RECOVER, original, now)
        params = {key: original.data[key] for key in DOCUMENT_DEFAULTS}
        params.update(
            customer=original.data["customer"],
            currency=original.currency,
            client_reference_id=original.client_reference_id,
            group_key=original.group_key,
            abandon_after_seconds=original.abandon_after_seconds,
            checkout_link=original.checkout_link,
        )
        # The same prices, tax rates and discounts as the buyer saw: a copy of the
        # snapshots, not a fresh catalog read. Coupons are re-checked on payment.
        document = _base_document(params)
        document["custom_fields"] = copy.deepcopy(original.data.get("custom_fields") or [])
        document.update(checkout_pricing.copy_state(original.data))
        if original.data.get(customer_links.LINK_KEY):
            document[customer_links.LINK_KEY] = original.data[customer_links.LINK_KEY]
        row = _new_row(principal, params, document, now, recovered_from=original.id)
        await store.insert(session, row)
        await _emit(ctx, session, row, "checkout.created", now)
        await _emit(ctx, session, row, "checkout.recovered", now)
    return session_of(row)


@dataclass(frozen=True, slots=True)
class PaymentParams:
    method: str | None
    details: dict[str, Any]
    #: The total the buyer (or agent) saw; a different ``amount_total`` is 409.
    expected_amount: int | None = None


def _in_progress() -> Conflict:
    return Conflict(
        "Another payment for this checkout is in progress.", code="checkout_not_payable"
    )


def _check_payable(row: Checkout, payment: PaymentParams, now: datetime) -> Move:
    """Everything ``complete`` refuses before it claims the session; the claim's move
    (the free completion's, for a zero total)."""
    free = row.amount_total == 0
    move = _decide(Event.COMPLETE_FREE if free else Event.CLAIM, row, now)
    if payment.expected_amount is not None and payment.expected_amount != row.amount_total:
        raise Conflict(
            f"The total is now {row.amount_total} ({row.currency.upper()} minor units), "
            f"not the {payment.expected_amount} expected; nothing was charged. "
            "Show the buyer the new total and ask again.",
            code="amount_changed",
            param="expected_amount",
            extra={
                "amount_total": row.amount_total,
                "currency": row.currency,
                "expected_amount": payment.expected_amount,
            },
        )
    missing = missing_of(row.data)
    if missing:
        raise Conflict(
            "This checkout is not ready for payment; missing: " + ", ".join(missing) + ".",
            code="checkout_not_ready",
            param=missing[0],
            extra={"missing_fields": missing},
        )
    return move


def _check_chargeable(row: Checkout, payment: PaymentParams, processor: Processor | None) -> str:
    """The payment method, and the processor's ability to charge the exact total."""
    if payment.method is None:
        raise InvalidValue(
            "This checkout has a total to pay: send payment (with payment.method).",
            code="parameter_missing",
            param="payment",
        )
    if payment.method not in row.data["payment_methods"]:
        raise InvalidValue(
            f"Payment method '{payment.method}' is not allowed on this checkout.",
            code="payment_method_not_allowed",
            param="payment.method",
        )
    blocker = amount_blocker(
        session_of(row), processor.name if processor is not None else None, payment.method
    )
    if blocker is not None:
        raise InvalidValue(
            blocker + " Nothing was charged.", code="amount_not_chargeable", param="amount_total"
        )
    return payment.method


def _configured(processor: Processor | None, method: str, livemode: bool) -> Processor:
    """The processor that takes ``method``, or 409 ``processor_not_configured``."""
    if processor is None and method == "paypal":
        raise Conflict(
            "PayPal is not configured for live mode: set OPENCHECKOUT_PAYPAL_CLIENT_ID, "
            "OPENCHECKOUT_PAYPAL_CLIENT_SECRET and OPENCHECKOUT_PAYPAL_WEBHOOK_ID. "
            "Nothing was charged.",
            code="processor_not_configured",
            param="payment.method",
        )
    if processor is None:
        mode = "live" if livemode else "test"
        raise Conflict(
            f"No payment processor is configured for {mode} mode "
            "(live mode never uses the test processor; set OPENCHECKOUT_STRIPE_SECRET_KEY).",
            code="processor_not_configured",
        )
    return processor


async def _complete_free(
    ctx: Context, session: AsyncSession, tenant: Tenant, row: Checkout, move: Move, now: datetime
) -> Checkout:
    """A zero total (e.g. 100 % off): completed in the caller's transaction, no processor."""
    done = await lifecycle_store.apply(session, row.pk, move, now)
    if done is None:  # pragma: no cover - the row is locked by the caller
        raise _in_progress()
    await coupons.redeem_applied(session, tenant, done.data.get("discounts", []), now)
    # Raises 409 checkout_link_exhausted past the link's max_completions.
    await checkout_links.claim(session, tenant, done)
    await checkout_links.on_completed(session, done)
    await _emit(ctx, session, done, "checkout.completed", now)
    return done


async def _claim(
    ctx: Context, session: AsyncSession, tenant: Tenant, row: Checkout, move: Move, now: datetime
) -> Checkout:
    """Move the locked session to processing and take what paying needs: a redemption
    of each applied coupon, the tracked stock, a use of its checkout link. Each of
    those raises 409 when it ran out, which rolls the claim back."""
    # A retry forgets the failed attempt's payment id: otherwise the worker, seeing
    # "processing" with a delayed decline's id that is due, would settle this new
    # attempt with the old outcome.
    claimed = await lifecycle_store.apply(session, row.pk, move, now, Changes(processor_id=None))
    if claimed is None:
        raise _in_progress()
    await coupons.redeem_applied(session, tenant, claimed.data.get("discounts", []), now)
    await inventory.take(session, tenant, claimed)
    await checkout_links.claim(session, tenant, claimed)
    await _emit(ctx, session, claimed, "checkout.processing", now)
    return claimed


def _payment_request(
    ctx: Context, row: Checkout, method: str, payment: PaymentParams, idempotency_key: str
) -> PaymentRequest:
    page = permalink(ctx.settings.public_url, row.token)
    return PaymentRequest(
        checkout_id=row.id,
        amount=row.amount_total,
        currency=row.currency,
        method=method,
        details=payment.details,
        custom=row.data["custom"],
        idempotency_key=idempotency_key,
        livemode=row.livemode,
        return_url=f"{page}/paypal/return",
        cancel_url=f"{page}/paypal/cancel",
        order={
            "line_items": row.data["line_items"],
            "amount_shipping": row.amount_shipping,
            "amount_discount": row.amount_discount,
        },
    )


async def complete(
    ctx: Context, principal: Principal, checkout_id: str, payment: PaymentParams
) -> CheckoutSession:
    """Take the payment: claim the session (-> processing), charge, settle.

    The claim is a conditional UPDATE, so of many concurrent completes exactly
    one proceeds; the others get 409. The same transaction counts a redemption
    of every applied coupon with conditional UPDATEs, so when buyers race for a
    coupon's last redemption exactly one of them gets to pay with it (the
    others get 409 ``coupon_exhausted`` and their sessions stay payable). A
    declined payment or a processor failure gives the redemptions back. The
    processor is called outside any transaction so that no database lock is
    held across network I/O. A zero total completes at once, without a processor.
    """
    now = ctx.clock()
    chosen = ctx.processor_for_method(principal.livemode, payment.method)
    tenant = tenant_of(principal)
    async with ctx.db.write() as session:
        row = await _load_locked(session, tenant, checkout_id)
        move = _check_payable(row, payment, now)
        if move.event is Event.COMPLETE_FREE:
            return session_of(await _complete_free(ctx, session, tenant, row, move, now))
        method = _check_chargeable(row, payment, chosen)
        processor = _configured(chosen, method, principal.livemode)
        claimed = await _claim(ctx, session, tenant, row, move, now)
        # In the claim's transaction: a crash from here on leaves an attempt to reconcile.
        attempt = await reconcile.open_attempt(ctx, session, claimed, processor, now)
        request = _payment_request(ctx, claimed, method, payment, attempt.idempotency_key)
    result = await _authorize(ctx, processor, request, claimed.pk)
    settled = await _record_result(ctx, processor, claimed, attempt.pk, result)
    if result.outcome is Outcome.DECLINED:
        raise PaymentDeclined(
            result.message or "The payment was declined.",
            code=result.decline_code or "card_declined",
            param="payment",
        )
    return session_of(settled)


async def _authorize(
    ctx: Context, processor: Processor, request: PaymentRequest, checkout_pk: int
) -> PaymentResult:
    """The processor's answer; if it cannot be had, the claim is released (502)."""
    try:
        return await processor.authorize(request)
    except Exception as exc:
        metrics.record_payment(processor.name, "error")
        failed_at = ctx.clock()
        async with ctx.db.write() as session:
            await settlement.release(ctx, session, checkout_pk, failed_at)
        raise ProcessorUnavailable(
            f"The {processor.name} processor could not be reached; retry the payment."
        ) from exc


async def _record_result(
    ctx: Context,
    processor: Processor,
    claimed: Checkout,
    attempt_pk: int,
    result: PaymentResult,
) -> Checkout:
    """Write the processor's answer: settled now, or (processing) its payment id kept
    and the attempt checked again later."""
    metrics.record_payment(processor.name, result.outcome.value)
    now = ctx.clock()
    async with ctx.db.write() as session:
        if result.outcome is Outcome.PROCESSING:
            changes = Changes(processor=processor.name, processor_id=result.processor_id)
            awaiting = move_of(Event.AWAIT)
            settled = await lifecycle_store.apply(session, claimed.pk, awaiting, now, changes)
            await _await_answer(ctx, session, attempt_pk, processor, result, now)
        else:
            answer = settlement.Answer(
                processor.name, result.processor_id, result.outcome, result.decline_code
            )
            settled = await settlement.settle(ctx, session, claimed, answer, now)
    if settled is None:
        # Only this request moved the session to processing, so this cannot
        # happen unless the row was changed behind the service's back.
        raise Conflict("The checkout changed while it was being paid.", code="checkout_conflict")
    return settled


async def _await_answer(
    ctx: Context,
    session: AsyncSession,
    attempt_pk: int,
    processor: Processor,
    result: PaymentResult,
    now: datetime,
) -> None:
    """The attempt stays open with the payment's id, to be checked again later."""
    attempt = await attempt_store.get(session, attempt_pk, for_update=True)
    if attempt is None or attempt.status != attempt_store.OPEN:
        return
    attempt.processor_id = result.processor_id or None
    attempt.updated_at = now
    attempt.next_check_at = reconcile.first_check(ctx, processor, now)


@dataclass(frozen=True, slots=True)
class Page:
    rows: list[CheckoutSession]
    has_more: bool
    total_count: int | None = None


async def list_checkouts(
    ctx: Context,
    principal: Principal,
    filters: CheckoutFilters,
    *,
    limit: int,
    starting_after: str | None = None,
    ending_before: str | None = None,
    page: int | None = None,
) -> Page:
    now = ctx.clock()
    tenant = tenant_of(principal)
    async with ctx.db.read() as session:
        if page is not None:
            rows, total = await store.list_offset(
                session, tenant, filters, now, limit=limit, offset=(page - 1) * limit
            )
            return Page(rows=list(rows), has_more=page * limit < total, total_count=total)
        cursor = Cursor(limit, starting_after, ending_before)
        pk_of = partial(store.pk_of, session, tenant)
        after_pk, before_pk = await cursor_pks(cursor, pk_of, "checkout")
        rows, has_more = await store.list_keyset(
            session, tenant, filters, now, limit=limit, after_pk=after_pk, before_pk=before_pk
        )
    return Page(rows=list(rows), has_more=has_more)


async def list_by_status(
    ctx: Context,
    principal: Principal,
    statuses: list[Status],
    *,
    limit: int,
    starting_after: str | None = None,
) -> Page:
    """The plain list the API's hot path answers: statuses only, newest first by cursor
    (:func:`list_checkouts` with only ``statuses``, through a statement built once)."""
    now = ctx.clock()
    tenant = tenant_of(principal)
    cursor = Cursor(limit, starting_after)
    after_pk, _ = await cursor_pks(cursor, partial(store.pk_by_id, ctx.db, tenant), "checkout")
    rows, has_more = await store.list_by_status(
        ctx.db, tenant, statuses, now, limit=limit, after_pk=after_pk
    )
    return Page(rows=rows, has_more=has_more)
