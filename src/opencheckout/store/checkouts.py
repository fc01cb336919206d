"""Queries on checkout sessions. Every function takes the tenant (account, mode)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Select,
    and_,
    bindparam,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from opencheckout.domain.filters import CheckoutFilters
from opencheckout.domain.lifecycle import EXPIRING_STATUSES, OPEN_STATUSES, Status
from opencheckout.domain.session import CheckoutSession
from opencheckout.store import rollup
from opencheckout.store.checkout_records import from_row, sessions_of
from opencheckout.store.db import Database, with_json_key
from opencheckout.store.models import Checkout, CheckoutProduct
from opencheckout.store.pagination import created_range, keyset_rows, page_of
from opencheckout.store.tenant import Tenant as Tenant  # re-exported: callers import it here
from opencheckout.store.types import UTCDateTime

_COLUMNS = tuple(Checkout.__table__.c)


def _tenant(tenant: Tenant) -> ColumnElement[bool]:
    return and_(Checkout.account_id == tenant.account_id, Checkout.livemode == tenant.livemode)


def _status_condition(
    status: Status, now: datetime | ColumnElement[datetime]
) -> ColumnElement[bool]:
    """Match the *effective* status: open sessions past expiry count as abandoned.

    ``expires_at`` is compared through ``coalesce`` so that no index on it can
    serve the comparison: otherwise SQLite plans ``?status=pending`` on the
    sweeper's (status, expires_at) index and sorts every open session of every
    account by pk, instead of walking the tenant's (status, pk) index newest
    first and stopping after one page.
    """
    expiring = [s.value for s in EXPIRING_STATUSES]
    expires_at = func.coalesce(Checkout.expires_at, Checkout.expires_at)
    if status is Status.ABANDONED:
        return or_(
            Checkout.status == Status.ABANDONED.value,
            and_(Checkout.status.in_(expiring), expires_at <= now),
        )
    if status in EXPIRING_STATUSES:
        return and_(Checkout.status == status.value, expires_at > now)
    return Checkout.status == status.value


def _conditions(tenant: Tenant, filters: CheckoutFilters, now: datetime) -> list[Any]:
    conditions: list[Any] = [_tenant(tenant)]
    if filters.statuses:
        conditions.append(or_(*(_status_condition(s, now) for s in filters.statuses)))
    if filters.customer is not None:
        conditions.append(Checkout.customer_ref == filters.customer)
    if filters.email is not None:
        conditions.append(Checkout.email == filters.email)
    if filters.ids:
        conditions.append(Checkout.id.in_(filters.ids))
    if filters.product is not None:
        conditions.append(
            Checkout.pk.in_(
                select(CheckoutProduct.checkout_pk).where(
                    CheckoutProduct.account_id == tenant.account_id,
                    CheckoutProduct.livemode == tenant.livemode,
                    CheckoutProduct.product == filters.product,
                )
            )
        )
    if filters.products:
        conditions.append(
            Checkout.pk.in_(
                select(CheckoutProduct.checkout_pk).where(
                    CheckoutProduct.account_id == tenant.account_id,
                    CheckoutProduct.livemode == tenant.livemode,
                    CheckoutProduct.product.in_(filters.products),
                )
            )
        )
    if filters.customers:
        conditions.append(Checkout.customer_ref.in_(filters.customers))
    if filters.group_keys:
        conditions.append(Checkout.group_key.in_(filters.group_keys))
    if filters.checkout_link is not None:
        conditions.append(Checkout.checkout_link == filters.checkout_link)
    if filters.payment_status is not None:
        conditions.append(Checkout.payment_status == filters.payment_status)
    if filters.client_reference_id is not None:
        conditions.append(Checkout.client_reference_id == filters.client_reference_id)
    if filters.processor_id is not None:
        conditions.append(Checkout.processor_id == filters.processor_id)
    conditions += created_range(
        Checkout.created_at,
        gte=filters.created_gte,
        gt=filters.created_gt,
        lte=filters.created_lte,
        lt=filters.created_lt,
    )
    return conditions


async def get(
    session: AsyncSession, tenant: Tenant, checkout_id: str, *, for_update: bool = False
) -> Checkout | None:
    query = select(Checkout).where(_tenant(tenant), Checkout.id == checkout_id)
    if for_update:
        query = query.with_for_update()
    result = await session.execute(query)
    return result.scalar_one_or_none()


async def get_by_token(session: AsyncSession, token: str) -> Checkout | None:
    result = await session.execute(select(Checkout).where(Checkout.token == token))
    return result.scalar_one_or_none()


async def pk_of(session: AsyncSession, tenant: Tenant, checkout_id: str) -> int | None:
    result = await session.execute(
        select(Checkout.pk).where(_tenant(tenant), Checkout.id == checkout_id)
    )
    return result.scalar_one_or_none()


async def insert(session: AsyncSession, checkout: Checkout) -> None:
    session.add(checkout)
    await session.flush()
    await rollup.created(
        session, checkout.account_id, checkout.livemode, checkout.created_at, checkout.currency
    )
    # A new session has no SKU rows yet: no DELETE round trip before adding them.
    await replace_products(session, checkout, existing=False)


async def replace_products(
    session: AsyncSession, checkout: Checkout, *, existing: bool = True
) -> None:
    """Keep the SKU lookup rows in step with the session's line items."""
    if existing:
        await session.execute(
            delete(CheckoutProduct).where(CheckoutProduct.checkout_pk == checkout.pk)
        )
    products = sorted({item["product"] for item in checkout.data["line_items"]})
    session.add_all(
        CheckoutProduct(
            checkout_pk=checkout.pk,
            product=product,
            account_id=checkout.account_id,
            livemode=checkout.livemode,
        )
        for product in products
    )
    await session.flush()


