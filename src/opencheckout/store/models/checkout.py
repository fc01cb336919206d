"""Checkout sessions and their SKU lookup rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from opencheckout.store.models.base import Base
from opencheckout.store.types import BigIntPK, JSONDocument, UTCDateTime


def _set_only(name: str, column: str, *, tenant: bool) -> Index:
    """An index on ``column`` (after the tenant) over the rows where it is set."""
    where = text(f"{column} IS NOT NULL")
    columns = ("account_id", "livemode", column) if tenant else (column,)
    return Index(name, *columns, postgresql_where=where, sqlite_where=where)


class Checkout(Base):
    """A checkout session.

    Columns hold what is filtered, sorted or locked on; the rest of the session
    (line items, customer, URLs, metadata, ...) is one JSON document so that a
    retrieve is a single-row read.
    """

    __tablename__ = "checkouts"

    pk: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(40), unique=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    livemode: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(16))
    payment_status: Mapped[str] = mapped_column(String(32))
    currency: Mapped[str] = mapped_column(String(3))
    customer_ref: Mapped[str | None] = mapped_column(String(200), nullable=True)
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    client_reference_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    processor: Mapped[str | None] = mapped_column(String(32), nullable=True)
    processor_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    amount_subtotal: Mapped[int] = mapped_column(BigInteger)
    amount_discount: Mapped[int] = mapped_column(BigInteger)
    amount_tax: Mapped[int] = mapped_column(BigInteger)
    amount_shipping: Mapped[int] = mapped_column(BigInteger)
    amount_total: Mapped[int] = mapped_column(BigInteger)
    abandon_after_seconds: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    recovered_from: Mapped[str | None] = mapped_column(String(40), nullable=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    #: The merchant's grouping of sessions (``?group_keys[]=``); last so that the
    #: positional records (``store.checkout_records``) can default it.
    group_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    #: The checkout link (``cl_…``) that made the session (``?checkout_link=``).
    checkout_link: Mapped[str | None] = mapped_column(String(40), nullable=True)

    __table_args__ = (
        # Newest-first keyset pages, optionally narrowed by status or creation time.
        Index("ix_checkouts_tenant_pk", "account_id", "livemode", "pk"),
        Index("ix_checkouts_tenant_status_pk", "account_id", "livemode", "status", "pk"),
        Index("ix_checkouts_tenant_created", "account_id", "livemode", "created_at"),
        # The dashboard overview's completions per day.
        _set_only("ix_checkouts_tenant_completed", "completed_at", tenant=True),
        # Optional fields: only sessions that have one are indexed (cheaper creates).
        _set_only("ix_checkouts_tenant_email", "email", tenant=True),
        _set_only("ix_checkouts_tenant_customer", "customer_ref", tenant=True),
        _set_only("ix_checkouts_tenant_client_ref", "client_reference_id", tenant=True),
        _set_only("ix_checkouts_tenant_group_key", "group_key", tenant=True),
        _set_only("ix_checkouts_tenant_checkout_link", "checkout_link", tenant=True),
        # Tenant-free: the Stripe webhook finds a session by its PaymentIntent id.
        _set_only("ix_checkouts_processor_id", "processor_id", tenant=False),
        # The abandonment sweep scans open sessions by expiry.
        Index("ix_checkouts_status_expires", "status", "expires_at"),
        # The overview's open sessions already past expiry that the sweep has not moved.
        Index(
            "ix_checkouts_tenant_status_expires", "account_id", "livemode", "status", "expires_at"
        ),
    )


class CheckoutProduct(Base):
    """One row per distinct SKU in a session, so ``?product=`` is an indexed lookup."""

    __tablename__ = "checkout_products"

    checkout_pk: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("checkouts.pk", ondelete="CASCADE"), primary_key=True
    )
    product: Mapped[str] = mapped_column(String(200), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(40))
    livemode: Mapped[bool] = mapped_column(Boolean)

    __table_args__ = (
        Index("ix_checkout_products_tenant_product", "account_id", "livemode", "product"),
    )
