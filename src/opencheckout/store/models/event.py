"""Events (the transactional outbox) and their per-endpoint deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from opencheckout.store.models.base import Base
from opencheckout.store.types import BigIntPK, JSONDocument, UTCDateTime


class Event(Base):
    """Something that happened, with the object's full snapshot at that moment.

    Written in the same transaction as the change it describes, so a change
    and its event are committed together or not at all.
    """

    __tablename__ = "events"

    pk: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(40), unique=True)
    account_id: Mapped[str] = mapped_column(String(40))
    livemode: Mapped[bool] = mapped_column(Boolean)
    type: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    data: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    #: The id of ``data.object`` (a checkout's timeline is one index range).
    object_id: Mapped[str | None] = mapped_column(String(40), nullable=True)

    __table_args__ = (
        Index("ix_events_tenant_pk", "account_id", "livemode", "pk"),
        Index("ix_events_tenant_type_pk", "account_id", "livemode", "type", "pk"),
        Index("ix_events_created_at", "created_at"),
        Index(
            "ix_events_tenant_object_pk",
            "account_id",
            "livemode",
            "object_id",
            "pk",
            postgresql_where=text("object_id IS NOT NULL"),
            sqlite_where=text("object_id IS NOT NULL"),
        ),
    )


class WebhookEndpoint(Base):
    __tablename__ = "webhook_endpoints"

    pk: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(40), unique=True)
    account_id: Mapped[str] = mapped_column(String(40))
    livemode: Mapped[bool] = mapped_column(Boolean)
    url: Mapped[str] = mapped_column(String(2048))
    description: Mapped[str | None] = mapped_column(String(500), nullable=True)
    enabled_events: Mapped[list[str]] = mapped_column(JSONDocument)
    status: Mapped[str] = mapped_column(String(16))
    secret: Mapped[str] = mapped_column(String(100))
    #: The secret replaced by the last rotation; it keeps signing until it expires.
    previous_secret: Mapped[str | None] = mapped_column(String(100), nullable=True)
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), nullable=True
    )
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONDocument)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: Set while deliveries keep failing; the endpoint is disabled 3 days on.
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    __table_args__ = (Index("ix_webhook_endpoints_tenant", "account_id", "livemode", "pk"),)


class WebhookDelivery(Base):
    """One event owed to one endpoint: retried until it succeeds or times out.

    ``next_attempt_at`` doubles as the lease: a worker that claims a delivery
    pushes it past the attempt's timeout, so another worker only retries it
    if the first one died.
    """

    __tablename__ = "webhook_deliveries"

    pk: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    endpoint_id: Mapped[str] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    event_pk: Mapped[int] = mapped_column(BigInteger, ForeignKey("events.pk", ondelete="CASCADE"))
    account_id: Mapped[str] = mapped_column(String(40))
    livemode: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    first_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_endpoint", "endpoint_id", "pk"),
        Index("ix_webhook_deliveries_event", "event_pk"),
    )


class WebhookAttempt(Base):
    """The record of one HTTP request to an endpoint."""

    __tablename__ = "webhook_attempts"

    pk: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(40), unique=True)
    delivery_pk: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("webhook_deliveries.pk", ondelete="CASCADE")
    )
    endpoint_id: Mapped[str] = mapped_column(String(40))
    event_id: Mapped[str] = mapped_column(String(40))
    attempt: Mapped[int] = mapped_column(Integer)
    succeeded: Mapped[bool] = mapped_column(Boolean)
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    latency_ms: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    response_body: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_webhook_attempts_endpoint_pk", "endpoint_id", "pk"),)
