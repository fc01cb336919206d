"""idempotency keys belong to the API key that sent them

A stored response was found by (account, Idempotency-Key), so another key of
the account, a read-only one included, could be handed it (a one-time webhook
secret, say). The key space is now (account, API key, Idempotency-Key).

Stored responses cannot be attributed to a key after the fact, so they are
dropped: they are a 24-hour replay cache, and a client retrying across the
upgrade simply has its request run as new.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DELETE FROM idempotency_keys")
    with op.batch_alter_table("idempotency_keys", recreate="auto") as batch:
        batch.add_column(sa.Column("api_key_id", sa.String(length=40), nullable=False))
        batch.drop_constraint("pk_idempotency_keys", type_="primary")
        batch.create_primary_key("pk_idempotency_keys", ["account_id", "api_key_id", "key"])


def downgrade() -> None:
    op.execute("DELETE FROM idempotency_keys")
    with op.batch_alter_table("idempotency_keys", recreate="auto") as batch:
        batch.drop_constraint("pk_idempotency_keys", type_="primary")
        batch.drop_column("api_key_id")
        batch.create_primary_key("pk_idempotency_keys", ["account_id", "key"])
