"""Listing checkout sessions by their ACP status (``GET /acp/checkout_sessions``).

ACP's statuses are not all stored: ``ready_for_payment`` and
``not_ready_for_payment`` are both native ``pending``/``failed`` sessions, told
apart by readiness (what the buyer still has to give), which is computed from
the session document. Those two filters therefore scan the tenant's open
sessions newest first (open sessions expire, so there are few) and page over
the matches; every other filter is one indexed query plus a count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import partial

from opencheckout.domain.errors import InvalidValue, NotFound
from opencheckout.domain.filters import CheckoutFilters
from opencheckout.domain.lifecycle import Status
from opencheckout.domain.session import CheckoutSession
from opencheckout.service.auth import Principal
from opencheckout.service.context import Context
from opencheckout.service.paging import Cursor, cursor_pks
from opencheckout.service.tenancy import tenant_of
from opencheckout.service.views import checkout_resource
from opencheckout.store import checkouts as store

#: ACP status -> the native statuses it can be.
NATIVE_STATUSES: dict[str, tuple[Status, ...]] = {
    "not_ready_for_payment": (Status.PENDING, Status.FAILED),
    "ready_for_payment": (Status.PENDING, Status.FAILED),
    "in_progress": (Status.PROCESSING,),
    "completed": (Status.COMPLETED,),
    "canceled": (Status.ABANDONED,),
}
_BY_READINESS = {"ready_for_payment": True, "not_ready_for_payment": False}
#: How many open sessions a readiness filter looks at, at most.
SCAN_LIMIT = 5000
_CHUNK = 200


@dataclass(frozen=True, slots=True)
class Query:
    status: str | None = None
    email: str | None = None
    created_gte: datetime | None = None
    created_lte: datetime | None = None
    limit: int = 20
    starting_after: str | None = None
    ending_before: str | None = None


@dataclass(frozen=True, slots=True)
class Page:
    rows: list[CheckoutSession]
    has_more: bool
    total_count: int


def _filters(query: Query) -> CheckoutFilters:
    if query.status is not None and query.status not in NATIVE_STATUSES:
        raise InvalidValue(
            f"Unknown status '{query.status}'; use one of {', '.join(NATIVE_STATUSES)}.",
            param="status",
        )
    statuses = list(NATIVE_STATUSES[query.status]) if query.status else []
    return CheckoutFilters(
        statuses=statuses,
        email=query.email,
        created_gte=query.created_gte,
        created_lte=query.created_lte,
    )


async def list_sessions(ctx: Context, principal: Principal, query: Query) -> Page:
    if query.starting_after and query.ending_before:
        raise InvalidValue(
            "Use either starting_after or ending_before, not both.", param="ending_before"
        )
    filters = _filters(query)
    if query.status in _BY_READINESS:
        return await _by_readiness(ctx, principal, query, filters, _BY_READINESS[query.status])
    now = ctx.clock()
    tenant = tenant_of(principal)
    async with ctx.db.read() as session:
        cursor = Cursor(query.limit, query.starting_after, query.ending_before)
        pk_of = partial(store.pk_of, session, tenant)
        after_pk, before_pk = await cursor_pks(cursor, pk_of, "checkout session")
        rows, has_more = await store.list_keyset(
            session, tenant, filters, now, limit=query.limit, after_pk=after_pk, before_pk=before_pk
        )
        total = await store.count(session, tenant, filters, now)
    return Page(rows=list(rows), has_more=has_more, total_count=total)


async def _by_readiness(
    ctx: Context, principal: Principal, query: Query, filters: CheckoutFilters, ready: bool
) -> Page:
    now = ctx.clock()
    tenant = tenant_of(principal)
    matches: list[CheckoutSession] = []
    after_pk: int | None = None
    async with ctx.db.read() as session:
        for _ in range(SCAN_LIMIT // _CHUNK):
            rows, more = await store.list_keyset(
                session, tenant, filters, now, limit=_CHUNK, after_pk=after_pk
            )
            for row in rows:
                resource = checkout_resource(
                    row,
                    public_url=ctx.settings.public_url,
                    now=now,
                    processor=ctx.processor_name_for(row.livemode),
                )
                if resource["ready_for_payment"] is ready:
                    matches.append(row)
            if not more or not rows:
                break
            after_pk = rows[-1].pk
    ids = [row.id for row in matches]
    start, end = 0, len(matches)
    for cursor, param in (
        (query.starting_after, "starting_after"),
        (query.ending_before, "ending_before"),
    ):
        if cursor is not None and cursor not in ids:
            raise NotFound(f"No such checkout session in this list: '{cursor}'.", param=param)
    if query.starting_after is not None:
        start = ids.index(query.starting_after) + 1
        end = min(len(matches), start + query.limit)
        has_more = end < len(matches)
    elif query.ending_before is not None:
        end = ids.index(query.ending_before)
        start = max(0, end - query.limit)
        has_more = start > 0
    else:
        end = min(len(matches), query.limit)
        has_more = end < len(matches)
    return Page(rows=matches[start:end], has_more=has_more, total_count=len(matches))
