"""Engine factory, session scopes, and driver errors turned into plain ones.

SQLite is the field-office default, so its connections are set up for durability
(WAL, ``synchronous=FULL``), integrity (foreign keys) and many writers (a busy
timeout and ``BEGIN IMMEDIATE``, so a second writer waits for the lock instead of
failing halfway through its transaction).

PostgreSQL gets the same discipline: every transaction that may write first takes one
transaction-long advisory lock (``WRITE_LOCK``), waiting at most the busy timeout. Writes
keep derived data (loop facts, repeated-ask flags, import keys, the audit chain) in step
with what they read earlier in the transaction; under READ COMMITTED two writers would
each miss the other's rows and leave those facts wrong, or deadlock on the rows both
refresh. Field writes are small and the audit chain serialises them anyway, so queueing
costs little; readers (``read_session``) never take the lock.
"""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlmodel import Session

from tracker.errors import (
    DatabaseBusy,
    DatabaseUnreachable,
    DiskFull,
    ReadOnlyDatabase,
    StorageError,
)
from tracker.settings import get_settings

READ_ONLY = "hearback_read_only"
# Any fixed number: the advisory lock a PostgreSQL write transaction takes first.
WRITE_LOCK = 7_112_026_001

BUSY = "the database is busy with another save: nothing was saved; please try again in a moment"
READ_ONLY_MESSAGE = ("the database is read-only: nothing was saved (check the file's "
                     "permissions, or whether this server may write); reading still works")
DISK_FULL = "the disk is full: nothing was saved; free some space and try again"
# PostgreSQL error codes (SQLSTATE) by what the user can do about them.
_PG_BUSY = {"40001", "40P01", "55P03", "57014"}  # serialisation, deadlock, lock/statement timeout
_PG_READ_ONLY = {"25006"}  # read_only_sql_transaction (a replica, default_transaction_read_only)
_PG_FULL = {"53100"}  # disk_full


def make_engine(url: str | None = None, *, busy_timeout_ms: int | None = None) -> Engine:
    """Create an engine for ``url`` (default: the configured database)."""
    settings = get_settings()
    url = url or settings.database_url
    timeout_ms = busy_timeout_ms if busy_timeout_ms is not None else settings.sqlite_busy_timeout_ms
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StorageError(f"not a database URL: {url!r}") from exc
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, parsed.database, timeout_ms)
    try:
        engine = create_engine(url, pool_pre_ping=True)
    except Exception as exc:  # unknown driver, missing module
        raise StorageError(f"cannot use database URL {parsed.render_as_string()}: {exc}") from exc
    if engine.dialect.name == "postgresql":
        queue_writers(engine, timeout_ms)
    return engine


def queue_writers(engine: Engine, timeout_ms: int | None = None) -> None:
    """PostgreSQL: make every transaction that may write wait for ``WRITE_LOCK`` first
    (at most ``timeout_ms``, then ``DatabaseBusy``), as ``BEGIN IMMEDIATE`` does on SQLite."""
    if timeout_ms is None:
        timeout_ms = get_settings().sqlite_busy_timeout_ms

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if not conn.get_execution_options().get(READ_ONLY):
            conn.exec_driver_sql(f"SELECT set_config('lock_timeout', '{int(timeout_ms)}ms', true),"
                                 f" pg_advisory_xact_lock({WRITE_LOCK})")


def _sqlite_engine(url: str, database: str | None, timeout_ms: int) -> Engine:
    if database and database != ":memory:" and not database.startswith("file:"):
        path = Path(database)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot create the folder {path.parent}: {exc.strerror}") from exc
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": timeout_ms / 1000},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own is deferred).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(timeout_ms)}")
        if database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.get_execution_options().get(READ_ONLY):
            conn.exec_driver_sql("BEGIN")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """A session for one unit of work; commit is the caller's (services do it)."""
    with Session(engine, expire_on_commit=False) as session:
        yield session


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    """A session for reads only: on SQLite it takes no write lock, so readers never queue."""
    with Session(engine.execution_options(**{READ_ONLY: True})) as session:
        yield session


def storage_error(exc: DBAPIError) -> StorageError:
    """The driver's error as one the user can act on: busy (try again), disk full,
    read-only, unreachable, or else the database's own words."""
    orig = exc.orig
    state = getattr(orig, "sqlstate", None) or ""
    text = str(orig).lower()
    if state in _PG_BUSY or "locked" in text or "busy" in text:
        return DatabaseBusy(BUSY)
    if state in _PG_READ_ONLY or "readonly" in text or "read-only" in text:
        return ReadOnlyDatabase(READ_ONLY_MESSAGE)
    if state in _PG_FULL or ("disk" in text and "full" in text) or "no space" in text:
        return DiskFull(DISK_FULL)
    if state.startswith("08") or state == "57P01" or exc.connection_invalidated or (
            "connection" in text and ("refused" in text or "failed" in text)):
        first = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
        return DatabaseUnreachable(f"cannot reach the database server ({first})")
    return StorageError(f"the database refused the change: {orig}")


def is_sqlite(engine_or_session: Any) -> bool:
    bind = getattr(engine_or_session, "bind", None) or engine_or_session
    return bind.dialect.name == "sqlite"


@contextmanager
def scratch_schema(url: str, prefix: str = "hb_scratch") -> Iterator[Engine]:
    """An engine on a new, empty PostgreSQL schema that is dropped afterwards, so tests and
    benchmarks can share a server without touching each other's tables."""
    from sqlalchemy import create_engine as _create

    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    engine = _create(url, connect_args={"options": f"-csearch_path={schema}"},
                     pool_pre_ping=True)
    queue_writers(engine)
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()
