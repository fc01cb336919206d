"""``python -m bench``: opencheckout ÷ bare-stack baseline, on SQLite and PostgreSQL.

For each engine: a fresh database; ``opencheckout serve`` and the baseline app
(:mod:`bench.baseline`) side by side; create, retrieve, update, list and
complete at each concurrency level, alternating the two servers; then list and
retrieve latency with 10 thousand and 1 million sessions in one account; then
the sweeper abandoning 100 thousand expired sessions. Results go to
``bench/results/`` (see :mod:`bench.report`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson

from bench import same_sql, seed
from bench.client import LevelResult, Request, RequestMaker, run_level
from bench.procs import PUBLIC_URL, Process, start_baseline, start_opencheckout
from bench.report import write_results
from opencheckout.config import Settings
from opencheckout.service import auth, dashboard_users, sweeper
from opencheckout.service.auth import Scope
from opencheckout.service.context import Context
from opencheckout.store.db import Database
from opencheckout.store.migrate import upgrade_to_head

OPERATIONS = ("create", "retrieve", "update", "list", "complete")
#: Not an operation: ``GET /healthz`` on both servers, which touches no database.
#: opencheckout's figure is the ceiling the framework (FastAPI, middleware) leaves
#: for any endpoint; it puts the operations' ratios in proportion.
FLOOR = "healthz"
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"

SESSION: dict[str, Any] = {
    "currency": "eur",
    "line_items": [
        {"product": "sku-shirt", "name": "Shirt", "unit_amount": 2500, "quantity": 2},
        {"product": "sku-socks", "name": "Socks", "unit_amount": 799, "quantity": 1},
        {"product": "sku-cap", "name": "Cap", "unit_amount": 1500, "quantity": 1},
    ],
    "customer": {
        "id": "cus_42",
        "email": "buyer@example.com",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "billing_address": {
            "line1": "Carrer de Mallorca 401",
            "city": "Barcelona",
            "postal_code": "08013",
            "country": "ES",
        },
    },
    "success_url": "https://shop.example.com/thanks?cs={CHECKOUT_ID}",
    "cancel_url": "https://shop.example.com/cart",
}
SESSION_BYTES = orjson.dumps(SESSION)
COMPLETE_BYTES = orjson.dumps({"payment": {"method": "card", "card_number": "4242424242424242"}})


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@asynccontextmanager
async def fresh_database(engine: str, tmp: Path) -> AsyncIterator[str]:
    """A migrated database for this run, removed afterwards."""
    if engine == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp / f'bench-{uuid.uuid4().hex[:8]}.db'}"
        await upgrade_to_head(url)
        yield url
        return
    admin = os.environ.get("OPENCHECKOUT_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    name = f"opencheckout_bench_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    url = admin.rpartition("/")[0].replace("postgresql://", "postgresql+asyncpg://", 1) + "/" + name
    try:
        await upgrade_to_head(url)
        yield url
    finally:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


async def make_key(url: str, account: str) -> tuple[str, str]:
    """A write key for ``account`` (through the service layer); returns (secret, account id)."""
    db = Database(url)
    try:
        created = await auth.create_key(db, account, livemode=False, scope=Scope.WRITE)
    finally:
        await db.dispose()
    return created.secret, created.key.account_id


def create_one(proc: Process, key: str) -> str:
    response = httpx.post(
        proc.url + "/v1/checkouts",
        content=SESSION_BYTES,
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    response.raise_for_status()
    return str(response.json()["id"])


def create_one_baseline(proc: Process) -> str:
    response = httpx.post(proc.url + "/create", content=SESSION_BYTES)
    response.raise_for_status()
    return str(response.json()["id"])


def cycling(choices: list[str], build: Any) -> RequestMaker:
    def make() -> Request:
        return build(random.choice(choices))

    return make


def draining(ids: list[str], build: Any) -> RequestMaker:
    """Each id once (completing a session twice is a 409, not a benchmark)."""
    iterator = iter(ids)

    def make() -> Request | None:
        item = next(iterator, None)
        return None if item is None else build(item)

    return make


async def drive(
    proc: Process, key: str | None, maker: RequestMaker, level: int, args: Any
) -> LevelResult:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return await run_level(
        "127.0.0.1",
        proc.port,
        headers,
        maker,
        concurrency=level,
        duration=args.duration,
        warmup=args.warmup,
    )


UPDATE_BODY = orjson.dumps({"metadata": {"order": "A-1001"}, "client_reference_id": "ref-1"})
#: The three servers driven at each level: opencheckout, the one-statement
#: baseline and the same-SQL baseline (the same baseline app, under /same/).
SERVERS = ("opencheckout", "baseline", "same_sql")


def _makers(op: str, ids: dict[str, Any]) -> dict[str, RequestMaker | None]:
    """Each server's request maker for ``op`` (None: that server skips it)."""
    if op == "create":
        return {
            "opencheckout": lambda: ("POST", "/v1/checkouts", SESSION_BYTES),
            "baseline": lambda: ("POST", "/create", SESSION_BYTES),
            "same_sql": lambda: ("POST", "/same/create", SESSION_BYTES),
        }
    if op in ("retrieve", "update"):
        method, body = ("GET", None) if op == "retrieve" else ("PATCH", UPDATE_BODY)
        return {
            "opencheckout": cycling(ids["oc"], lambda i: (method, f"/v1/checkouts/{i}", body)),
            "baseline": cycling(ids["base"], lambda i: (method, f"/{op}/{i}", body)),
            "same_sql": cycling(ids["oc"], lambda i: (method, f"/same/{op}/{i}", body)),
        }
    if op == "list":
        return {
            "opencheckout": lambda: ("GET", "/v1/checkouts?status=pending&limit=20", None),
            "baseline": lambda: ("GET", "/list?status=pending", None),
            "same_sql": lambda: ("GET", "/same/list", None),
        }
    if op == FLOOR:
        return {
            "opencheckout": lambda: ("GET", "/healthz", None),
            "baseline": lambda: ("GET", "/healthz", None),
            "same_sql": None,
        }
    return {
        "opencheckout": _from(
            ids["oc_pay"], lambda i: ("POST", f"/v1/checkouts/{i}/complete", COMPLETE_BYTES)
        ),
        "baseline": _from(ids["base_pay"], lambda i: ("POST", f"/complete/{i}", COMPLETE_BYTES)),
        "same_sql": _from(
            ids["same_pay"], lambda i: ("POST", f"/same/complete/{i}", COMPLETE_BYTES)
        ),
    }


