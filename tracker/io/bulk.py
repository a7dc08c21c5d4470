"""Bulk inserts through the driver: one ``executemany`` (SQLite) or ``COPY`` (PostgreSQL)
per table and batch.

SQLAlchemy's per-value type processing costs more than SQLite's insert itself, so the
importer binds values the way the column types would (the demo loader does the same):
UTC timestamps as the text SQLAlchemy stores on SQLite (or aware datetimes for
PostgreSQL), dates as ISO text on SQLite, JSON as text, and a column's scalar default
where a row has no value.
"""

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import ARRAY, JSON, Connection, Date, Table, any_, literal

from tracker.audit import CanonicalJSON
from tracker.sqltypes import UTCDateTime

Binder = Callable[[Any], Any]


def _sqlite_time(value: datetime | None) -> str | None:
    """SQLAlchemy's text for a DateTime on SQLite: always with microseconds."""
    if value is None:
        return None
    if value.tzinfo is UTC:  # what the importer gives: cached
        return _utc_text(value)
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


@lru_cache(maxsize=65536)
def _utc_text(value: datetime) -> str:
    """Cached, as a batch repeats its clock time in every row and a log's dates in many;
    for UTC times only, since two local times an hour apart (a clock set back) compare
    equal and would share an entry."""
    return value.replace(tzinfo=None).isoformat(" ", "microseconds")


def _json_text(value: Any) -> str:
    """JSON text for the driver; an audit snapshot already encoded goes as it is."""
    return value if isinstance(value, CanonicalJSON) else json.dumps(value)


def binder(column: Any, pg: bool) -> Binder | None:
    """How a value of ``column`` goes to the driver; None when it goes as it is."""
    kind = column.type
    if isinstance(kind, UTCDateTime):
        if pg:
            return lambda v: None if v is None else v.astimezone(UTC)
        return _sqlite_time
    if isinstance(kind, JSON):
        return _json_text
    if isinstance(kind, Date) and not pg:
        return lambda v: None if v is None else v.isoformat()
    if column.default is not None and column.default.is_scalar:
        default = column.default.arg
        return lambda v: default if v is None else v
    return None


def _driver_rows(table: Table, rows: list[dict[str, Any]], pg: bool,
                 ) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The columns ``rows`` fill (and those with a default), and each row's values bound."""
    columns = [c for c in table.columns if c.name in rows[0] or not c.primary_key]
    binders = [(i, b) for i, b in enumerate(binder(c, pg) for c in columns) if b]
    names = [c.name for c in columns]
    params = []
    for row in rows:
        values = [row.get(n) for n in names]
        for i, bind in binders:
            values[i] = bind(values[i])
        params.append(tuple(values))
    return names, params


def insert_rows(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys) in the caller's transaction."""
    if not rows:
        return
    pg = conn.dialect.name == "postgresql"
    quote = conn.dialect.identifier_preparer.quote
    names, params = _driver_rows(table, rows, pg)
    head = f"{quote(table.name)} ({', '.join(quote(n) for n in names)})"
    if pg:  # COPY: one stream instead of a statement per row
        raw = conn.connection.driver_connection
        with raw.cursor() as cur, cur.copy(f"COPY {head} FROM STDIN") as copy:
            for values in params:
                copy.write_row(values)
        return
    conn.exec_driver_sql(f"INSERT INTO {head} VALUES ({', '.join('?' * len(names))})", params)


def upsert_rows(conn: Connection, table: Table, rows: list[dict[str, Any]], *,
                key: list[str], replace: list[str]) -> None:
    """Insert ``rows``; where a row with the same ``key`` is there, overwrite its
    ``replace`` columns instead. Through the driver, as ``insert_rows``."""
    if not rows:
        return
    pg = conn.dialect.name == "postgresql"
    quote = conn.dialect.identifier_preparer.quote
    names, params = _driver_rows(table, rows, pg)
    mark = "%s" if pg else "?"
    sets = ", ".join(f"{quote(n)} = excluded.{quote(n)}" for n in replace)
    conn.exec_driver_sql(
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in names)}) "
        f"VALUES ({', '.join([mark] * len(names))}) "
        f"ON CONFLICT ({', '.join(quote(k) for k in key)}) DO UPDATE SET {sets}", params)


def one_of(column: Any, values: list[Any], pg: bool) -> Any:
    """``column IN (values)``; on PostgreSQL as ``= ANY(array)``, one parameter, so that a
    plan the driver prepared while the table was small cannot turn into a scan later."""
    if pg:
        return column == any_(literal(list(values), ARRAY(column.type)))
    return column.in_(values)


@contextmanager
def custom_plans(conn: Connection) -> Iterator[None]:
    """Inside the block, plan every statement for its own values (PostgreSQL).

    The driver prepares a statement run five times; the server may then keep a generic
    plan made while the table was small, and ``uid = ANY($1)`` becomes a scan of the
    whole table for every batch. Only for the block: the foreign-key checks of the rows
    a batch inserts run cached plans too, and planning those again for every row cost a
    third of the insert time."""
    if conn.dialect.name != "postgresql":
        yield
        return
    conn.exec_driver_sql("SET LOCAL plan_cache_mode = force_custom_plan")
    try:
        yield
    finally:
        conn.exec_driver_sql("SET LOCAL plan_cache_mode TO DEFAULT")


def next_ids(conn: Connection, table: Table, count: int) -> list[int]:
    """Ids for ``count`` new rows of ``table``, so the rows go in with their ids and need
    no read-back: from the sequence on PostgreSQL; on SQLite the next ones after the
    largest (the batch's transaction holds the write lock from its first statement)."""
    if conn.dialect.name == "postgresql":
        return list(conn.exec_driver_sql(
            f"SELECT nextval(pg_get_serial_sequence('{table.name}', 'id')) "
            f"FROM generate_series(1, {int(count)})").scalars())
    top = conn.exec_driver_sql(f'SELECT COALESCE(MAX(id), 0) FROM "{table.name}"').scalar_one()
    return list(range(top + 1, top + 1 + count))
