"""dashboard users, sessions and sign-in attempts; events by object; overview indexes

``events.object_id`` (the id of the event's object, set from now on) lets the dashboard
show one checkout's timeline from an index instead of scanning the tenant's events.
The overview's aggregates read completed sessions by ``completed_at`` and refunds by
``created_at``, per tenant.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from opencheckout.store.types import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_COMPLETED = sa.text("completed_at IS NOT NULL")
_OBJECT = sa.text("object_id IS NOT NULL")


def upgrade() -> None:
    op.create_table(
        "dashboard_users",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("disabled_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_dashboard_users_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboard_users")),
        sa.UniqueConstraint("email", name=op.f("uq_dashboard_users_email")),
    )
    op.create_index("ix_dashboard_users_account_id", "dashboard_users", ["account_id"])
    op.create_table(
        "dashboard_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["dashboard_users.id"],
            name=op.f("fk_dashboard_sessions_user_id_dashboard_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_dashboard_sessions")),
    )
    op.create_index("ix_dashboard_sessions_user_id", "dashboard_sessions", ["user_id"])
    op.create_table(
        "dashboard_login_attempts",
        sa.Column(
            "pk",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_dashboard_login_attempts")),
    )
    op.create_index(
        "ix_dashboard_login_attempts_email", "dashboard_login_attempts", ["email", "created_at"]
    )
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("object_id", sa.String(length=40), nullable=True))
    op.create_index(
        "ix_events_tenant_object_pk",
        "events",
        ["account_id", "livemode", "object_id", "pk"],
        postgresql_where=_OBJECT,
        sqlite_where=_OBJECT,
    )
    op.create_index(
        "ix_checkouts_tenant_completed",
        "checkouts",
        ["account_id", "livemode", "completed_at"],
        postgresql_where=_COMPLETED,
        sqlite_where=_COMPLETED,
    )
    op.create_index(
        "ix_refunds_tenant_created", "refunds", ["account_id", "livemode", "created_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_refunds_tenant_created", table_name="refunds")
    op.drop_index("ix_checkouts_tenant_completed", table_name="checkouts")
    op.drop_index("ix_events_tenant_object_pk", table_name="events")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("object_id")
    op.drop_index("ix_dashboard_login_attempts_email", table_name="dashboard_login_attempts")
    op.drop_table("dashboard_login_attempts")
    op.drop_index("ix_dashboard_sessions_user_id", table_name="dashboard_sessions")
    op.drop_table("dashboard_sessions")
    op.drop_index("ix_dashboard_users_account_id", table_name="dashboard_users")
    op.drop_table("dashboard_users")