async def _prepare(
    op: str, url: str, base: Process, account_id: str, templates: tuple[str, str], args: Any
) -> dict[str, Any]:
    """Sessions an operation works on, for each server (and their keys, for same-SQL)."""
    oc_template, base_template = templates
    if op == "retrieve":
        oc_ids = await seed.fetch_ids(
            url, "SELECT id FROM checkouts WHERE account_id = $1 LIMIT 5000", account_id
        )
        base_ids = await seed.fetch_ids(url, "SELECT id FROM bench_baseline LIMIT 5000")
        same_sql.hand_over(base, "__targets", await same_sql.targets_of(url, oc_ids))
        return {"oc": oc_ids, "base": base_ids}
    if op == "complete":
        pay = seed.Clones("pay", 1, args.payable)
        await seed.clone(url, oc_template, account_id, pay)
        await seed.clone(url, base_template, "acct_baseline", pay, table="bench_baseline")
        # The same-SQL baseline completes opencheckout's sessions: clones of its own.
        same = seed.Clones("spay", 1, args.payable)
        await seed.clone(url, oc_template, account_id, same)
        pay_ids = [pay.id(n) for n in range(pay.start, pay.end + 1)]
        same_ids = [same.id(n) for n in range(same.start, same.end + 1)]
        same_sql.hand_over(base, "__targets", await same_sql.targets_of(url, same_ids))
        return {"oc_pay": iter(pay_ids), "base_pay": iter(pay_ids), "same_pay": iter(same_ids)}
    return {}


