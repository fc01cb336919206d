"""Shipping rates by country, free-shipping promotions, and the options a session
that gives none of its own is offered (recomputed on every edit)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opencheckout.domain import shipping as rules
from opencheckout.ids import new_id
from opencheckout.service.auth import Principal
from opencheckout.service.context import Context
from opencheckout.service.metadata import merge_metadata
from opencheckout.service.resources import TenantResource
from opencheckout.service.views import isoformat
from opencheckout.store import shipping as store
from opencheckout.store.models import ShippingPromotion, ShippingRate
from opencheckout.store.repository import TenantRepository

#: Marks a session whose options come from the account's rates (not its own).
SOURCE_KEY = "shipping_source"
RATE_FIELDS = (
    "display_name",
    "amount",
    "currency",
    "countries",
    "service_level",
    "delivery_estimate",
    "active",
)
PROMOTION_FIELDS = (
    "display_name",
    "service_levels",
    "min_subtotal",
    "currency",
    "products",
    "active",
)


def rate_resource(row: ShippingRate) -> dict[str, Any]:
    return {
        "id": row.id,
        "object": "shipping_rate",
        **{name: getattr(row, name) for name in RATE_FIELDS},
        "metadata": row.metadata_,
        "livemode": row.livemode,
        "created_at": isoformat(row.created_at),
        "updated_at": isoformat(row.updated_at),
    }


def promotion_resource(row: ShippingPromotion) -> dict[str, Any]:
    return {
        "id": row.id,
        "object": "shipping_promotion",
        **{name: getattr(row, name) for name in PROMOTION_FIELDS},
        "metadata": row.metadata_,
        "livemode": row.livemode,
        "created_at": isoformat(row.created_at),
        "updated_at": isoformat(row.updated_at),
    }


class Resource(TenantResource[Any]):
    """CRUD over one of the two tables; the API routers differ only in names."""

    def __init__(
        self, repository: TenantRepository[Any], prefix: str, noun: str, fields: tuple[str, ...]
    ) -> None:
        super().__init__(repository, noun)
        self.prefix, self.fields = prefix, fields

    async def create(self, ctx: Context, principal: Principal, params: Mapping[str, Any]) -> Any:
        now = ctx.clock()
        row = self.repository.model(
            id=new_id(self.prefix),
            account_id=principal.account_id,
            livemode=principal.livemode,
            metadata_=params.get("metadata") or {},
            created_at=now,
            updated_at=now,
            **{name: params[name] for name in self.fields},
        )
        async with ctx.db.write() as session:
            await self.repository.insert(session, row)
        return row

    async def update(
        self, ctx: Context, principal: Principal, public_id: str, changes: Mapping[str, Any]
    ) -> Any:
        async with self.locked(ctx, principal, public_id) as (_, row):
            for name in self.fields:
                if name in changes:
                    setattr(row, name, changes[name])
            if "metadata" in changes:
                row.metadata_ = merge_metadata(row.metadata_, changes["metadata"] or {})
            row.updated_at = ctx.clock()
        return row


rates = Resource(store.rates, "shr", "shipping rate", RATE_FIELDS)
promotions = Resource(store.promotions, "shp", "shipping promotion", PROMOTION_FIELDS)


def _country(document: Mapping[str, Any]) -> str | None:
    customer = document["customer"]
    address = customer.get("shipping_address") or customer.get("billing_address") or {}
    country = address.get("country")
    return country if isinstance(country, str) else None


def offered_options(
    document: Mapping[str, Any],
    found: list[rules.Rate],
    promos: list[rules.Promotion],
    *,
    currency: str,
    subtotal: int,
) -> list[dict[str, Any]]:
    """The session's options from the account's rates, promotions applied."""
    skus = {item["product"] for item in document["line_items"]}
    return [
        {
            "id": rate.id,
            "display_name": rate.display_name,
            "amount": 0
            if rules.is_free(rate, promos, subtotal=subtotal, currency=currency, skus=skus)
            else rate.amount,
            "delivery_estimate": rate.delivery_estimate,
        }
        for rate in rules.matching(found, _country(document))
    ]
