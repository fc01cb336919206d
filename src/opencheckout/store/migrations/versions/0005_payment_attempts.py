"""payment attempts and the test processor's ledger

Every processor call is recorded (processor, idempotency key) in the
transaction that claims the session, so a crash between the claim and the
processor's answer can be reconciled by asking the processor about the key.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from opencheckout.store.types import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "payment_attempts",
        sa.Column(
            "pk",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("checkout_pk", sa.BigInteger(), nullable=False),
        sa.Column("checkout_id", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("processor", sa.String(length=32), nullable=False),
        sa.Column("idempotency_key", sa.String(length=80), nullable=False),
        sa.Column("processor_id", sa.String(length=200), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("checks", sa.Integer(), nullable=False),
        sa.Column("next_check_at", UTCDateTime(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["checkout_pk"],
            ["checkouts.pk"],
            name=op.f("fk_payment_attempts_checkout_pk_checkouts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_payment_attempts")),
        sa.UniqueConstraint("id", name=op.f("uq_payment_attempts_id")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_payment_attempts_idempotency_key")),
    )
    op.create_index(
        "ix_payment_attempts_status_next_check",
        "payment_attempts",
        ["status", "next_check_at"],
        unique=False,
    )
    op.create_index(
        "ix_payment_attempts_checkout", "payment_attempts", ["checkout_pk"], unique=False
    )
    op.create_table(
        "test_processor_ledger",
        sa.Column("idempotency_key", sa.String(length=80), nullable=False),
        sa.Column("processor_id", sa.String(length=200), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("decline_code", sa.String(length=64), nullable=True),
        sa.Column("message", sa.String(length=500), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("idempotency_key", name=op.f("pk_test_processor_ledger")),
    )


def downgrade() -> None:
    op.drop_table("test_processor_ledger")
    op.drop_index("ix_payment_attempts_checkout", table_name="payment_attempts")
    op.drop_index("ix_payment_attempts_status_next_check", table_name="payment_attempts")
    op.drop_table("payment_attempts")
