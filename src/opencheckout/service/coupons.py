"""Coupon use cases: definitions, applying them to sessions, counting redemptions.

A coupon's arithmetic (``percent_off``/``amount_off``/``currency``/
``applies_to``) is fixed at creation; only ``name``, ``metadata`` and
``active`` change. Sessions snapshot the definition when a coupon is applied,
so what a buyer was shown is what they are charged, but whether the coupon
may still be *redeemed* (active, not expired, not exhausted, not deleted) is
checked again when the session is paid.

``times_redeemed`` counts completed payments only: it is incremented in the
transaction that claims a session for payment and given back if the payment
is declined or the processor fails.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from opencheckout.domain.errors import Conflict, InvalidValue
from opencheckout.domain.percent import COUPON_PLACES, from_units, to_units
from opencheckout.ids import new_id
from opencheckout.service import events
from opencheckout.service.auth import Principal
from opencheckout.service.context import Context
from opencheckout.service.metadata import merge_metadata
from opencheckout.service.paging import Cursor
from opencheckout.service.resources import TenantResource
from opencheckout.service.tenancy import tenant_of
from opencheckout.service.views import isoformat
from opencheckout.store import coupons as store
from opencheckout.store.checkouts import Tenant
from opencheckout.store.models import Coupon


def percent_off_of(row: Coupon) -> Decimal | None:
    if row.percent_off_bps is None:
        return None
    return from_units(row.percent_off_bps, COUPON_PLACES)


def _expired(row: Coupon, now: datetime) -> bool:
    return row.redeem_by is not None and row.redeem_by <= now


def _exhausted(row: Coupon) -> bool:
    return row.max_redemptions is not None and row.times_redeemed >= row.max_redemptions


def coupon_resource(row: Coupon, now: datetime) -> dict[str, Any]:
    """``valid`` says whether the coupon can be applied right now."""
    percent_off = percent_off_of(row)
    return {
        "id": row.id,
        "object": "coupon",
        "name": row.name,
        "percent_off": float(percent_off) if percent_off is not None else None,
        "amount_off": row.amount_off,
        "currency": row.currency,
        "code": row.code,
        "max_redemptions": row.max_redemptions,
        "redeem_by": isoformat(row.redeem_by),
        "applies_to": (
            {"products": row.applies_to_products} if row.applies_to_products is not None else None
        ),
        "times_redeemed": row.times_redeemed,
        "active": row.active,
        "valid": row.active and not _expired(row, now) and not _exhausted(row),
        "metadata": row.metadata_,
        "livemode": row.livemode,
        "created_at": isoformat(row.created_at),
        "updated_at": isoformat(row.updated_at),
    }


# --------------------------------------------------------------------------- #
# Merchant CRUD
# --------------------------------------------------------------------------- #


resource = TenantResource(store.coupons, "coupon")


def _code_taken(code: str) -> Conflict:
    return Conflict(
        f"The code '{code}' is already used by another coupon (codes ignore case).",
        code="coupon_code_exists",
        param="code",
    )


def _check_definition(params: dict[str, Any], now: datetime) -> None:
    """Rules across fields, which the request schema checks one field at a time."""
    percent_off, amount_off = params.get("percent_off"), params.get("amount_off")
    if (percent_off is None) == (amount_off is None):
        raise InvalidValue(
            "A coupon has exactly one of 'percent_off' and 'amount_off'.",
            code="parameter_missing" if percent_off is None else "parameter_invalid",
            param="percent_off",
        )
    if amount_off is not None and params.get("currency") is None:
        raise InvalidValue(
            "An 'amount_off' coupon needs the 'currency' it is in.",
            code="parameter_missing",
            param="currency",
        )
    if percent_off is not None and params.get("currency") is not None:
        raise InvalidValue(
            "A 'percent_off' coupon works in every currency; do not give 'currency'.",
            param="currency",
        )
    redeem_by = params.get("redeem_by")
    if redeem_by is not None and redeem_by <= now:
        raise InvalidValue("'redeem_by' must be in the future.", param="redeem_by")


async def _emit(session: AsyncSession, row: Coupon, type: str, now: datetime) -> None:
    await events.record(
        session,
        account_id=row.account_id,
        livemode=row.livemode,
        type=type,
        obj=coupon_resource(row, now),
        now=now,
    )


async def create(ctx: Context, principal: Principal, params: dict[str, Any]) -> Coupon:
    now = ctx.clock()
    _check_definition(params, now)
    code = params.get("code")
    percent_off = params.get("percent_off")
    applies_to = params.get("applies_to")
    row = Coupon(
        id=new_id("coupon"),
        account_id=principal.account_id,
        livemode=principal.livemode,
        name=params.get("name"),
        percent_off_bps=to_units(percent_off, COUPON_PLACES) if percent_off is not None else None,
        amount_off=params.get("amount_off"),
        currency=params.get("currency"),
        code=code,
        code_lower=store.normalize_code(code) if code is not None else None,
        max_redemptions=params.get("max_redemptions"),
        redeem_by=params.get("redeem_by"),
        # Order kept, duplicates dropped: the merchant's list, minus typos' echoes.
        applies_to_products=list(dict.fromkeys(applies_to["products"])) if applies_to else None,
        times_redeemed=0,
        active=params.get("active", True),
        metadata_=params.get("metadata") or {},
        created_at=now,
        updated_at=now,
    )
    tenant = tenant_of(principal)
    async with ctx.db.write() as session:
        if code is not None and await store.get_by_code(session, tenant, code) is not None:
            raise _code_taken(code)
        try:
            await store.coupons.insert(session, row)
        except IntegrityError:
            # Lost a race with a concurrent create of the same code.
            raise _code_taken(code or "") from None
        await _emit(session, row, "coupon.created", now)
    return row


async def retrieve(ctx: Context, principal: Principal, coupon_id: str) -> Coupon:
    return await resource.retrieve(ctx, principal, coupon_id)


async def update(
    ctx: Context, principal: Principal, coupon_id: str, params: dict[str, Any]
) -> Coupon:
    now = ctx.clock()
    async with resource.locked(ctx, principal, coupon_id) as (session, row):
        if "name" in params:
            row.name = params["name"]
        if "active" in params:
            if params["active"] is None:
                raise InvalidValue("'active' cannot be null.", param="active")
            row.active = params["active"]
        if "metadata" in params:
            row.metadata_ = merge_metadata(row.metadata_, params["metadata"] or {})
        row.updated_at = now
        await session.flush()
        await _emit(session, row, "coupon.updated", now)
    return row


async def delete(ctx: Context, principal: Principal, coupon_id: str) -> None:
    """Delete for good. Open sessions that applied it can no longer be paid with it."""
    now = ctx.clock()
    async with resource.locked(ctx, principal, coupon_id) as (session, row):
        await _emit(session, row, "coupon.deleted", now)
        await store.coupons.remove(session, row)


async def list_coupons(
    ctx: Context, principal: Principal, cursor: Cursor, *, active: bool | None = None
) -> tuple[list[Coupon], bool]:
    return await resource.list(ctx, principal, cursor, store.filters(active=active))


# --------------------------------------------------------------------------- #
# Applying to sessions
# --------------------------------------------------------------------------- #


def _refusal(
    row: Coupon | None,
    *,
    now: datetime,
    currency: str | None,
    label: str,
    param: str,
    error: type[InvalidValue] | type[Conflict],
) -> InvalidValue | Conflict | None:
    """Why ``row`` cannot be redeemed now, or None. ``currency`` None skips that check."""
    if row is None:
        return error(f"{label} does not exist.", code="coupon_invalid", param=param)
    if not row.active:
        return error(f"{label} is no longer active.", code="coupon_inactive", param=param)
    if _expired(row, now):
        return error(f"{label} has expired.", code="coupon_expired", param=param)
    if _exhausted(row):
        return error(
            f"{label} has reached its maximum number of redemptions.",
            code="coupon_exhausted",
            param=param,
        )
    if currency is not None and row.currency is not None and row.currency != currency:
        return error(
            f"{label} is for {row.currency.upper()} amounts; this checkout is in "
            f"{currency.upper()}.",
            code="coupon_currency_mismatch",
            param=param,
        )
    return None


async def resolve(
    session: AsyncSession,
    tenant: Tenant,
    *,
    coupon_id: str | None = None,
    code: str | None = None,
    currency: str,
    now: datetime,
    param: str,
) -> Coupon:
    """The coupon named by ``code`` (case-insensitive) or else ``coupon_id``, if it may
    be applied to a session in ``currency`` now; a 422 on ``param`` otherwise."""
    if code is not None:
        row = await store.get_by_code(session, tenant, code)
        label = f"The code '{code}'"
    elif coupon_id is not None:
        row = await store.coupons.get(session, tenant, coupon_id)
        label = f"Coupon '{coupon_id}'"
    else:
        raise InvalidValue("Give a coupon 'code' or a 'coupon' id.", param=param)
    refusal = _refusal(
        row, now=now, currency=currency, label=label, param=param, error=InvalidValue
    )
    if refusal is not None:
        raise refusal
    assert row is not None  # _refusal returned an error otherwise
    return row


def snapshot(row: Coupon, *, applied_by: str) -> dict[str, Any]:
    """The definition a session keeps, so later edits never re-price it silently."""
    return {
        "coupon": row.id,
        "code": row.code,
        "name": row.name,
        "percent_off_bps": row.percent_off_bps,
        "amount_off": row.amount_off,
        "currency": row.currency,
        "applies_to_products": row.applies_to_products,
        "applied_by": applied_by,
        "amount": 0,
    }


async def redeem_applied(
    session: AsyncSession, tenant: Tenant, discounts: Sequence[dict[str, Any]], now: datetime
) -> None:
    """Count one redemption of every applied coupon, or raise 409 and count none.

    Coupons are incremented in id order so that two sessions sharing two
    coupons lock them in the same order and cannot deadlock. A refusal raises
    out of the caller's transaction, which rolls back the increments already
    made.
    """
    order = sorted(range(len(discounts)), key=lambda index: discounts[index]["coupon"])
    for index in order:
        coupon_id = discounts[index]["coupon"]
        if await store.redeem(session, tenant, coupon_id, now):
            continue
        row = await store.coupons.get(session, tenant, coupon_id)
        raise _refusal(
            row,
            now=now,
            currency=None,
            label=f"Coupon '{coupon_id}'",
            param=f"discounts[{index}].coupon",
            error=Conflict,
        ) or Conflict(
            f"Coupon '{coupon_id}' can no longer be redeemed.",
            code="coupon_exhausted",
            param=f"discounts[{index}].coupon",
        )


async def release_applied(
    session: AsyncSession, tenant: Tenant, discounts: Sequence[dict[str, Any]]
) -> None:
    """Give back what ``redeem_applied`` counted, when the payment did not happen."""
    for coupon_id in sorted(discount["coupon"] for discount in discounts):
        await store.release(session, tenant, coupon_id)
