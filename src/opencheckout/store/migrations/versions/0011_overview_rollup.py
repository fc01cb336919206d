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

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

#: The backfill: every existing session and refund added to the rollup, per engine (frozen
#: here: the migration must keep meaning what it meant when written).
_BACKFILL: dict[str, tuple[str, ...]] = {
    "sqlite": (
        (
            "INSERT INTO overview_days (account_id, livemode, day, currency, created, "
            "completed, revenue, recovered, abandoned, refunds, refunded) SELECT account_id, "
            "livemode, day, currency, sum(created), sum(completed), sum(revenue), "
            "sum(recovered), sum(abandoned), sum(refunds), sum(refunded) FROM (SELECT "
            "account_id, livemode, substr(created_at, 1, 10) AS day, currency, 1 AS created, "
            "0 AS completed, 0 AS revenue, 0 AS recovered, CASE WHEN status = 'abandoned' "
            "THEN 1 ELSE 0 END AS abandoned, 0 AS refunds, 0 AS refunded FROM checkouts WHERE"
            " 1 UNION ALL SELECT account_id, livemode, substr(completed_at, 1, 10), currency,"
            " 0, 1, amount_total, CASE WHEN recovered_from IS NOT NULL THEN amount_total ELSE"
            " 0 END, 0, 0, 0 FROM checkouts WHERE completed_at IS NOT NULL AND 1 UNION ALL "
            "SELECT account_id, livemode, substr(created_at, 1, 10), currency, 0, 0, 0, 0, 0,"
            " 1, amount FROM refunds WHERE status != 'failed' AND 1) AS f GROUP BY "
            "account_id, livemode, day, currency ON CONFLICT (account_id, livemode, day, "
            "currency) DO UPDATE SET created = overview_days.created + excluded.created, "
            "completed = overview_days.completed + excluded.completed, revenue = "
            "overview_days.revenue + excluded.revenue, recovered = overview_days.recovered + "
            "excluded.recovered, abandoned = overview_days.abandoned + excluded.abandoned, "
            "refunds = overview_days.refunds + excluded.refunds, refunded = "
            "overview_days.refunded + excluded.refunded"
        ),
        (
            "INSERT INTO overview_products (account_id, livemode, day, product, completed) "
            "SELECT c.account_id, c.livemode, substr(c.completed_at, 1, 10), p.product, "
            "count(*) FROM checkouts c JOIN checkout_products p ON p.checkout_pk = c.pk WHERE"
            " c.completed_at IS NOT NULL AND 1 GROUP BY c.account_id, c.livemode, "
            "substr(c.completed_at, 1, 10), p.product ON CONFLICT (account_id, livemode, day,"
            " product) DO UPDATE SET completed = overview_products.completed + "
            "excluded.completed"
        ),
    ),
    "postgresql": (
        (
            "INSERT INTO overview_days (account_id, livemode, day, currency, created, "
            "completed, revenue, recovered, abandoned, refunds, refunded) SELECT account_id, "
            "livemode, day, currency, sum(created), sum(completed), sum(revenue), "
            "sum(recovered), sum(abandoned), sum(refunds), sum(refunded) FROM (SELECT "
            "account_id, livemode, ((created_at) AT TIME ZONE 'UTC')::date AS day, currency, "
            "1 AS created, 0 AS completed, 0 AS revenue, 0 AS recovered, CASE WHEN status = "
            "'abandoned' THEN 1 ELSE 0 END AS abandoned, 0 AS refunds, 0 AS refunded FROM "
            "checkouts WHERE TRUE UNION ALL SELECT account_id, livemode, ((completed_at) AT "
            "TIME ZONE 'UTC')::date, currency, 0, 1, amount_total, CASE WHEN recovered_from "
            "IS NOT NULL THEN amount_total ELSE 0 END, 0, 0, 0 FROM checkouts WHERE "
            "completed_at IS NOT NULL AND TRUE UNION ALL SELECT account_id, livemode, "
            "((created_at) AT TIME ZONE 'UTC')::date, currency, 0, 0, 0, 0, 0, 1, amount FROM"
            " refunds WHERE status != 'failed' AND TRUE) AS f GROUP BY account_id, livemode, "
            "day, currency ON CONFLICT (account_id, livemode, day, currency) DO UPDATE SET "
            "created = overview_days.created + excluded.created, completed = "
            "overview_days.completed + excluded.completed, revenue = overview_days.revenue + "
            "excluded.revenue, recovered = overview_days.recovered + excluded.recovered, "
            "abandoned = overview_days.abandoned + excluded.abandoned, refunds = "
            "overview_days.refunds + excluded.refunds, refunded = overview_days.refunded + "
            "excluded.refunded"
        ),
        (
            "INSERT INTO overview_products (account_id, livemode, day, product, completed) "
            "SELECT c.account_id, c.livemode, ((c.completed_at) AT TIME ZONE 'UTC')::date, "
            "p.product, count(*) FROM checkouts c JOIN checkout_products p ON p.checkout_pk ="
            " c.pk WHERE c.completed_at IS NOT NULL AND TRUE GROUP BY c.account_id, "
            "c.livemode, ((c.completed_at) AT TIME ZONE 'UTC')::date, p.product ON CONFLICT "
            "(account_id, livemode, day, product) DO UPDATE SET completed = "
            "overview_products.completed + excluded.completed"
        ),
    ),
}

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
    for statement in _BACKFILL[op.get_bind().dialect.name]:
        op.execute(statement)


def downgrade() -> None:
    op.drop_index("ix_checkouts_tenant_status_expires", table_name="checkouts")
    op.drop_table("overview_products")
    op.drop_table("overview_days")
