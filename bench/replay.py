"""The same-SQL baseline's plans: opencheckout's captured statements, replayed.

A plan is one captured request (:mod:`bench.capture`) of an operation, made
replayable for any other session:

* the capture target's id, token and primary key are bound to the request's
  target (retrieve, update, complete);
* values opencheckout generates per request (session, event, attempt and order
  ids, tokens, idempotency keys) are found by comparing two captured requests of
  the same operation, and get fresh values of the same shape each replay, also
  inside the JSON documents that carry them;
* keys an INSERT returns (a new row's primary key) are bound, in later
  statements, to the key the replayed INSERT returned.

Everything else (SQL text, order, parameters, transactions, which connection)
is replayed as captured, through opencheckout's own driver layer
(:mod:`opencheckout.store.driver`): on PostgreSQL each captured connection is
one pool connection, held from its first statement to its last; on SQLite each
``BEGIN IMMEDIATE`` ... ``COMMIT`` is one unit on the writer thread and each run
of autocommit reads one unit on a reader thread (one hop per unit, the least a
thread-per-connection driver needs).
"""

from __future__ import annotations

import contextlib
import re
import secrets
import sqlite3
import string
from dataclasses import dataclass, field
from typing import Any

import orjson

from bench.capture import EXECUTE, MANY, Recording, Step

ID_LIKE = re.compile(r"^[A-Za-z0-9_.-]{8,}$")
_ALPHABET = string.ascii_letters + string.digits


@dataclass(frozen=True, slots=True)
class Target:
    id: str
    pk: int
    token: str


@dataclass(slots=True)
class Plan:
    steps: list[Step]
    target: Target | None
    fresh: frozenset[str]
    #: Per connection index, the index of its last step (PostgreSQL releases it there).
    last_use: dict[int, int] = field(default_factory=dict)
    #: SQLite's units: ("write" | "read", steps without BEGIN/COMMIT).
    units: list[tuple[str, list[Step]]] = field(default_factory=list)
    #: The most pool connections the plan holds at once (PostgreSQL).
    peak_connections: int = 1

    def __post_init__(self) -> None:
        self.last_use = {step.conn: i for i, step in enumerate(self.steps)}
        self.units = sqlite_units(self.steps)
        self.peak_connections = peak_connections(self.steps, self.last_use)


def _flat(args: tuple[Any, ...]) -> list[Any]:
    out: list[Any] = []
    for value in args:
        out.extend(_flat(value) if isinstance(value, tuple | list) else [value])
    return out


def _fresh_values(first: Recording, second: Recording, known: set[str]) -> set[str]:
    """Id-like strings of ``second`` that differ from ``first``'s in the same place."""
    fresh: set[str] = set()
    for a, b in zip(first.steps, second.steps, strict=False):
        if a.sql != b.sql:
            continue
        for x, y in zip(_flat(a.args), _flat(b.args), strict=False):
            if isinstance(y, str) and x != y and y not in known and ID_LIKE.match(y):
                fresh.add(y)
    return fresh


def build_plan(
    recordings: list[tuple[Recording, Target | None]],
) -> tuple[Plan, list[str]]:
    """A plan from several captured requests of one operation; and warnings.

    Requests of one operation can differ: a cache's entry expired (the API key's
    principal, read again once a minute, not once a request). The plan replays
    the statement sequence most of them ran (the shortest on a tie), compared
    with another request of the same sequence to tell the per-request values.
    """
    shapes: dict[tuple[str, ...], list[tuple[Recording, Target | None]]] = {}
    for recording, target in recordings:
        shapes.setdefault(tuple(s.sql for s in recording.steps), []).append((recording, target))
    shape = max(shapes, key=lambda k: (len(shapes[k]), -len(k)))
    chosen = shapes[shape]
    warnings = []
    if len(shapes) > 1:
        first = recordings[0][0]
        warnings.append(
            f"{first.method} {first.path}: captured requests ran "
            f"{sorted(len(k) for k in shapes)} statements; replaying the {len(shape)} "
            f"that {len(chosen)} of {len(recordings)} ran"
        )
    second, target = chosen[-1]
    known = {target.id, target.token} if target else set()
    fresh: set[str] = set()
    for first, _ in chosen[:-1] or [r for r in recordings if r[0] is not second][:1]:
        fresh |= _fresh_values(first, second, known)
    return Plan(second.steps, target, frozenset(fresh)), warnings


def _fresh_like(value: str) -> str:
    """Random characters of the same length after the same prefix (``evt_``, ...)."""
    head, sep, tail = value.rpartition("_")
    if not sep or len(head) > 20:
        head, sep, tail = "", "", value
    return head + sep + "".join(secrets.choice(_ALPHABET) for _ in tail)


