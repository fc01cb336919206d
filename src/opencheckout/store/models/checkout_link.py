"""Checkout links: a reusable public URL that makes a new session per buyer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from opencheckout.store.models.base import Base
from opencheckout.store.types import BigIntPK, JSONDocument, UTCDateTime


class CheckoutLink(Base):
    """A link's line items and the session settings it stamps (``settings``), its
    public ``slug`` and its counters.

    ``claimed_count`` counts sessions of the link that are being paid or were
    paid; it only moves through conditional UPDATEs in the payment's claim
    transaction, so racing buyers never take it past ``max_completions``.
    ``completed_count`` and ``amount_completed`` move in the transaction that
    completes a session.
    """

    __tablename__ = "checkout_links"

    pk: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(40), unique=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    livemode: Mapped[bool] = mapped_column(Boolean)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    currency: Mapped[str] = mapped_column(String(3))
    line_items: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument)
    settings: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    active: Mapped[bool] = mapped_column(Boolean)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    max_completions: Mapped[int | None] = mapped_column(Integer, nullable=True)
    claimed_count: Mapped[int] = mapped_column(Integer)
    completed_count: Mapped[int] = mapped_column(Integer)
    amount_completed: Mapped[int] = mapped_column(BigInteger)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONDocument)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_checkout_links_tenant_pk", "account_id", "livemode", "pk"),)
