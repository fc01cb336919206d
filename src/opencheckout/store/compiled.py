"""SQLAlchemy Core statements sent through the driver (see :mod:`store.driver`).

A statement built once with SQLAlchemy keeps its rules written once for both
engines; compiled once per engine to the driver's SQL text, the order of its
parameters and their bind processors, each run then only binds values. Rows come
back as the driver gives them (the caller decodes them), without the ORM's
result machinery, which was most of a plain list's CPU.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.postgresql import asyncpg
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement

_DIALECTS: dict[str, Dialect] = {
    "sqlite": sqlite.dialect(paramstyle="qmark"),
    "postgresql": asyncpg.dialect(),  # type: ignore[no-untyped-call]
}


@dataclass(frozen=True, slots=True)
class DriverStatement:
    """One statement as one engine's driver takes it."""

    sql: str
    names: tuple[str, ...]
    #: Values bound when the statement was built (its LIMIT, a literal status).
    constants: Mapping[str, Any]
    processors: Mapping[str, Callable[[Any], Any]]

    def args(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        """The positional arguments for ``values`` (by bind name), processed as the
        column types would process them (a UTC datetime as SQLite's text, say)."""
        out: list[Any] = []
        for name in self.names:
            value = values[name] if name in values else self.constants[name]
            processor = self.processors.get(name)
            out.append(value if processor is None else processor(value))
        return tuple(out)


@functools.lru_cache(maxsize=1024)
def driver_statement(statement: ClauseElement, engine: str) -> DriverStatement:
    """``statement`` compiled for ``engine`` ("sqlite" or "postgresql"), once.

    Keyed by the statement object: pass statements that are built once (module
    constants or cached builders), not a new one per call."""
    dialect = _DIALECTS[engine]
    compiled = cast(SQLCompiler, statement.compile(dialect=dialect))
    # IN lists hold the statement's own constants (statuses): expanded into it once.
    expanded = compiled.construct_expanded_state(dict(compiled.params))
    processors: dict[str, Callable[[Any], Any]] = {}
    for bind, name in compiled.bind_names.items():
        processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if processor is not None:
            processors[name] = processor
    return DriverStatement(
        sql=expanded.statement,
        names=tuple(expanded.positiontup or ()),
        constants=dict(expanded.parameters),
        processors=processors,
    )