async def list_keyset(
    session: AsyncSession,
    tenant: Tenant,
    filters: CheckoutFilters,
    now: datetime,
    *,
    limit: int,
    after_pk: int | None = None,
    before_pk: int | None = None,
) -> tuple[list[CheckoutSession], bool]:
    """One newest-first page and whether more rows lie in the paging direction."""
    rows, has_more = await keyset_rows(
        session,
        _COLUMNS,
        Checkout.pk,
        _conditions(tenant, filters, now),
        limit=limit,
        after_pk=after_pk,
        before_pk=before_pk,
    )
    return [from_row(row) for row in rows], has_more


_LIST_ACCOUNT: BindParameter[str] = bindparam("list_account_id")
_LIST_LIVEMODE: BindParameter[bool] = bindparam("list_livemode")
_LIST_NOW: ColumnElement[datetime] = bindparam("list_now", type_=UTCDateTime())
_LIST_AFTER: BindParameter[int] = bindparam("list_after_pk")


@functools.lru_cache(maxsize=512)
def _by_status_statement(statuses: tuple[Status, ...], limit: int, after: bool) -> Select[Any]:
    """:func:`list_keyset`'s statement for a statuses-only filter, built once per shape
    (the values are bound when it runs): building it was a third of a plain list's CPU."""
    conditions: list[Any] = [
        and_(Checkout.account_id == _LIST_ACCOUNT, Checkout.livemode == _LIST_LIVEMODE)
    ]
    if statuses:
        conditions.append(or_(*(_status_condition(s, _LIST_NOW) for s in statuses)))
    if after:
        conditions.append(Checkout.pk < _LIST_AFTER)
    return select(*_COLUMNS).where(*conditions).order_by(Checkout.pk.desc()).limit(limit + 1)


async def list_by_status(
    db: Database,
    tenant: Tenant,
    statuses: Sequence[Status],
    now: datetime,
    *,
    limit: int,
    after_pk: int | None = None,
) -> tuple[list[CheckoutSession], bool]:
    """:func:`list_keyset` with only ``statuses`` filtered (the same rows, the same SQL),
    read through the driver (autocommit)."""
    statement = _by_status_statement(tuple(statuses), limit, after_pk is not None)
    values: dict[str, Any] = {
        "list_account_id": tenant.account_id,
        "list_livemode": tenant.livemode,
        "list_now": now,
        "list_after_pk": after_pk,
    }
    rows, has_more = page_of(await db.fetch_statement(statement, values), limit)
    return sessions_of(db, rows), has_more


