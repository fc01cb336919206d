"""checkout links; sessions remember the link that made them

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from opencheckout.store.types import JSONDocument, UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_LINK = sa.text("checkout_link IS NOT NULL")


def upgrade() -> None:
    op.create_table(
        "checkout_links",
        sa.Column(
            "pk",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("slug", sa.String(length=40), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("line_items", JSONDocument, nullable=False),
        sa.Column("settings", JSONDocument, nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.Column("max_completions", sa.Integer(), nullable=True),
        sa.Column("claimed_count", sa.Integer(), nullable=False),
        sa.Column("completed_count", sa.Integer(), nullable=False),
        sa.Column("amount_completed", sa.BigInteger(), nullable=False),
        sa.Column("metadata", JSONDocument, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_checkout_links_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_checkout_links")),
        sa.UniqueConstraint("id", name=op.f("uq_checkout_links_id")),
        sa.UniqueConstraint("slug", name=op.f("uq_checkout_links_slug")),
    )
    op.create_index(
        "ix_checkout_links_tenant_pk", "checkout_links", ["account_id", "livemode", "pk"]
    )
    with op.batch_alter_table("checkouts") as batch:
        batch.add_column(sa.Column("checkout_link", sa.String(length=40), nullable=True))
    op.create_index(
        "ix_checkouts_tenant_checkout_link",
        "checkouts",
        ["account_id", "livemode", "checkout_link"],
        postgresql_where=_LINK,
        sqlite_where=_LINK,
    )


def downgrade() -> None:
    op.drop_index("ix_checkouts_tenant_checkout_link", table_name="checkouts")
    with op.batch_alter_table("checkouts") as batch:
        batch.drop_column("checkout_link")
    op.drop_index("ix_checkout_links_tenant_pk", table_name="checkout_links")
    op.drop_table("checkout_links")
