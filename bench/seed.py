"""Fast seeding: many sessions cloned in the database from one real session.

A session is created through the API (so it is valid, priced and payable);
then one ``INSERT ... SELECT`` clones it N times with fresh ids and tokens,
from ``generate_series`` on PostgreSQL and a recursive CTE on SQLite. A
million rows take seconds instead of the hours a million API calls would.
Clones have no events or SKU rows: they are for reading, listing, paying and
sweeping, which do not need them.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

import asyncpg

from opencheckout.store.rollup import rebuild_sql

#: Status of clone ``n``: 1 in 10 pending (open, not expired), 3 abandoned, 6 completed.
STATUS_CASE = (
    "CASE WHEN {n} % 10 = 0 THEN 'pending' WHEN {n} % 10 < 4 THEN 'abandoned' ELSE 'completed' END"
)
PAYMENT_CASE = "CASE WHEN {n} % 10 >= 4 THEN 'paid' ELSE 'unpaid' END"
FAR_FUTURE = "2099-01-01 00:00:00"
LONG_AGO = "2000-01-01 00:00:00"


@dataclass(frozen=True, slots=True)
class Clones:
    """Ids of clones ``start..end`` (inclusive) made with ``tag``: ``cs_<tag><n:09d>``."""

    tag: str
    start: int
    end: int

    def id(self, n: int) -> str:
        return f"cs_{self.tag}{n:09d}"


def sqlite_path(url: str) -> str:
    return url.split("///", 1)[1]


def pg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def _expressions(
    dialect: str, account_id: str, clones: Clones, *, mixed: bool, expired: bool
) -> dict[str, str]:
    n = "g.n"
    if dialect == "postgresql":
        pad = f"lpad({n}::text, 9, '0')"
        expires = f"'{LONG_AGO if expired else FAR_FUTURE}+00'::timestamptz"
        token = f"md5(random()::text || {n}::text) || {n}::text"
    else:
        pad = f"substr('000000000' || {n}, -9, 9)"
        expires = f"'{LONG_AGO if expired else FAR_FUTURE}.000000'"
        token = f"lower(hex(randomblob(16))) || {n}"
    values = {
        "id": f"'cs_{clones.tag}' || {pad}",
        "token": token,
        "account_id": f"'{account_id}'",
        "livemode": "t.livemode",
        "expires_at": expires,
        "status": "'pending'",
        "payment_status": "'unpaid'",
    }
    if mixed:
        values["status"] = STATUS_CASE.format(n=n)
        values["payment_status"] = PAYMENT_CASE.format(n=n)
        # Completed when created, as the service would have written it.
        values["completed_at"] = f"CASE WHEN {n} % 10 >= 4 THEN t.created_at ELSE NULL END"
    return values


def _rollup_sql(dialect: str, table: str, clones: Clones) -> list[str]:
    """The overview rollup's share of the clones, added as the service's writes would."""
    if table != "checkouts":
        return []
    ids = f"id BETWEEN '{clones.id(clones.start)}' AND '{clones.id(clones.end)}'"
    return rebuild_sql(dialect, checkouts=ids, refunds="1 = 0")


def _insert_sql(
    dialect: str,
    columns: list[str],
    table: str,
    template_id: str,
    account_id: str,
    clones: Clones,
    *,
    mixed: bool,
    expired: bool,
) -> str:
    overrides = _expressions(dialect, account_id, clones, mixed=mixed, expired=expired)
    names = [c for c in columns if c != "pk"]
    select = ", ".join(overrides.get(c, f"t.{c}") for c in names)
    if dialect == "postgresql":
        source = f"generate_series({clones.start}, {clones.end}) AS g(n)"
        return (
            f"INSERT INTO {table} ({', '.join(names)}) SELECT {select} "
            f"FROM {table} t, {source} WHERE t.id = '{template_id}' ORDER BY g.n"
        )
    return (
        f"WITH RECURSIVE g(n) AS (SELECT {clones.start} UNION ALL SELECT n + 1 FROM g "
        f"WHERE n < {clones.end}) INSERT INTO {table} ({', '.join(names)}) SELECT {select} "
        f"FROM {table} t, g WHERE t.id = '{template_id}' ORDER BY g.n"
    )


def _sqlite_indexes(conn: sqlite3.Connection, table: str) -> list[tuple[str, str]]:
    """(name, CREATE INDEX ...) of the table's explicit indexes (not its constraints')."""
    return [
        (name, sql)
        for name, sql in conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
            "AND sql IS NOT NULL",
            (table,),
        )
    ]


async def clone(
    url: str,
    template_id: str,
    account_id: str,
    clones: Clones,
    *,
    table: str = "checkouts",
    mixed: bool = False,
    expired: bool = False,
    bulk: bool = False,
) -> None:
    """Insert clones ``clones.start..clones.end`` of ``template_id`` into ``account_id``.

    ``mixed`` gives the status mix of a long-lived account (mostly completed or
    abandoned); otherwise every clone is pending, with an expiry far in the
    future, or long past when ``expired``. ``bulk`` drops the table's secondary
    indexes around the insert and rebuilds them after (the migration's own
    definitions, read back from the catalog): building an index once is many
    times faster than updating ten of them a million times. The overview's
    rollup gets the clones' figures in the same transaction.
    """
    if url.startswith("sqlite"):
        conn = sqlite3.connect(sqlite_path(url), timeout=60)
        try:
            columns = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
            conn.execute("PRAGMA journal_mode=WAL")
            sql = _insert_sql(
                "sqlite",
                columns,
                table,
                template_id,
                account_id,
                clones,
                mixed=mixed,
                expired=expired,
            )
            indexes = _sqlite_indexes(conn, table) if bulk else []
            with conn:
                for name, _ in indexes:
                    conn.execute(f'DROP INDEX "{name}"')
                conn.execute(sql)
                for _, create in indexes:
                    conn.execute(create)
                for statement in _rollup_sql("sqlite", table, clones):
                    conn.execute(statement)
        finally:
            conn.close()
        return
    pg = await asyncpg.connect(pg_dsn(url))
    try:
        rows = await pg.fetch(
            "SELECT column_name FROM information_schema.columns WHERE table_name = $1 "
            "ORDER BY ordinal_position",
            table,
        )
        columns = [r["column_name"] for r in rows]
        sql = _insert_sql(
            "postgresql",
            columns,
            table,
            template_id,
            account_id,
            clones,
            mixed=mixed,
            expired=expired,
        )
        indexes = []
        if bulk:
            indexes = await pg.fetch(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = $1 "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
                table,
            )
        async with pg.transaction():
            await pg.execute("SET LOCAL maintenance_work_mem = '256MB'")
            for index in indexes:
                await pg.execute(f'DROP INDEX "{index["indexname"]}"')
            await pg.execute(sql)
            for index in indexes:
                await pg.execute(index["indexdef"])
            for statement in _rollup_sql("postgresql", table, clones):
                await pg.execute(statement)
        await pg.execute(f"ANALYZE {table}")
    finally:
        await pg.close()


async def fetch_ids(url: str, sql: str, *params: Any) -> list[str]:
    """Run a one-column query with the raw driver (``?`` or ``$n`` placeholders)."""
    if url.startswith("sqlite"):
        conn = sqlite3.connect(sqlite_path(url), timeout=60)
        try:
            return [
                row[0] for row in conn.execute(sql.replace("$1", "?").replace("$2", "?"), params)
            ]
        finally:
            conn.close()
    pg = await asyncpg.connect(pg_dsn(url))
    try:
        return [r[0] for r in await pg.fetch(sql, *params)]
    finally:
        await pg.close()


async def fetch_rows(url: str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """Run a query with the raw driver (``?`` or ``$n`` placeholders); rows as tuples."""
    if url.startswith("sqlite"):
        conn = sqlite3.connect(sqlite_path(url), timeout=60)
        try:
            for n in range(len(params), 0, -1):
                sql = sql.replace(f"${n}", "?")
            return [tuple(row) for row in conn.execute(sql, params)]
        finally:
            conn.close()
    pg = await asyncpg.connect(pg_dsn(url))
    try:
        return [tuple(r) for r in await pg.fetch(sql, *params)]
    finally:
        await pg.close()
