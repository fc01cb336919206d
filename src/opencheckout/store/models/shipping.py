"""Shipping rates by country and free-shipping promotions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from opencheckout.store.models.base import Base
from opencheckout.store.types import BigIntPK, JSONDocument, UTCDateTime


class ShippingRate(Base):
    """``countries`` is a list of ISO 3166-1 alpha-2 codes; empty means every
    country that has no more specific rate."""

    __tablename__ = "shipping_rates"

    pk: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(40), unique=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    livemode: Mapped[bool] = mapped_column(Boolean)
    display_name: Mapped[str] = mapped_column(String(100))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    countries: Mapped[list[str]] = mapped_column(JSONDocument)
    service_level: Mapped[str] = mapped_column(String(50))
    delivery_estimate: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONDocument)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_shipping_rates_tenant_pk", "account_id", "livemode", "pk"),)


class ShippingPromotion(Base):
    """Free shipping on ``service_levels`` (empty: all) once the discounted
    subtotal reaches ``min_subtotal``, or when the cart holds one of ``products``."""

    __tablename__ = "shipping_promotions"

    pk: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(40), unique=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    livemode: Mapped[bool] = mapped_column(Boolean)
    display_name: Mapped[str | None] = mapped_column(String(250), nullable=True)
    service_levels: Mapped[list[str]] = mapped_column(JSONDocument)
    min_subtotal: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    products: Mapped[list[str]] = mapped_column(JSONDocument)
    active: Mapped[bool] = mapped_column(Boolean)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONDocument)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_shipping_promotions_tenant_pk", "account_id", "livemode", "pk"),)
