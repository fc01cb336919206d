"""Refunds of completed checkout sessions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from opencheckout.store.models.base import Base
from opencheckout.store.types import BigIntPK, JSONDocument, UTCDateTime


class Refund(Base):
    """Money given back on a completed session.

    A refund is written (``pending``) in the transaction that locks its session
    and checks what remains, so concurrent refunds cannot give back more than
    was paid; the processor's answer moves it to ``succeeded`` or ``failed``.
    """

    __tablename__ = "refunds"

    pk: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(40), unique=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    livemode: Mapped[bool] = mapped_column(Boolean)
    checkout_pk: Mapped[int] = mapped_column(BigInteger, ForeignKey("checkouts.pk"))
    checkout_id: Mapped[str] = mapped_column(String(40))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONDocument)
    processor: Mapped[str | None] = mapped_column(String(32), nullable=True)
    processor_refund_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    failure_message: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_refunds_tenant_pk", "account_id", "livemode", "pk"),
        Index("ix_refunds_tenant_created", "account_id", "livemode", "created_at"),
        Index("ix_refunds_tenant_checkout_pk", "account_id", "livemode", "checkout_id", "pk"),
        Index("ix_refunds_tenant_status_pk", "account_id", "livemode", "status", "pk"),
    )