class Binder:
    """One replay's substitutions (see the module's docstring)."""

    def __init__(self, plan: Plan, target: Target | None) -> None:
        self.strings = {value: _fresh_like(value) for value in plan.fresh}
        self.ints: dict[int, int] = {}
        if plan.target is not None and target is not None:
            self.strings[plan.target.id] = target.id
            self.strings[plan.target.token] = target.token
            self.ints[plan.target.pk] = target.pk
        # Longest first, so that a key inside another (pat_x in opencheckout-pat_x) waits.
        self.replacements = sorted(self.strings.items(), key=lambda kv: -len(kv[0]))

    def value(self, value: Any) -> Any:
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            return self.ints.get(value, value)
        if isinstance(value, str):
            found = self.strings.get(value)
            if found is not None:
                return found
            if len(value) > 40:
                for old, new in self.replacements:
                    if old in value:
                        value = value.replace(old, new)
            return value
        if isinstance(value, tuple | list):
            return type(value)(self.value(v) for v in value)
        return value

    def args(self, step: Step) -> Any:
        return tuple(self.value(v) for v in step.args)

    def returned(self, captured: tuple[Any, ...], actual: tuple[Any, ...]) -> None:
        for was, now in zip(captured, actual, strict=False):
            if isinstance(was, int) and not isinstance(was, bool) and isinstance(now, int):
                self.ints[was] = now


def _decoded(rows: list[Any]) -> list[list[Any]]:
    """Rows as lists, JSON documents decoded (opencheckout's ORM decodes every one it reads)."""
    out = []
    for row in rows:
        values = list(row.values()) if hasattr(row, "values") else list(row)
        for i, value in enumerate(values):
            if isinstance(value, str) and value[:1] in ("{", "["):
                with contextlib.suppress(orjson.JSONDecodeError):
                    values[i] = orjson.loads(value)
        out.append(values)
    return out


def sqlite_units(steps: list[Step]) -> list[tuple[str, list[Step]]]:
    units: list[tuple[str, list[Step]]] = []
    open_tx: dict[int, list[Step]] = {}
    for step in steps:
        sql = step.sql.lstrip().upper()
        if sql.startswith("BEGIN"):
            unit: list[Step] = []
            units.append(("write", unit))
            open_tx[step.conn] = unit
        elif sql.startswith(("COMMIT", "ROLLBACK")):
            open_tx.pop(step.conn, None)
        elif step.conn in open_tx:
            open_tx[step.conn].append(step)
        elif sql.startswith(("SELECT", "WITH")):
            if units and units[-1][0] == "read":
                units[-1][1].append(step)
            else:
                units.append(("read", [step]))
        else:
            units.append(("write", [step]))
    return units


def peak_connections(steps: list[Step], last_use: dict[int, int]) -> int:
    """How many captured connections are open at once, at most (each held from its
    first step to its last)."""
    peak, open_now = 0, set()
    for i, step in enumerate(steps):
        open_now.add(step.conn)
        peak = max(peak, len(open_now))
        if last_use[step.conn] == i:
            open_now.discard(step.conn)
    return max(peak, 1)


async def replay_postgres(pool: Any, plan: Plan, binder: Binder) -> list[Any]:
    """Run the plan; the rows of the last statement that returned any."""
    held: dict[int, Any] = {}
    rows: list[Any] = []
    try:
        for i, step in enumerate(plan.steps):
            conn = held.get(step.conn)
            if conn is None:
                conn = held[step.conn] = await pool.acquire()
            if step.kind == EXECUTE:
                await conn.execute(step.sql)
            elif step.kind == MANY:
                await conn.executemany(step.sql, binder.args(step))
            else:
                result = await conn.fetch(step.sql, *binder.args(step))
                if result:
                    if step.returned:
                        binder.returned(step.returned, tuple(result[0]))
                    rows = _decoded(result)
            if plan.last_use[step.conn] == i:
                await pool.release(held.pop(step.conn))
    finally:
        for conn in held.values():
            await pool.release(conn)
    return rows


def sqlite_work(steps: list[Step], binder: Binder) -> Any:
    """One unit as driver work (the driver adds BEGIN IMMEDIATE/COMMIT to writes)."""

    def run(connection: sqlite3.Connection) -> list[Any]:
        rows: list[Any] = []
        for step in steps:
            if step.kind == MANY:
                connection.executemany(step.sql, binder.args(step))
                continue
            cursor = connection.execute(step.sql, binder.args(step))
            result = cursor.fetchall()
            if step.returned and cursor.lastrowid is not None:
                binder.returned(step.returned, (cursor.lastrowid,))
            if result:
                rows = _decoded(result)
        return rows

    return run


async def replay_sqlite(driver: Any, plan: Plan, binder: Binder) -> list[Any]:
    rows: list[Any] = []
    for kind, steps in plan.units:
        work = sqlite_work(steps, binder)
        result = await (driver.write(work) if kind == "write" else driver.read(work))
        rows = result or rows
    return rows
