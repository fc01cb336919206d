"""store resources: customers and addresses, orders, stock, shipping rates and
promotions, session group keys

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.schema import SchemaItem

from opencheckout.store.types import JSONDocument, UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _pk() -> sa.Column[int]:
    return sa.Column(
        "pk",
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        autoincrement=True,
        nullable=False,
    )


def _tenant(table: str, *, foreign_key: bool = True) -> list[SchemaItem]:
    items: list[SchemaItem] = [
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
    ]
    if foreign_key:
        items.append(
            sa.ForeignKeyConstraint(
                ["account_id"], ["accounts.id"], name=op.f(f"fk_{table}_account_id_accounts")
            )
        )
    return items


def _stamps(*, updated: bool = True) -> list[SchemaItem]:
    items: list[SchemaItem] = [sa.Column("created_at", UTCDateTime(), nullable=False)]
    if updated:
        items.append(sa.Column("updated_at", UTCDateTime(), nullable=False))
    return items


def _customers() -> None:
    op.create_table(
        "customers",
        _pk(),
        sa.Column("id", sa.String(length=40), nullable=False),
        *_tenant("customers"),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("email_lower", sa.String(length=320), nullable=True),
        sa.Column("name", sa.String(length=250), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("metadata", JSONDocument, nullable=False),
        *_stamps(),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_customers")),
        sa.UniqueConstraint("id", name=op.f("uq_customers_id")),
    )
    op.create_index("ix_customers_tenant_pk", "customers", ["account_id", "livemode", "pk"])
    op.create_index(
        "uq_customers_tenant_email",
        "customers",
        ["account_id", "livemode", "email_lower"],
        unique=True,
    )
    op.create_table(
        "customer_addresses",
        _pk(),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("customer_pk", sa.BigInteger(), nullable=False),
        *_tenant("customer_addresses", foreign_key=False),
        sa.Column("name", sa.String(length=250), nullable=True),
        sa.Column("line1", sa.String(length=500), nullable=True),
        sa.Column("line2", sa.String(length=500), nullable=True),
        sa.Column("city", sa.String(length=500), nullable=True),
        sa.Column("state", sa.String(length=500), nullable=True),
        sa.Column("postal_code", sa.String(length=32), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        *_stamps(updated=False),
        sa.ForeignKeyConstraint(
            ["customer_pk"],
            ["customers.pk"],
            name=op.f("fk_customer_addresses_customer_pk_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_customer_addresses")),
        sa.UniqueConstraint("id", name=op.f("uq_customer_addresses_id")),
    )
    op.create_index(
        "uq_customer_addresses_customer_fingerprint",
        "customer_addresses",
        ["customer_pk", "fingerprint"],
        unique=True,
    )


def _orders() -> None:
    op.create_table(
        "orders",
        _pk(),
        sa.Column("id", sa.String(length=40), nullable=False),
        *_tenant("orders"),
        sa.Column("checkout_id", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_total", sa.BigInteger(), nullable=False),
        *_stamps(),
        sa.Column("data", JSONDocument, nullable=False),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_orders")),
        sa.UniqueConstraint("id", name=op.f("uq_orders_id")),
        sa.UniqueConstraint("checkout_id", name=op.f("uq_orders_checkout_id")),
    )
    op.create_index("ix_orders_tenant_pk", "orders", ["account_id", "livemode", "pk"])
    op.create_index(
        "ix_orders_tenant_customer", "orders", ["account_id", "livemode", "customer_id"]
    )
    op.create_index(
        "ix_orders_tenant_status_pk", "orders", ["account_id", "livemode", "status", "pk"]
    )


def _shipping() -> None:
    op.create_table(
        "shipping_rates",
        _pk(),
        sa.Column("id", sa.String(length=40), nullable=False),
        *_tenant("shipping_rates"),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("countries", JSONDocument, nullable=False),
        sa.Column("service_level", sa.String(length=50), nullable=False),
        sa.Column("delivery_estimate", JSONDocument, nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("metadata", JSONDocument, nullable=False),
        *_stamps(),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_shipping_rates")),
        sa.UniqueConstraint("id", name=op.f("uq_shipping_rates_id")),
    )
    op.create_index(
        "ix_shipping_rates_tenant_pk", "shipping_rates", ["account_id", "livemode", "pk"]
    )
    op.create_table(
        "shipping_promotions",
        _pk(),
        sa.Column("id", sa.String(length=40), nullable=False),
        *_tenant("shipping_promotions"),
        sa.Column("display_name", sa.String(length=250), nullable=True),
        sa.Column("service_levels", JSONDocument, nullable=False),
        sa.Column("min_subtotal", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("products", JSONDocument, nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("metadata", JSONDocument, nullable=False),
        *_stamps(),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_shipping_promotions")),
        sa.UniqueConstraint("id", name=op.f("uq_shipping_promotions_id")),
    )
    op.create_index(
        "ix_shipping_promotions_tenant_pk",
        "shipping_promotions",
        ["account_id", "livemode", "pk"],
    )


def upgrade() -> None:
    _customers()
    _orders()
    _shipping()
    op.add_column("products", sa.Column("stock", sa.Integer(), nullable=True))
    op.add_column("checkouts", sa.Column("group_key", sa.String(length=200), nullable=True))
    where = sa.text("group_key IS NOT NULL")
    op.create_index(
        "ix_checkouts_tenant_group_key",
        "checkouts",
        ["account_id", "livemode", "group_key"],
        postgresql_where=where,
        sqlite_where=where,
    )


def downgrade() -> None:
    op.drop_index("ix_checkouts_tenant_group_key", table_name="checkouts")
    with op.batch_alter_table("checkouts") as batch:
        batch.drop_column("group_key")
    with op.batch_alter_table("products") as batch:
        batch.drop_column("stock")
    for table in ("shipping_promotions", "shipping_rates", "orders", "customer_addresses"):
        op.drop_table(table)
    op.drop_table("customers")
