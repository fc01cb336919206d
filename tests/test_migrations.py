"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from opencheckout.store.models import Base


def test_migrated_schema_matches_models(server):
    async def diff() -> list[object]:
        engine = create_async_engine(server.database_url)
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(
                    lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
                )
        finally:
            await engine.dispose()

    assert asyncio.run(diff()) == []


def test_optional_checkout_filters_index_only_the_rows_that_have_them(server):
    """Creates skip the index entries of unset fields; lookups still use the index."""
    names = {
        "ix_checkouts_tenant_email",
        "ix_checkouts_tenant_customer",
        "ix_checkouts_tenant_client_ref",
        "ix_checkouts_processor_id",
    }

    async def definitions() -> dict[str, str]:
        engine = create_async_engine(server.database_url)
        try:
            async with engine.connect() as connection:
                if server.engine == "sqlite":
                    query = "SELECT name, sql FROM sqlite_master WHERE type = 'index'"
                else:
                    query = (
                        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'checkouts'"
                    )
                rows = (await connection.exec_driver_sql(query)).all()
                return {str(name): str(sql) for name, sql in rows if name in names}
        finally:
            await engine.dispose()

    found = asyncio.run(definitions())
    assert set(found) == names
    for name, sql in found.items():
        assert "IS NOT NULL" in sql, (name, sql)
