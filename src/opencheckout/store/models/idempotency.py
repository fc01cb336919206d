"""Stored responses for idempotent requests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from opencheckout.store.models.base import Base
from opencheckout.store.types import JSONDocument, UTCDateTime


class IdempotencyKey(Base):
    """The first response to a POST, replayed for later requests with the same key.

    ``status_code`` is NULL while the first request is still in flight. A key
    belongs to the API key that sent it (``api_key_id``): no other key, even of
    the same account, is ever given its response.
    """

    __tablename__ = "idempotency_keys"

    account_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    api_key_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    response_headers: Mapped[dict[str, str] | None] = mapped_column(JSONDocument, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    locked_at: Mapped[datetime] = mapped_column(UTCDateTime())
