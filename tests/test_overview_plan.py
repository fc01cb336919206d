"""The overview's one read of sessions ("abandoned now": open sessions past expiry)
walks the (tenant, status, expires_at) index, not every session of the period: on
SQLite the tenant's created_at index was chosen and 1 M sessions cost 758 ms."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

from sqlalchemy.dialects import sqlite

from opencheckout.store.overview import expired_open_count
from opencheckout.store.tenant import Tenant
from tests.conftest import fresh_database


def test_expired_open_sessions_are_counted_off_the_status_expiry_index(tmp_path):
    now = datetime(2026, 12, 3, tzinfo=UTC)
    statement = expired_open_count(Tenant("acct_plan", False), now - timedelta(days=30), now, now)
    sql = str(statement.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))
    with fresh_database("sqlite", tmp_path) as url:
        connection = sqlite3.connect(url.removeprefix("sqlite+aiosqlite:///"))
        try:
            plan = " ".join(row[-1] for row in connection.execute(f"EXPLAIN QUERY PLAN {sql}"))
        finally:
            connection.close()
    assert "ix_checkouts_tenant_status_expires" in plan, plan
    assert "ix_checkouts_tenant_created" not in plan, plan
