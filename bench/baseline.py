"""The bare-stack baseline: a minimal ASGI app, no framework, one statement per request.

Run by the same uvicorn as ``opencheckout serve`` (``uvicorn bench.baseline:app``,
same loop and HTTP parser) against the same database through the same driver
layer as opencheckout's hot statements (:mod:`opencheckout.store.driver`:
asyncpg with the same pool, or sqlite3 on the same reader and writer threads),
it answers the five benchmarked operations with the
single equivalent statement on a table shaped like ``checkouts``:

* ``POST /create``                 INSERT one session (the request body as its document)
* ``GET /retrieve/{id}``           SELECT one by id and tenant
* ``PATCH /update/{id}``           UPDATE its document, RETURNING it
* ``GET /list?status=pending``     SELECT 20 (+1) newest of a status, keyset style
* ``POST /complete/{id}``          conditional UPDATE pending -> completed, RETURNING it

No authentication, validation, pricing, events or idempotency: whatever
opencheckout spends beyond this is the price of its features. The table lives in
the benchmark's database (``BENCH_DATABASE_URL``) next to opencheckout's.

The same app is also the **same-SQL baseline**: ``/same/<operation>[/<id>]``
replays the statements opencheckout ran for that operation in the capture run
(:mod:`bench.capture`, :mod:`bench.replay`), on opencheckout's own tables, through
the same driver layer; the benchmark hands it the plans (``POST /__plans``) and
the sessions' keys (``POST /__targets``). What opencheckout spends beyond this is
its own overhead (framework, ORM, serialisation, Python work), not its SQL.
"""

from __future__ import annotations

import asyncio
import os
import pickle
import secrets
import sqlite3
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

import orjson

from bench.replay import Binder, Plan, Target, replay_postgres, replay_sqlite
from opencheckout.store.driver import PostgresDriver, SQLiteDriver

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

ACCOUNT = "acct_baseline"
COLUMNS = (
    "pk, id, account_id, livemode, status, payment_status, currency, token, "
    "amount_total, expires_at, created_at, updated_at, completed_at, data"
)

