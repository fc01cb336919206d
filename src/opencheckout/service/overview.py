"""The dashboard overview for a period: revenue, conversion, abandonment, recovery,
refunds and top products, from the store's grouped queries."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from opencheckout.service.auth import Principal
from opencheckout.service.context import Context
from opencheckout.service.tenancy import tenant_of
from opencheckout.store import overview as store

MAX_DAYS = 366


@dataclass(frozen=True, slots=True)
class Day:
    day: date
    created: int = 0
    completed: int = 0
    revenue: int = 0
    recovered: int = 0
    refunded: int = 0


@dataclass(frozen=True, slots=True)
class Overview:
    start: date
    end: date  # inclusive
    #: The currency the charts show (the period's largest revenue); others are listed.
    currency: str | None
    days: list[Day]
    created: int
    completed: int
    abandoned: int
    revenue: int
    recovered: int
    refunded: int
    refunds: int
    top_products: list[tuple[str, int]]
    other_currencies: dict[str, int] = field(default_factory=dict)

    @property
    def conversion(self) -> float | None:
        return self.completed / self.created if self.created else None

    @property
    def abandonment(self) -> float | None:
        return self.abandoned / self.created if self.created else None


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


async def overview(ctx: Context, principal: Principal, start: date, end: date) -> Overview:
    """``start`` to ``end`` inclusive (UTC days), at most a year."""
    if end < start:
        start, end = end, start
    if (end - start).days >= MAX_DAYS:
        start = end - timedelta(days=MAX_DAYS - 1)
    tenant = tenant_of(principal)
    lower, upper = _midnight(start), _midnight(end + timedelta(days=1))
    now = ctx.clock()
    async with ctx.db.read() as session:
        created = await store.created_per_day(session, tenant, lower, upper)
        completed = await store.completed_per_day(session, tenant, lower, upper)
        abandoned = await store.abandoned_count(session, tenant, lower, upper, now)
        refunds = await store.refunds_per_day(session, tenant, lower, upper)
        top = await store.top_products(session, tenant, lower, upper)
    revenue_by_currency: Counter[str] = Counter()
    for _day, row_currency, _n, total, _recovered in completed:
        revenue_by_currency[row_currency] += total
    currency: str | None = revenue_by_currency.most_common(1)[0][0] if revenue_by_currency else None
    if currency is None and refunds:
        currency = refunds[0][1]
    per_day: dict[str, dict[str, int]] = {}
    for key, count in created:
        per_day.setdefault(key, {})["created"] = count
    for key, row_currency, count, total, recovered in completed:
        values = per_day.setdefault(key, {})
        values["completed"] = values.get("completed", 0) + count
        if row_currency == currency:
            values["revenue"] = total
            values["recovered"] = recovered
    refund_count = 0
    for key, row_currency, count, amount in refunds:
        if row_currency == currency:
            per_day.setdefault(key, {})["refunded"] = amount
            refund_count += count
    days = []
    for offset in range((end - start).days + 1):
        day = start + timedelta(days=offset)
        values = per_day.get(day.isoformat(), {})
        days.append(Day(day=day, **values))
    return Overview(
        start=start,
        end=end,
        currency=currency,
        days=days,
        created=sum(d.created for d in days),
        completed=sum(d.completed for d in days),
        abandoned=abandoned,
        revenue=sum(d.revenue for d in days),
        recovered=sum(d.recovered for d in days),
        refunded=sum(d.refunded for d in days),
        refunds=refund_count,
        top_products=list(top),
        other_currencies={c: t for c, t in revenue_by_currency.items() if c != currency},
    )
