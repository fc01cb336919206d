"""Payment attempts, and the test processor's own ledger."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from opencheckout.store.models.base import Base
from opencheckout.store.types import BigIntPK, UTCDateTime


class PaymentAttempt(Base):
    """One call to a processor for a session, written in the claim's transaction.

    The idempotency key is sent with the processor call, so after a crash the
    worker can ask the processor what became of it (``status`` ``open`` until
    then; ``next_check_at`` schedules that question).
    """

    __tablename__ = "payment_attempts"

    pk: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(40), unique=True)
    checkout_pk: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("checkouts.pk", ondelete="CASCADE")
    )
    checkout_id: Mapped[str] = mapped_column(String(40))
    account_id: Mapped[str] = mapped_column(String(40))
    livemode: Mapped[bool] = mapped_column(Boolean)
    processor: Mapped[str] = mapped_column(String(32))
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)
    processor_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    #: open | succeeded | declined | voided
    status: Mapped[str] = mapped_column(String(16))
    checks: Mapped[int] = mapped_column(Integer)
    next_check_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_payment_attempts_status_next_check", "status", "next_check_at"),
        Index("ix_payment_attempts_checkout", "checkout_pk"),
    )


class SimulatedPayment(Base):
    """What the built-in test processor did for an idempotency key.

    The test processor stands in for a remote processor, which remembers its
    payments; this table is that memory, so reconciliation can ask it.
    """

    __tablename__ = "test_processor_ledger"

    idempotency_key: Mapped[str] = mapped_column(String(80), primary_key=True)
    processor_id: Mapped[str] = mapped_column(String(200))
    #: succeeded | declined | processing | voided
    outcome: Mapped[str] = mapped_column(String(16))
    decline_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    message: Mapped[str | None] = mapped_column(String(500), nullable=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
