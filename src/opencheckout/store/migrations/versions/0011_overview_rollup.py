"""the dashboard overview's rollup per tenant, UTC day and currency; open sessions by expiry

The overview read every session of its period; it now reads ``overview_days``
and ``overview_products`` (filled here from the existing rows, then kept in step
by the writes), plus the few open sessions already past ``expires_at`` through
``ix_checkouts_tenant_status_expires``.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from opencheckout.store.rollup import rebuild_sql

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_FIGURES = ("created", "completed", "revenue", "recovered", "abandoned", "refunds", "refunded")


def upgrade() -> None:
    op.create_table(
        "overview_days",
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        *(sa.Column(name, sa.BigInteger(), nullable=False) for name in _FIGURES),
        sa.PrimaryKeyConstraint(
            "account_id", "livemode", "day", "currency", name=op.f("pk_overview_days")
        ),
    )
    op.create_table(
        "overview_products",
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("product", sa.String(length=200), nullable=False),
        sa.Column("completed", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "account_id", "livemode", "day", "product", name=op.f("pk_overview_products")
        ),
    )
    op.create_index(
        "ix_checkouts_tenant_status_expires",
        "checkouts",
        ["account_id", "livemode", "status", "expires_at"],
    )
    for statement in rebuild_sql(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    op.drop_index("ix_checkouts_tenant_status_expires", table_name="checkouts")
    op.drop_table("overview_products")
    op.drop_table("overview_days")
