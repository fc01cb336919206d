"""The merchant's product catalog, keyed by the merchant's own SKU."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from opencheckout.store.models.base import Base
from opencheckout.store.types import BigIntPK, JSONDocument, UTCDateTime


class Product(Base):
    """A catalog entry; line items that name its SKU take their defaults from it.

    The SKU is the public id, unique per account and mode (not globally: two
    merchants may both sell ``sku-shirt``), so ``pk`` is the surrogate key that
    keyset pagination walks.
    """

    __tablename__ = "products"

    pk: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    livemode: Mapped[bool] = mapped_column(Boolean)
    sku: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(250))
    description: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    unit_amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    #: Ids of the tax rates a line item of this product carries by default.
    tax_rates: Mapped[list[str]] = mapped_column(JSONDocument)
    active: Mapped[bool] = mapped_column(Boolean)
    #: Units left to sell; ``None`` means the product's stock is not tracked.
    stock: Mapped[int | None] = mapped_column(Integer, nullable=True)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONDocument)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("uq_products_tenant_sku", "account_id", "livemode", "sku", unique=True),
        Index("ix_products_tenant_pk", "account_id", "livemode", "pk"),
    )
