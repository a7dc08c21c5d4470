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

import os
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
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


def make_engine(url: str | None = None, *, busy_timeout_ms: int | None = None,
                create: bool = True) -> Engine:
    """Create an engine for ``url`` (default: the configured database). With ``create``
    false a SQLite file that does not exist is an error, not a new empty database: a
    command that only reads must leave nothing behind on a mistyped path."""
    settings = get_settings()
    url = url or settings.database_url
    timeout_ms = busy_timeout_ms if busy_timeout_ms is not None else settings.sqlite_busy_timeout_ms
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StorageError(f"not a database URL: {url!r}") from exc
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, parsed.database, timeout_ms, create=create)
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


def _sqlite_engine(url: str, database: str | None, timeout_ms: int, *,
                   create: bool = True) -> Engine:
    path = _sqlite_file(database)
    if path is not None:
        _prepare_file(path, create)
    # A database in a folder this process may not write is opened read-only: WAL needs its
    # -shm file next to the database, and a normal open would refuse even to read.
    read_only = path is not None and path.exists() and not _folder_writable(path)
    extra: dict[str, Any] = {}
    if read_only:
        extra["creator"] = partial(_connect_read_only, path, timeout_ms)
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": timeout_ms / 1000},
        **extra,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own is deferred).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(timeout_ms)}")
        if database not in (None, "", ":memory:") and not read_only:
            _wal(cursor, path)
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


def _sqlite_file(database: str | None) -> Path | None:
    """The file a SQLite URL names; None for a database in memory or a ``file:`` URI
    (whose options the URL's author chose)."""
    if database in (None, "", ":memory:") or database.startswith("file:"):
        return None
    return Path(database)


def _prepare_file(path: Path, create: bool) -> None:
    """Make the database's folder (``create``), or say the database is not there: a
    command that only reads must not leave an empty database behind."""
    try:
        exists = path.exists()
    except OSError as exc:  # a folder on the way this user may not enter
        raise StorageError(f"cannot reach the database {path}: {exc.strerror}") from exc
    if exists:
        if not os.access(path, os.R_OK):
            raise StorageError(f"cannot open the database {path}: this user may not read "
                               "the file")
        return
    if not create:
        raise StorageError(f"the database {path} does not exist: check --db (or "
                           "HEARBACK_DATABASE_URL), or run `hearback init` to create it")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(f"cannot create the folder {path.parent}: {exc.strerror}") from exc
    if not _folder_writable(path):
        raise StorageError(f"cannot create the database {path}: this user may not write "
                           f"in the folder {path.parent}")


def _folder_writable(path: Path) -> bool:
    """Whether this process may create files next to ``path`` (WAL's -wal and -shm)."""
    return os.access(path.parent, os.W_OK)


def why_read_only(url: str | None) -> str | None:
    """For a SQLite file this user may not write, or whose folder they may not write
    (then it is opened read-only), which one: what an administrator has to change. None
    for any other database, where the server decides."""
    try:
        parsed = make_url(url or get_settings().database_url)
    except ArgumentError:
        return None
    path = _sqlite_file(parsed.database) if parsed.get_backend_name() == "sqlite" else None
    try:
        if path is None or not path.exists():
            return None
    except OSError:  # a folder on the way this user may not enter: said when it was opened
        return None
    if not os.access(path, os.W_OK):
        return f"this user may not write the file {path}"
    if not _folder_writable(path):
        return f"this user may not write its folder {path.parent}, where SQLite keeps its journal"
    return None


def _wal(cursor: Any, path: Path | None) -> None:
    """Switch to WAL; a database file SQLite cannot open is explained (WAL creates two
    files next to it, so the folder matters as much as the file)."""
    try:
        cursor.execute("PRAGMA journal_mode = WAL")
    except sqlite3.OperationalError as exc:
        if path is None or "unable to open" not in str(exc):
            raise
        raise StorageError(_open_message(path, exc)) from exc


def _open_message(path: Path, exc: Exception) -> str:
    """Why SQLite could not open an existing database, as something the user can fix."""
    if not os.access(path, os.R_OK):
        return f"cannot open the database {path}: this user may not read the file"
    if not _folder_writable(path):
        return (f"cannot read the database {path}: its folder {path.parent} is read-only "
                f"for this user, and SQLite needs to create {path.name}-shm there ({exc}); "
                "make the folder writable for this user, or copy the database with its "
                "-wal file to a folder that is")
    return (f"cannot open the database {path} ({exc}): check that this user may read and "
            f"write the file and its folder {path.parent}")


def _connect_read_only(path: Path, timeout_ms: int) -> sqlite3.Connection:
    """A connection that reads ``path`` without creating anything next to it; writes
    through it are refused as read-only (``storage_error`` says so)."""
    try:
        connection = sqlite3.connect(_read_only_uri(path), uri=True, check_same_thread=False,
                                     timeout=timeout_ms / 1000)
        connection.execute("PRAGMA schema_version")  # reads the file now: a refusal is said here
    except sqlite3.OperationalError as exc:  # "not a database" is left to storage_error
        raise StorageError(_open_message(path, exc)) from exc
    return connection


def _read_only_uri(path: Path) -> str:
    """``mode=ro``; and ``immutable=1`` when WAL's shared memory (-shm) cannot be made and
    no -wal file holds changes, which such a reader would not see (with no -wal file, no
    writer was at work on the database when the connection opened)."""
    uri = path.resolve().as_uri() + "?mode=ro"
    shm = path.with_name(path.name + "-shm")
    wal = path.with_name(path.name + "-wal")
    if not shm.exists() and (not wal.exists() or wal.stat().st_size == 0):
        uri += "&immutable=1"
    return uri


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
