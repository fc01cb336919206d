"""Coupons: a percentage or an amount off, optionally behind a customer-facing code."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from opencheckout.store.models.base import Base
from opencheckout.store.types import BigIntPK, JSONDocument, UTCDateTime


class Coupon(Base):
    """A discount definition and its redemption counter.

    ``percent_off_bps`` holds the percentage in basis points (33.33 % -> 3333)
    so that it is exact on every database without a DECIMAL column.
    ``code_lower`` carries the unique index that makes codes case-insensitive.
    ``times_redeemed`` only ever moves through conditional UPDATEs, never a
    read-modify-write, so concurrent completions cannot overshoot
    ``max_redemptions``.
    """

    __tablename__ = "coupons"

    pk: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(40), unique=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    livemode: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str | None] = mapped_column(String(250), nullable=True)
    percent_off_bps: Mapped[int | None] = mapped_column(Integer, nullable=True)
    amount_off: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    code: Mapped[str | None] = mapped_column(String(50), nullable=True)
    code_lower: Mapped[str | None] = mapped_column(String(50), nullable=True)
    max_redemptions: Mapped[int | None] = mapped_column(Integer, nullable=True)
    redeem_by: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: SKUs the coupon is restricted to; NULL means every line item.
    applies_to_products: Mapped[list[str] | None] = mapped_column(JSONDocument, nullable=True)
    times_redeemed: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONDocument)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("uq_coupons_tenant_code", "account_id", "livemode", "code_lower", unique=True),
        Index("ix_coupons_tenant_pk", "account_id", "livemode", "pk"),
    )
