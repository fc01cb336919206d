"""Tax rates the merchant configures and attaches to products, lines and sessions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from opencheckout.store.models.base import Base
from opencheckout.store.types import BigIntPK, JSONDocument, UTCDateTime


class TaxRate(Base):
    """``percentage_ppm`` is the percentage in millionths (8.875 % -> 88750), exact
    on every database. Percentage and inclusiveness never change after creation,
    so a rate id always means the same arithmetic."""

    __tablename__ = "tax_rates"

    pk: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(40), unique=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    livemode: Mapped[bool] = mapped_column(Boolean)
    display_name: Mapped[str] = mapped_column(String(100))
    percentage_ppm: Mapped[int] = mapped_column(Integer)
    inclusive: Mapped[bool] = mapped_column(Boolean)
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    state: Mapped[str | None] = mapped_column(String(100), nullable=True)
    jurisdiction: Mapped[str | None] = mapped_column(String(200), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONDocument)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_tax_rates_tenant_pk", "account_id", "livemode", "pk"),)
