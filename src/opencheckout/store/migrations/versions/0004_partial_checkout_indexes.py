"""partial indexes for the optional checkout filters

Sessions without an email, customer, client reference or processor id no longer
add an entry to those indexes (most new sessions have no processor id or client
reference yet), which makes every create cheaper. The processor id index drops
its tenant prefix: the Stripe webhook looks a session up by processor id alone.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

#: (old name, new name, columns, the column that must be set)
_INDEXES = [
    (
        "ix_checkouts_tenant_email",
        "ix_checkouts_tenant_email",
        ["account_id", "livemode", "email"],
        "email",
    ),
    (
        "ix_checkouts_tenant_customer",
        "ix_checkouts_tenant_customer",
        ["account_id", "livemode", "customer_ref"],
        "customer_ref",
    ),
    (
        "ix_checkouts_tenant_client_ref",
        "ix_checkouts_tenant_client_ref",
        ["account_id", "livemode", "client_reference_id"],
        "client_reference_id",
    ),
    (
        "ix_checkouts_tenant_processor_id",
        "ix_checkouts_processor_id",
        ["processor_id"],
        "processor_id",
    ),
]


def upgrade() -> None:
    for old, new, columns, required in _INDEXES:
        op.drop_index(old, table_name="checkouts")
        where = sa.text(f"{required} IS NOT NULL")
        op.create_index(new, "checkouts", columns, postgresql_where=where, sqlite_where=where)


def downgrade() -> None:
    for old, new, _columns, required in _INDEXES:
        op.drop_index(new, table_name="checkouts")
        columns = ["account_id", "livemode", required]
        op.create_index(old, "checkouts", columns)