POSTGRES_DDL = [
    """CREATE TABLE IF NOT EXISTS bench_baseline (
        pk BIGSERIAL PRIMARY KEY, id VARCHAR(40) NOT NULL UNIQUE,
        account_id VARCHAR(40) NOT NULL, livemode BOOLEAN NOT NULL,
        status VARCHAR(16) NOT NULL, payment_status VARCHAR(16) NOT NULL,
        currency VARCHAR(3) NOT NULL, token VARCHAR(64) NOT NULL UNIQUE,
        amount_total BIGINT NOT NULL, expires_at TIMESTAMPTZ NOT NULL,
        created_at TIMESTAMPTZ NOT NULL, updated_at TIMESTAMPTZ NOT NULL,
        completed_at TIMESTAMPTZ, data JSONB NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS ix_bench_baseline_tenant_status_pk "
    "ON bench_baseline (account_id, livemode, status, pk)",
]
SQLITE_DDL = [
    """CREATE TABLE IF NOT EXISTS bench_baseline (
        pk INTEGER PRIMARY KEY AUTOINCREMENT, id VARCHAR(40) NOT NULL UNIQUE,
        account_id VARCHAR(40) NOT NULL, livemode BOOLEAN NOT NULL,
        status VARCHAR(16) NOT NULL, payment_status VARCHAR(16) NOT NULL,
        currency VARCHAR(3) NOT NULL, token VARCHAR(64) NOT NULL UNIQUE,
        amount_total BIGINT NOT NULL, expires_at DATETIME NOT NULL,
        created_at DATETIME NOT NULL, updated_at DATETIME NOT NULL,
        completed_at DATETIME, data JSON NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS ix_bench_baseline_tenant_status_pk "
    "ON bench_baseline (account_id, livemode, status, pk)",
]


def _now() -> datetime:
    return datetime.now(UTC)


class Store:
    """The five statements, for one engine."""

    async def open(self) -> None: ...
    async def close(self) -> None: ...
    async def insert(self, row: dict[str, Any]) -> dict[str, Any]: ...
    async def get(self, checkout_id: str) -> dict[str, Any] | None: ...
    async def set_data(self, checkout_id: str, data: dict[str, Any]) -> dict[str, Any] | None: ...
    async def page(self, status: str) -> list[dict[str, Any]]: ...
    async def complete(self, checkout_id: str) -> dict[str, Any] | None: ...
    async def replay(self, plan: Plan, binder: Binder) -> list[Any]: ...


class PostgresStore(Store):
    """asyncpg through opencheckout's own pool wrapper (same pool settings and reset)."""

    def __init__(self, url: str) -> None:
        self.driver = PostgresDriver(url.replace("postgresql+asyncpg://", "postgresql://", 1))
        self.pool: Any = None
        self.multi: dict[int, asyncio.Semaphore] = {}

    async def open(self) -> None:
        self.pool = await self.driver.pool()
        async with self.pool.acquire() as conn:
            for statement in POSTGRES_DDL:
                await conn.execute(statement)

    async def close(self) -> None:
        await self.driver.close()

    @staticmethod
    def _row(record: Any) -> dict[str, Any]:
        row = dict(record)
        row["data"] = orjson.loads(row["data"])
        return row

    async def insert(self, row: dict[str, Any]) -> dict[str, Any]:
        record = await self.pool.fetchrow(
            "INSERT INTO bench_baseline (id, account_id, livemode, status, payment_status, "
            "currency, token, amount_total, expires_at, created_at, updated_at, data) "
            f"VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) RETURNING {COLUMNS}",
            row["id"],
            ACCOUNT,
            False,
            "pending",
            "unpaid",
            row["currency"],
            row["token"],
            row["amount_total"],
            row["expires_at"],
            row["created_at"],
            row["created_at"],
            orjson.dumps(row["data"]).decode(),
        )
        return self._row(record)

    async def get(self, checkout_id: str) -> dict[str, Any] | None:
        record = await self.pool.fetchrow(
            f"SELECT {COLUMNS} FROM bench_baseline "
            "WHERE account_id = $1 AND livemode = false AND id = $2",
            ACCOUNT,
            checkout_id,
        )
        return self._row(record) if record else None

    async def set_data(self, checkout_id: str, data: dict[str, Any]) -> dict[str, Any] | None:
        record = await self.pool.fetchrow(
            "UPDATE bench_baseline SET data = data || $3::jsonb, updated_at = $4 "
            f"WHERE account_id = $1 AND id = $2 RETURNING {COLUMNS}",
            ACCOUNT,
            checkout_id,
            orjson.dumps(data).decode(),
            _now(),
        )
        return self._row(record) if record else None

    async def page(self, status: str) -> list[dict[str, Any]]:
        records = await self.pool.fetch(
            f"SELECT {COLUMNS} FROM bench_baseline WHERE account_id = $1 AND livemode = false "
            "AND status = $2 AND expires_at > $3 ORDER BY pk DESC LIMIT 21",
            ACCOUNT,
            status,
            _now(),
        )
        return [self._row(r) for r in records]

    async def complete(self, checkout_id: str) -> dict[str, Any] | None:
        now = _now()
        record = await self.pool.fetchrow(
            "UPDATE bench_baseline SET status = 'completed', payment_status = 'paid', "
            "completed_at = $3, updated_at = $3 WHERE account_id = $1 AND id = $2 "
            f"AND status IN ('pending', 'failed') AND expires_at > $3 RETURNING {COLUMNS}",
            ACCOUNT,
            checkout_id,
            now,
        )
        return self._row(record) if record else None

    async def replay(self, plan: Plan, binder: Binder) -> list[Any]:
        if plan.peak_connections == 1:
            return await replay_postgres(self.pool, plan, binder)
        # A plan holding k connections at once waits for its k-th while holding
        # the others: with every pool connection held by such waiters, nobody
        # moves. At most pool size // k of them at a time always get all theirs.
        gate = self.multi.get(plan.peak_connections)
        if gate is None:
            permits = max(1, self.pool.get_max_size() // plan.peak_connections)
            gate = self.multi[plan.peak_connections] = asyncio.Semaphore(permits)
        async with gate:
            return await replay_postgres(self.pool, plan, binder)


def _sqlite_time(value: datetime) -> str:
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")


class SQLiteStore(Store):
    """sqlite3 through opencheckout's own thread wrapper: reads on reader threads,
    writes on the one writer thread, one hop per statement, WAL, like opencheckout's."""

    def __init__(self, url: str) -> None:
        self.driver = SQLiteDriver(
            url.split("///", 1)[1], busy_timeout_seconds=30, write_lock=asyncio.Lock()
        )

    async def open(self) -> None:
        def create(connection: sqlite3.Connection) -> None:
            for statement in SQLITE_DDL:
                connection.execute(statement)

        await self.driver.write(create)

    async def close(self) -> None:
        self.driver.close()

    async def _one(
        self, sql: str, params: tuple[Any, ...], *, write: bool
    ) -> dict[str, Any] | None:
        def run(connection: sqlite3.Connection) -> dict[str, Any] | None:
            cursor = connection.execute(sql, params)
            record = cursor.fetchone()
            if record is None:
                return None
            return dict(zip([d[0] for d in cursor.description], record, strict=True))

        found = await (self.driver.write(run) if write else self.driver.read(run))
        return self._row(found) if found is not None else None

    @staticmethod
    def _row(row: dict[str, Any]) -> dict[str, Any]:
        row["data"] = orjson.loads(row["data"])
        row["livemode"] = bool(row["livemode"])
        return row

    async def insert(self, row: dict[str, Any]) -> dict[str, Any]:
        created = _sqlite_time(row["created_at"])
        result = await self._one(
            "INSERT INTO bench_baseline (id, account_id, livemode, status, payment_status, "
            "currency, token, amount_total, expires_at, created_at, updated_at, data) "
            f"VALUES (?,?,0,'pending','unpaid',?,?,?,?,?,?,?) RETURNING {COLUMNS}",
            (
                row["id"],
                ACCOUNT,
                row["currency"],
                row["token"],
                row["amount_total"],
                _sqlite_time(row["expires_at"]),
                created,
                created,
                orjson.dumps(row["data"]).decode(),
            ),
            write=True,
        )
        assert result is not None
        return result

    async def get(self, checkout_id: str) -> dict[str, Any] | None:
        return await self._one(
            f"SELECT {COLUMNS} FROM bench_baseline WHERE account_id = ? AND livemode = 0 "
            "AND id = ?",
            (ACCOUNT, checkout_id),
            write=False,
        )

    async def set_data(self, checkout_id: str, data: dict[str, Any]) -> dict[str, Any] | None:
        return await self._one(
            "UPDATE bench_baseline SET data = json_patch(data, ?), updated_at = ? "
            f"WHERE account_id = ? AND id = ? RETURNING {COLUMNS}",
            (orjson.dumps(data).decode(), _sqlite_time(_now()), ACCOUNT, checkout_id),
            write=True,
        )

    async def page(self, status: str) -> list[dict[str, Any]]:
        sql = (
            f"SELECT {COLUMNS} FROM bench_baseline WHERE account_id = ? AND livemode = 0 "
            "AND status = ? AND expires_at > ? ORDER BY pk DESC LIMIT 21"
        )
        params = (ACCOUNT, status, _sqlite_time(_now()))

        def run(connection: sqlite3.Connection) -> list[dict[str, Any]]:
            cursor = connection.execute(sql, params)
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]

        return [self._row(r) for r in await self.driver.read(run)]

    async def complete(self, checkout_id: str) -> dict[str, Any] | None:
        now = _sqlite_time(_now())
        return await self._one(
            "UPDATE bench_baseline SET status = 'completed', payment_status = 'paid', "
            "completed_at = ?, updated_at = ? WHERE account_id = ? AND id = ? "
            f"AND status IN ('pending', 'failed') AND expires_at > ? RETURNING {COLUMNS}",
            (now, now, ACCOUNT, checkout_id, now),
            write=True,
        )

    async def replay(self, plan: Plan, binder: Binder) -> list[Any]:
        return await replay_sqlite(self.driver, plan, binder)


def make_store(url: str) -> Store:
    return SQLiteStore(url) if url.startswith("sqlite") else PostgresStore(url)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | Decimal):
        return str(value)
    raise TypeError(type(value))


