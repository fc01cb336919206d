"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from opencheckout.store.types import JSONDocument, UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("name", name=op.f("uq_accounts_name")),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response_body", sa.LargeBinary(), nullable=True),
        sa.Column("response_headers", JSONDocument, nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("locked_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "key", name=op.f("pk_idempotency_keys")),
    )
    op.create_index(
        op.f("ix_idempotency_keys_created_at"), "idempotency_keys", ["created_at"], unique=False
    )

    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("prefix", sa.String(length=32), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_api_keys_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("prefix", name=op.f("uq_api_keys_prefix")),
    )
    op.create_index(op.f("ix_api_keys_account_id"), "api_keys", ["account_id"], unique=False)

    op.create_table(
        "checkouts",
        sa.Column(
            "pk",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("payment_status", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("customer_ref", sa.String(length=200), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("client_reference_id", sa.String(length=200), nullable=True),
        sa.Column("processor", sa.String(length=32), nullable=True),
        sa.Column("processor_id", sa.String(length=200), nullable=True),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("amount_subtotal", sa.BigInteger(), nullable=False),
        sa.Column("amount_discount", sa.BigInteger(), nullable=False),
        sa.Column("amount_tax", sa.BigInteger(), nullable=False),
        sa.Column("amount_shipping", sa.BigInteger(), nullable=False),
        sa.Column("amount_total", sa.BigInteger(), nullable=False),
        sa.Column("abandon_after_seconds", sa.Integer(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("completed_at", UTCDateTime(), nullable=True),
        sa.Column("recovered_from", sa.String(length=40), nullable=True),
        sa.Column("data", JSONDocument, nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_checkouts_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_checkouts")),
        sa.UniqueConstraint("id", name=op.f("uq_checkouts_id")),
        sa.UniqueConstraint("token", name=op.f("uq_checkouts_token")),
    )
    op.create_index(
        "ix_checkouts_status_expires", "checkouts", ["status", "expires_at"], unique=False
    )
    op.create_index(
        "ix_checkouts_tenant_client_ref",
        "checkouts",
        ["account_id", "livemode", "client_reference_id"],
        unique=False,
    )
    op.create_index(
        "ix_checkouts_tenant_created",
        "checkouts",
        ["account_id", "livemode", "created_at"],
        unique=False,
    )
    op.create_index(
        "ix_checkouts_tenant_customer",
        "checkouts",
        ["account_id", "livemode", "customer_ref"],
        unique=False,
    )
    op.create_index(
        "ix_checkouts_tenant_email", "checkouts", ["account_id", "livemode", "email"], unique=False
    )
    op.create_index(
        "ix_checkouts_tenant_pk", "checkouts", ["account_id", "livemode", "pk"], unique=False
    )
    op.create_index(
        "ix_checkouts_tenant_processor_id",
        "checkouts",
        ["account_id", "livemode", "processor_id"],
        unique=False,
    )
    op.create_index(
        "ix_checkouts_tenant_status_pk",
        "checkouts",
        ["account_id", "livemode", "status", "pk"],
        unique=False,
    )

    op.create_table(
        "checkout_products",
        sa.Column("checkout_pk", sa.BigInteger(), nullable=False),
        sa.Column("product", sa.String(length=200), nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["checkout_pk"],
            ["checkouts.pk"],
            name=op.f("fk_checkout_products_checkout_pk_checkouts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("checkout_pk", "product", name=op.f("pk_checkout_products")),
    )
    op.create_index(
        "ix_checkout_products_tenant_product",
        "checkout_products",
        ["account_id", "livemode", "product"],
        unique=False,
    )


def downgrade() -> None:
    # Dropping a table drops its indexes.
    for table in ("checkout_products", "checkouts", "api_keys", "idempotency_keys", "accounts"):
        op.drop_table(table)
