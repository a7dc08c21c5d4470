"""Engine factory and session scopes.

SQLite is the field-office default, so its connections are set up for durability
(WAL, ``synchronous=FULL``), integrity (foreign keys) and many writers (a busy
timeout and ``BEGIN IMMEDIATE``, so a second writer waits for the lock instead of
failing halfway through its transaction).
"""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlmodel import Session

from tracker.errors import StorageError
from tracker.settings import get_settings

READ_ONLY = "hearback_read_only"


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
        return create_engine(url, pool_pre_ping=True)
    except Exception as exc:  # unknown driver, missing module
        raise StorageError(f"cannot use database URL {parsed.render_as_string()}: {exc}") from exc


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
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()
