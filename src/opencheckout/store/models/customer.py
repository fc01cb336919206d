"""Customers and their address books."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from opencheckout.store.models.base import Base
from opencheckout.store.types import BigIntPK, JSONDocument, UTCDateTime


class Customer(Base):
    """A returning buyer. ``email_lower`` makes the email unique per account and
    mode whatever its case; customers without an email are allowed (NULLs never
    collide in a unique index on either engine)."""

    __tablename__ = "customers"

    pk: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(40), unique=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    livemode: Mapped[bool] = mapped_column(Boolean)
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    email_lower: Mapped[str | None] = mapped_column(String(320), nullable=True)
    name: Mapped[str | None] = mapped_column(String(250), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(40), nullable=True)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONDocument)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_customers_tenant_pk", "account_id", "livemode", "pk"),
        Index("uq_customers_tenant_email", "account_id", "livemode", "email_lower", unique=True),
    )


class CustomerAddress(Base):
    """One saved address. ``fingerprint`` hashes the normalised content, so the
    unique index makes "the same address twice" one row even under races."""

    __tablename__ = "customer_addresses"

    pk: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(40), unique=True)
    customer_pk: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("customers.pk", ondelete="CASCADE")
    )
    account_id: Mapped[str] = mapped_column(String(40))
    livemode: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str | None] = mapped_column(String(250), nullable=True)
    line1: Mapped[str | None] = mapped_column(String(500), nullable=True)
    line2: Mapped[str | None] = mapped_column(String(500), nullable=True)
    city: Mapped[str | None] = mapped_column(String(500), nullable=True)
    state: Mapped[str | None] = mapped_column(String(500), nullable=True)
    postal_code: Mapped[str | None] = mapped_column(String(32), nullable=True)
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index(
            "uq_customer_addresses_customer_fingerprint", "customer_pk", "fingerprint", unique=True
        ),
    )