async def _respond(send: Send, status: int, payload: Any) -> None:
    body = orjson.dumps(payload, default=_json_default)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


_store: Store | None = None
_plans: dict[str, Plan] = {}
_targets: dict[str, Target] = {}
#: The same-SQL operations that act on one session (the path's last part).
_TARGETED = frozenset({"retrieve", "update", "complete"})


async def _same_sql(scope: Scope, receive: Receive, send: Send, rest: list[str]) -> None:
    """``/same/<operation>[/<id>]``: opencheckout's captured statements, replayed."""
    assert _store is not None
    await _read_body(receive)
    op = rest[0] if rest else ""
    plan = _plans.get(op)
    if plan is None:
        await _respond(send, 404, {"error": "no plan"})
        return
    target = None
    if op in _TARGETED:
        target = _targets.get(rest[1] if len(rest) > 1 else "")
        if target is None:
            await _respond(send, 404, {"error": "missing"})
            return
    rows = await _store.replay(plan, Binder(plan, target))
    await _respond(send, 201 if op == "create" else 200, {"data": rows})


async def _control(route: str, receive: Receive, send: Send) -> None:
    """``POST /__plans`` and ``POST /__targets``: pickles from the benchmark."""
    loaded = pickle.loads(await _read_body(receive))
    (_plans if route == "__plans" else _targets).update(loaded)
    await _respond(send, 200, {"loaded": len(loaded)})


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    global _store
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                _store = make_store(os.environ["BENCH_DATABASE_URL"])
                await _store.open()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if _store is not None:
                    await _store.close()
                await send({"type": "lifespan.shutdown.complete"})
                return
    assert _store is not None
    method, path = scope["method"], scope["path"]
    _, route, *rest = path.split("/")
    target = rest[0] if rest else ""
    if method == "POST" and route == "create":
        params = orjson.loads(await _read_body(receive))
        now = _now()
        row = {
            "id": "cs_" + secrets.token_urlsafe(18),
            "token": secrets.token_urlsafe(32),
            "currency": params["currency"],
            "amount_total": sum(i["unit_amount"] * i["quantity"] for i in params["line_items"]),
            "expires_at": now + timedelta(seconds=1800),
            "created_at": now,
            "data": params,
        }
        await _respond(send, 201, await _store.insert(row))
    elif method == "GET" and route == "retrieve":
        found = await _store.get(target)
        await _respond(send, 200 if found else 404, found or {"error": "missing"})
    elif method == "PATCH" and route == "update":
        updated = await _store.set_data(target, orjson.loads(await _read_body(receive)))
        await _respond(send, 200 if updated else 404, updated or {"error": "missing"})
    elif method == "GET" and route == "list":
        status = parse_qs(scope["query_string"].decode()).get("status", ["pending"])[0]
        rows = await _store.page(status)
        await _respond(send, 200, {"data": rows[:20], "has_more": len(rows) > 20})
    elif method == "POST" and route == "complete":
        await _read_body(receive)
        done = await _store.complete(target)
        await _respond(send, 200 if done else 409, done or {"error": "not payable"})
    elif route == "same":
        await _same_sql(scope, receive, send, rest)
    elif method == "POST" and route in ("__plans", "__targets"):
        await _control(route, receive, send)
    elif route == "healthz":
        await _respond(send, 200, {"status": "ok"})
    else:
        await _respond(send, 404, {"error": "no route"})
