"""Orders: what a completed session bought, and what happened to it since."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from opencheckout.store.models.base import Base
from opencheckout.store.types import BigIntPK, JSONDocument, UTCDateTime


class Order(Base):
    """Columns are what lists filter on; the paid lines, amounts, address,
    fulfillment events and adjustments are the JSON document."""

    __tablename__ = "orders"

    pk: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(40), unique=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    livemode: Mapped[bool] = mapped_column(Boolean)
    checkout_id: Mapped[str] = mapped_column(String(40), unique=True)
    customer_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    status: Mapped[str] = mapped_column(String(32))
    currency: Mapped[str] = mapped_column(String(3))
    amount_total: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    data: Mapped[dict[str, Any]] = mapped_column(JSONDocument)

    __table_args__ = (
        Index("ix_orders_tenant_pk", "account_id", "livemode", "pk"),
        Index("ix_orders_tenant_customer", "account_id", "livemode", "customer_id"),
        Index("ix_orders_tenant_status_pk", "account_id", "livemode", "status", "pk"),
    )