_PK_OF = select(Checkout.pk).where(
    Checkout.account_id == bindparam("pk_account_id"),
    Checkout.livemode == bindparam("pk_livemode"),
    Checkout.id == bindparam("pk_checkout_id"),
)


async def pk_by_id(db: Database, tenant: Tenant, checkout_id: str) -> int | None:
    """:func:`pk_of` read through the driver (autocommit): a list cursor's key."""
    values = {
        "pk_account_id": tenant.account_id,
        "pk_livemode": tenant.livemode,
        "pk_checkout_id": checkout_id,
    }
    rows = await db.fetch_statement(_PK_OF, values)
    return int(rows[0][0]) if rows else None


async def list_offset(
    session: AsyncSession,
    tenant: Tenant,
    filters: CheckoutFilters,
    now: datetime,
    *,
    limit: int,
    offset: int,
) -> tuple[list[CheckoutSession], int]:
    """One numbered page and the total count, for clients that want page numbers."""
    conditions = _conditions(tenant, filters, now)
    total = (
        await session.execute(select(func.count()).select_from(Checkout).where(*conditions))
    ).scalar_one()
    rows = (
        await session.execute(
            select(*_COLUMNS)
            .where(*conditions)
            .order_by(Checkout.pk.desc())
            .limit(limit)
            .offset(offset)
        )
    ).all()
    return [from_row(row) for row in rows], total


async def count(
    session: AsyncSession, tenant: Tenant, filters: CheckoutFilters, now: datetime
) -> int:
    """How many of the tenant's sessions match ``filters``."""
    conditions = _conditions(tenant, filters, now)
    statement = select(func.count()).select_from(Checkout).where(*conditions)
    return int((await session.execute(statement)).scalar_one())


async def touch_open(
    session: AsyncSession,
    row: Checkout,
    now: datetime,
    expires_at: datetime,
    *,
    client: dict[str, Any] | None = None,
) -> bool:
    """A page visit to an open session: defer its expiry and, when given, set its
    ``client`` (the visit's details) inside the document in the same statement,
    without rewriting the rest of it; whether the session was still open. ``row`` is
    kept in step with what was written, without the ORM writing it again at commit."""
    values: dict[str, Any] = {"expires_at": expires_at, "updated_at": now}
    if client is not None:
        values["data"] = with_json_key(session, Checkout.data, "client", client)
    result = await session.execute(
        update(Checkout)
        .where(
            Checkout.pk == row.pk,
            Checkout.status.in_([status.value for status in OPEN_STATUSES]),
            Checkout.expires_at > now,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    set_committed_value(row, "expires_at", expires_at)
    set_committed_value(row, "updated_at", now)
    if client is not None:
        set_committed_value(row, "data", {**row.data, "client": client})
    return True


async def expired_for_update(
    session: AsyncSession, now: datetime, *, limit: int
) -> Sequence[Checkout]:
    """Open sessions (of every tenant) past ``expires_at``, oldest expiry first, locked;
    rows another sweeper holds are skipped (``SKIP LOCKED`` on PostgreSQL)."""
    expiring = [status.value for status in EXPIRING_STATUSES]
    query = (
        select(Checkout)
        .where(Checkout.status.in_(expiring), Checkout.expires_at <= now)
        .order_by(Checkout.expires_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return (await session.execute(query)).scalars().all()


async def id_of_number(session: AsyncSession, tenant: Tenant, number: int) -> str | None:
    """The id of the tenant's session whose row number (``pk``) is ``number``."""
    query = select(Checkout.id).where(_tenant(tenant), Checkout.pk == number)
    return (await session.execute(query)).scalar_one_or_none()
