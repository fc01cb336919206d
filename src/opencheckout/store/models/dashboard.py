"""Dashboard users, their browser sessions and the sign-in attempts behind the lock-out."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from opencheckout.store.models.base import Base
from opencheckout.store.types import BigIntPK, UTCDateTime


class DashboardUser(Base):
    """A person who signs in to ``/dashboard``; belongs to one account.

    ``email`` is stored lowercased and is unique across accounts (it is the sign-in
    name); ``password_hash`` is an Argon2id PHC string, never the password.
    """

    __tablename__ = "dashboard_users"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class DashboardSession(Base):
    """A signed-in browser. Only the SHA-256 digest of the cookie's token is kept."""

    __tablename__ = "dashboard_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(
        ForeignKey("dashboard_users.id", ondelete="CASCADE"), index=True
    )
    #: The test/live switch: which mode's data every view shows.
    livemode: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LoginAttempt(Base):
    """One sign-in try by email (known or not): failures in a window lock the email out."""

    __tablename__ = "dashboard_login_attempts"

    pk: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(320))
    succeeded: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_dashboard_login_attempts_email", "email", "created_at"),)