async def measure_operations(
    url: str, oc: Process, base: Process, key: str, account_id: str, args: Any, tmp: Path
) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Every operation at every level, on the three servers, alternating."""
    results: dict[str, dict[str, list[dict[str, Any]]]] = {}
    templates = (create_one(oc, key), create_one_baseline(base))
    plans, warnings = await same_sql.capture_plans(
        url, key, account_id, templates[0], tmp, (SESSION_BYTES, COMPLETE_BYTES)
    )
    for warning in warnings:
        log(f"  same-SQL capture: {warning}")
    counts = ", ".join(f"{op} {len(plan.steps)}" for op, plan in plans.items())
    log(f"  same-SQL plans (statements): {counts}")
    same_sql.hand_over(base, "__plans", plans)
    ids: dict[str, Any] = {}
    for op in (*OPERATIONS, FLOOR):
        ids.update(await _prepare(op, url, base, account_id, templates, args))
        makers = _makers(op, ids)
        rows: dict[str, list[dict[str, Any]]] = {name: [] for name in SERVERS if makers[name]}
        for level in args.levels:
            for name in rows:
                proc, auth_key = (oc, key) if name == "opencheckout" else (base, None)
                maker = makers[name]
                assert maker is not None
                result = await drive(proc, auth_key, maker, level, args)
                rows[name].append(result.summary())
                log(
                    f"  {op:<8} c={level:<3} {name:<12} {result.rps:8.1f} req/s  "
                    f"p50 {result.percentile(0.5):7.2f} ms  p99 {result.percentile(0.99):7.2f} ms  "
                    f"errors {result.errors}"
                    + (f" {dict(result.statuses)}" if result.errors else "")
                )
        results[op] = rows
    return results


def _from(ids: Any, build: Any) -> RequestMaker:
    def make() -> Request | None:
        item = next(ids, None)
        return None if item is None else build(item)

    return make


def _list_request() -> Request:
    return ("GET", "/v1/checkouts?status=pending&limit=20", None)


def _random_retrieve(sample: seed.Clones, total: int) -> RequestMaker:
    def make() -> Request:
        return ("GET", f"/v1/checkouts/{sample.id(random.randint(1, total))}", None)

    return make


async def dashboard_cookie(url: str, account: str) -> dict[str, str]:
    """A signed-in dashboard user of ``account`` (through the service layer): its cookie."""
    db = Database(url)
    try:
        email, password = f"owner@{account}.test", secrets.token_urlsafe(16)
        await dashboard_users.create_user(db, account, email, password)
        ctx = Context(db=db, settings=Settings(database_url=url, public_url=PUBLIC_URL))
        signed = await dashboard_users.sign_in(ctx, email, password)
    finally:
        await db.dispose()
    assert signed is not None
    return {"Cookie": f"oc_dashboard={signed[0]}"}


def _overview_request() -> Request:
    # The default period (30 days) holds every seeded session (clones keep the
    # template's creation time): the overview aggregates the whole account.
    return ("GET", "/dashboard/overview", None)


async def measure_scale(url: str, oc: Process, args: Any) -> dict[str, Any]:
    """List, retrieve and dashboard overview latency (one client), 10k then 1M sessions."""
    key, account_id = await make_key(url, "bench-scale")
    cookie = await dashboard_cookie(url, "bench-scale")
    template = create_one(oc, key)
    small = seed.Clones("scale", 1, args.scale_small)
    out: dict[str, Any] = {"sessions_small": args.scale_small, "sessions_large": args.scale_large}
    for label, clones in (
        ("small", small),
        ("large", seed.Clones("scale", args.scale_small + 1, args.scale_large)),
    ):
        started = time.perf_counter()
        await seed.clone(url, template, account_id, clones, mixed=True, bulk=label == "large")
        out[f"seed_seconds_{label}"] = round(time.perf_counter() - started, 1)
        total = clones.end
        log(f"  scale: {total} sessions seeded in {out[f'seed_seconds_{label}']} s")
        retrieve_maker = _random_retrieve(seed.Clones("scale", 1, total), total)
        for op, maker in (
            ("list", _list_request),
            ("retrieve", retrieve_maker),
            ("overview", _overview_request),
        ):
            if op == "overview":
                result = await run_level(
                    "127.0.0.1",
                    oc.port,
                    cookie,
                    maker,
                    concurrency=1,
                    duration=args.duration,
                    warmup=args.warmup,
                )
            else:
                result = await drive(oc, key, maker, 1, args)
            out[f"{op}_{label}"] = result.summary()
            log(
                f"  scale {op:<8} {total:>8} sessions  p50 {result.percentile(0.5):6.2f} ms  "
                f"p99 {result.percentile(0.99):6.2f} ms  errors {result.errors}"
            )
    for op in ("list", "retrieve", "overview"):
        small_p50 = out[f"{op}_small"]["p50_ms"] or 1e-9
        out[f"{op}_p50_growth"] = round(out[f"{op}_large"]["p50_ms"] / small_p50, 3)
    return out


async def measure_sweeper(
    url: str, template_url_account: tuple[str, str], count: int
) -> dict[str, Any]:
    """Seconds for the sweeper to abandon ``count`` expired sessions (one worker, in-process)."""
    template_id, _ = template_url_account
    _key, account_id = await make_key(url, "bench-sweep")
    await seed.clone(url, template_id, account_id, seed.Clones("expired", 1, count), expired=True)
    db = Database(url)
    try:
        ctx = Context(db=db, settings=Settings(database_url=url, public_url=PUBLIC_URL))
        started = time.perf_counter()
        moved = await sweeper.abandon_all_expired(ctx)
        seconds = time.perf_counter() - started
    finally:
        await db.dispose()
    log(f"  sweeper: {moved} sessions abandoned in {seconds:.1f} s")
    return {"sessions": count, "abandoned": moved, "seconds": round(seconds, 2)}


async def run_engine(engine: str, args: Any, tmp: Path) -> dict[str, Any]:
    log(f"== {engine}")
    async with fresh_database(engine, tmp) as url:
        key, account_id = await make_key(url, "bench")
        oc = start_opencheckout(url, tmp)
        base = start_baseline(url, tmp)
        try:
            operations = await measure_operations(url, oc, base, key, account_id, args, tmp)
            scale = await measure_scale(url, oc, args) if args.scale_large else {}
            rss = {
                "opencheckout_mib": round(oc.peak_rss_mib(), 1),
                "baseline_mib": round(base.peak_rss_mib(), 1),
            }
            log(
                f"  peak RSS: opencheckout {rss['opencheckout_mib']} MiB, "
                f"baseline {rss['baseline_mib']} MiB"
            )
            template = await seed.fetch_ids(
                url, "SELECT id FROM checkouts WHERE account_id = $1 LIMIT 1", account_id
            )
        finally:
            oc.stop()
            base.stop()
        sweep = (
            await measure_sweeper(url, (template[0], account_id), args.sweep) if args.sweep else {}
        )
    return {"operations": operations, "scale": scale, "peak_rss": rss, "sweeper": sweep}


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--levels", default="1,8,32", help="Concurrency levels.")
    parser.add_argument("--duration", type=float, default=2.5, help="Seconds measured per level.")
    parser.add_argument("--warmup", type=float, default=0.5, help="Seconds not counted per level.")
    parser.add_argument("--scale-small", type=int, default=10_000)
    parser.add_argument(
        "--scale-large", type=int, default=1_000_000, help="0 skips the scale test."
    )
    parser.add_argument("--sweep", type=int, default=100_000, help="0 skips the sweeper test.")
    parser.add_argument("--payable", type=int, default=30_000, help="Sessions seeded for complete.")
    parser.add_argument("--quick", action="store_true", help="A smoke run: small and short.")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / "results"))
    args = parser.parse_args(argv)
    if args.quick:
        args.levels, args.duration, args.warmup = "1,8", 1.0, 0.2
        args.scale_small, args.scale_large, args.sweep, args.payable = 1000, 20_000, 2000, 5000
    args.levels = [int(x) for x in args.levels.split(",")]
    args.engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    return args


def _run(coroutine: Any) -> Any:
    """uvloop for the load generator too, so the client is not the bottleneck."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    started = time.perf_counter()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="opencheckout-bench-") as tmp:
        for engine in args.engines:
            results[engine] = _run(run_engine(engine, args, Path(tmp)))
    elapsed = time.perf_counter() - started
    table = write_results(results, args, Path(args.out), elapsed)
    print(table)
    log(f"bench finished in {elapsed:.0f} s; results in {args.out}")


if __name__ == "__main__":
    main()
