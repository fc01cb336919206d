"""pricing: products, coupons, tax rates

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from opencheckout.store.types import JSONDocument, UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "products",
        sa.Column(
            "pk",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("sku", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=250), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=True),
        sa.Column("unit_amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("tax_rates", JSONDocument, nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("metadata", JSONDocument, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_products_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_products")),
    )
    op.create_index(
        "uq_products_tenant_sku", "products", ["account_id", "livemode", "sku"], unique=True
    )
    op.create_index(
        "ix_products_tenant_pk", "products", ["account_id", "livemode", "pk"], unique=False
    )

    op.create_table(
        "coupons",
        sa.Column(
            "pk",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("name", sa.String(length=250), nullable=True),
        sa.Column("percent_off_bps", sa.Integer(), nullable=True),
        sa.Column("amount_off", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("code", sa.String(length=50), nullable=True),
        sa.Column("code_lower", sa.String(length=50), nullable=True),
        sa.Column("max_redemptions", sa.Integer(), nullable=True),
        sa.Column("redeem_by", UTCDateTime(), nullable=True),
        sa.Column("applies_to_products", JSONDocument, nullable=True),
        sa.Column("times_redeemed", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("metadata", JSONDocument, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_coupons_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_coupons")),
        sa.UniqueConstraint("id", name=op.f("uq_coupons_id")),
    )
    op.create_index(
        "uq_coupons_tenant_code", "coupons", ["account_id", "livemode", "code_lower"], unique=True
    )
    op.create_index(
        "ix_coupons_tenant_pk", "coupons", ["account_id", "livemode", "pk"], unique=False
    )

    op.create_table(
        "tax_rates",
        sa.Column(
            "pk",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("percentage_ppm", sa.Integer(), nullable=False),
        sa.Column("inclusive", sa.Boolean(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("state", sa.String(length=100), nullable=True),
        sa.Column("jurisdiction", sa.String(length=200), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("metadata", JSONDocument, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_tax_rates_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_tax_rates")),
        sa.UniqueConstraint("id", name=op.f("uq_tax_rates_id")),
    )
    op.create_index(
        "ix_tax_rates_tenant_pk", "tax_rates", ["account_id", "livemode", "pk"], unique=False
    )


def downgrade() -> None:
    # Dropping a table drops its indexes.
    for table in ("tax_rates", "coupons", "products"):
        op.drop_table(table)
