"""The dashboard overview's rollup: one row per tenant, UTC day and currency."""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Boolean, Date, String
from sqlalchemy.orm import Mapped, mapped_column

from opencheckout.store.models.base import Base


class OverviewDay(Base):
    """What the overview shows for one day, kept in step by the writes that change it.

    ``created`` and ``abandoned`` count sessions by their creation day (the
    abandoned ones the sweep or a cancel wrote; expired open sessions are counted
    on read), ``completed``, ``revenue`` and ``recovered`` by their completion
    day, ``refunds`` and ``refunded`` the refunds that did not fail by their
    creation day. Amounts are in the currency's minor units.
    """

    __tablename__ = "overview_days"

    account_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    livemode: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    created: Mapped[int] = mapped_column(BigInteger, default=0)
    completed: Mapped[int] = mapped_column(BigInteger, default=0)
    revenue: Mapped[int] = mapped_column(BigInteger, default=0)
    recovered: Mapped[int] = mapped_column(BigInteger, default=0)
    abandoned: Mapped[int] = mapped_column(BigInteger, default=0)
    refunds: Mapped[int] = mapped_column(BigInteger, default=0)
    refunded: Mapped[int] = mapped_column(BigInteger, default=0)


class OverviewProduct(Base):
    """Sessions completed on one day that contain a SKU (the overview's top products)."""

    __tablename__ = "overview_products"

    account_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    livemode: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    product: Mapped[str] = mapped_column(String(200), primary_key=True)
    completed: Mapped[int] = mapped_column(BigInteger, default=0)
