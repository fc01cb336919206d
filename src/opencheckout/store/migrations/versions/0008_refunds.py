"""refunds, and payment statuses longer than 16 characters

``payment_status`` gains ``no_payment_required`` and ``partially_refunded``
(19 and 18 characters), so the column widens to 32.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from opencheckout.store.types import JSONDocument, UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("checkouts") as batch:
        batch.alter_column(
            "payment_status",
            existing_type=sa.String(length=16),
            type_=sa.String(length=32),
            existing_nullable=False,
        )
    op.create_table(
        "refunds",
        sa.Column(
            "pk",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("checkout_pk", sa.BigInteger(), nullable=False),
        sa.Column("checkout_id", sa.String(length=40), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("metadata", JSONDocument, nullable=False),
        sa.Column("processor", sa.String(length=32), nullable=True),
        sa.Column("processor_refund_id", sa.String(length=200), nullable=True),
        sa.Column("failure_message", sa.String(length=500), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_refunds_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["checkout_pk"], ["checkouts.pk"], name=op.f("fk_refunds_checkout_pk_checkouts")
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_refunds")),
        sa.UniqueConstraint("id", name=op.f("uq_refunds_id")),
    )
    op.create_index("ix_refunds_tenant_pk", "refunds", ["account_id", "livemode", "pk"])
    op.create_index(
        "ix_refunds_tenant_checkout_pk", "refunds", ["account_id", "livemode", "checkout_id", "pk"]
    )
    op.create_index(
        "ix_refunds_tenant_status_pk", "refunds", ["account_id", "livemode", "status", "pk"]
    )


def downgrade() -> None:
    op.drop_index("ix_refunds_tenant_status_pk", table_name="refunds")
    op.drop_index("ix_refunds_tenant_checkout_pk", table_name="refunds")
    op.drop_index("ix_refunds_tenant_pk", table_name="refunds")
    op.drop_table("refunds")
    with op.batch_alter_table("checkouts") as batch:
        batch.alter_column(
            "payment_status",
            existing_type=sa.String(length=32),
            type_=sa.String(length=16),
            existing_nullable=False,
        )
