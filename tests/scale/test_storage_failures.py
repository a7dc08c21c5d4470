"""When the database cannot take a write — busy past the timeout, disk full, read-only —
the caller gets one clear error (the CLI one sentence and exit status 1, never a
traceback), nothing is half-written, the file stays intact and reads go on working.

A full disk is simulated with SQLite's ``max_page_count`` (the file may not grow), a
read-only database with a read-only URL (SQLite ``mode=ro``; PostgreSQL
``default_transaction_read_only``, as on a hot standby) — chmod would not do: the tests
may run as root.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, event, func, select
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from tests.io.test_kill import _target
from tests.scale.checks import derived_data_in_step, sqlite_intact
from tests.scale.conftest import LOG_MAPPING, Scene, write_log
from tracker.cli import cli
from tracker.db import BUSY, DISK_FULL, READ_ONLY_MESSAGE, make_engine, read_session, storage_error
from tracker.errors import (
    DatabaseBusy,
    DatabaseUnreachable,
    DiskFull,
    ReadOnlyDatabase,
    StorageError,
)
from tracker.io.importer import import_file
from tracker.io.mapping import load_mapping
from tracker.metrics import figures
from tracker.models import AuditEvent, ImportKey, Input
from tracker.services import record_input
from tracker.sqltypes import utcnow


def _wrapped(orig: Exception) -> OperationalError:
    return OperationalError("INSERT ...", {}, orig)


@pytest.mark.parametrize(("orig", "kind", "message"), [
    (__import__("sqlite3").OperationalError("database is locked"), DatabaseBusy, BUSY),
    (__import__("sqlite3").OperationalError("database or disk is full"), DiskFull, DISK_FULL),
    (__import__("sqlite3").OperationalError("attempt to write a readonly database"),
     ReadOnlyDatabase, READ_ONLY_MESSAGE),
    (psycopg.errors.SerializationFailure("could not serialize access"), DatabaseBusy, BUSY),
    (psycopg.errors.DeadlockDetected("deadlock detected"), DatabaseBusy, BUSY),
    (psycopg.errors.LockNotAvailable("canceling statement due to lock timeout"),
     DatabaseBusy, BUSY),
    (psycopg.errors.DiskFull("could not extend file"), DiskFull, DISK_FULL),
    (psycopg.errors.ReadOnlySqlTransaction("cannot execute INSERT in a read-only transaction"),
     ReadOnlyDatabase, READ_ONLY_MESSAGE),
    (psycopg.errors.AdminShutdown("terminating connection"), DatabaseUnreachable, None),
    (psycopg.OperationalError("connection failed: Connection refused"), DatabaseUnreachable,
     None),
    (psycopg.errors.NumericValueOutOfRange("integer out of range"), StorageError,
     "the database refused the change: integer out of range"),
])
def test_driver_errors_become_plain_ones(orig: Exception, kind: type, message: str | None) -> None:
    error = storage_error(_wrapped(orig))
    assert type(error) is kind
    if message:
        assert str(error) == message


def _data(place: int, text: str = "Le forage est en panne.") -> dict[str, Any]:
    return {"received_at": utcnow(), "channel_code": "town_hall", "locality_id": place,
            "type_code": "request", "theme_codes": ["basic_services"], "language": "fr",
            "original_text": text}


def _counts(engine: Engine) -> tuple[int, int, int]:
    with read_session(engine) as s:
        return tuple(s.execute(select(func.count()).select_from(m)).scalar_one()  # type: ignore[return-value]
                     for m in (Input, AuditEvent, ImportKey))


@contextmanager
def _same_database(engine: Engine, *, busy_ms: int | None = None,
                   read_only: bool = False) -> Iterator[Engine]:
    """Another engine on the test's database (and schema), as a second process would open
    it: with a short busy timeout, or read-only."""
    url, extra = _target(engine)
    saved = os.environ.get("PGOPTIONS")
    if engine.dialect.name == "sqlite":
        if read_only:
            url = f"sqlite:///file:{engine.url.database}?mode=ro&uri=true"
    else:
        os.environ["PGOPTIONS"] = extra["PGOPTIONS"] + (
            " -c default_transaction_read_only=on" if read_only else "")
    other = make_engine(url, busy_timeout_ms=busy_ms)
    try:
        yield other
    finally:
        other.dispose()
        if saved is None:
            os.environ.pop("PGOPTIONS", None)
        else:
            os.environ["PGOPTIONS"] = saved


def test_a_writer_kept_waiting_is_told_to_try_again(engine: Engine, scene: Scene) -> None:
    place = scene.places.kasolima.id
    actor = scene.places.admin
    before = _counts(engine)
    with _same_database(engine, busy_ms=300) as impatient, engine.connect() as holder:
        holder.begin()  # takes the write lock (BEGIN IMMEDIATE, or the advisory lock)
        with Session(impatient) as s, pytest.raises(DatabaseBusy) as caught:
            record_input(session=s, actor=actor, data=_data(place))
        assert str(caught.value) == BUSY
        holder.rollback()
        assert _counts(engine) == before  # nothing was saved
        with Session(impatient) as s:  # the lock is free: trying again works
            record_input(session=s, actor=actor, data=_data(place))
    assert _counts(engine)[0] == before[0] + 1


def test_read_only_database_refuses_writes_and_serves_reads(engine: Engine, scene: Scene,
                                                            tmp_path: Path) -> None:
    place = scene.places.kasolima.id
    actor = scene.places.admin
    log = write_log(tmp_path / "log.csv", "RO", 16)
    before = _counts(engine)
    with _same_database(engine, read_only=True) as ro:
        with Session(ro) as s, pytest.raises(ReadOnlyDatabase, match="read-only"):
            record_input(session=s, actor=actor, data=_data(place))
        with Session(ro) as s, pytest.raises(ReadOnlyDatabase):
            import_file(s, actor, log, load_mapping(LOG_MAPPING))
        with read_session(ro) as s:  # reads go on working
            assert figures(s).inputs_total == before[0]
    assert _counts(engine) == before
    sqlite_intact(engine)


@contextmanager
def _disk_full(room: int = 0) -> Iterator[None]:
    """Every SQLite connection this process opens meanwhile may grow its file by ``room``
    pages at most: then the disk is full, in effect."""

    def cap(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        pages = cursor.execute("PRAGMA page_count").fetchone()[0]
        cursor.execute(f"PRAGMA max_page_count = {pages + room}")
        cursor.close()

    event.listen(Engine, "connect", cap)
    try:
        yield
    finally:
        event.remove(Engine, "connect", cap)


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_full_disk_refuses_writes_keeps_the_file_and_reads(engine: Engine, scene: Scene,
                                                           tmp_path: Path) -> None:
    place = scene.places.kasolima.id
    actor = scene.places.admin
    saved, refused = 0, None
    with _disk_full(), _same_database(engine) as full:
        for n in range(200):  # the free pages the file has go first
            try:
                with Session(full) as s:
                    record_input(session=s, actor=actor, data=_data(place, f"{n} " + "x" * 2000))
                saved += 1
            except DiskFull as exc:
                refused = exc
                break
        assert refused is not None and str(refused) == DISK_FULL
        with read_session(full) as s:
            assert figures(s).inputs_total == saved  # reads go on working
    with read_session(engine) as s:
        audited = s.execute(select(func.count()).select_from(AuditEvent)
                            .where(AuditEvent.verb == "record")).scalar_one()
    assert _counts(engine)[0] == saved == audited
    sqlite_intact(engine)
    derived_data_in_step(engine, utcnow())


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_full_disk_in_the_cli_import(engine: Engine, scene: Scene, tmp_path: Path) -> None:
    """The import stops with the message (no row rejected for it); after space is freed,
    the same command imports exactly the rows that were missing."""
    log = write_log(tmp_path / "log.csv", "DF", 400)
    url = engine.url.render_as_string(hide_password=False)
    args = ["--db", url, "import", str(log), "--mapping", str(LOG_MAPPING), "--batch-size", "20"]
    with _disk_full(room=60):  # room for a few batches, not for the file
        failed = CliRunner().invoke(cli, args)
        shown = CliRunner().invoke(cli, ["--db", url, "metrics", "--json"])
    assert failed.exit_code == 1, failed.output
    assert failed.output.startswith(f"Error: {DISK_FULL} (the import stopped after ")
    assert isinstance(failed.exception, SystemExit)  # a message, not a traceback
    assert shown.exit_code == 0 and '"inputs_total"' in shown.output
    sqlite_intact(engine)
    derived_data_in_step(engine, utcnow())
    done = _counts(engine)[2]
    assert 0 < done < 400
    again = CliRunner().invoke(cli, [*args, "--json"])
    assert again.exit_code == 0, again.output
    assert f'"imported": {400 - done}, "duplicates": {done}, "rejected": 0' in again.output
    assert _counts(engine)[2] == 400


def test_read_only_database_in_the_cli(engine: Engine, scene: Scene, tmp_path: Path) -> None:
    """A real process on a read-only URL: import refused in one sentence, metrics served."""
    import subprocess
    import sys

    from tracker.settings import PROJECT_ROOT

    log = write_log(tmp_path / "log.csv", "RC", 16)
    url, extra = _target(engine)
    env = os.environ | {"PYTHONPATH": str(PROJECT_ROOT)} | extra
    if engine.dialect.name == "sqlite":
        url = f"sqlite:///file:{engine.url.database}?mode=ro&uri=true"
    else:
        env["PGOPTIONS"] += " -c default_transaction_read_only=on"

    def hearback(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "tracker.cli", "--db", url, *args],
                              env=env, capture_output=True, text=True, timeout=120)

    before = _counts(engine)
    refused = hearback("import", str(log), "--mapping", str(LOG_MAPPING))
    assert refused.returncode == 1
    assert refused.stderr.strip() == f"Error: {READ_ONLY_MESSAGE}"
    served = hearback("metrics", "--json")
    assert served.returncode == 0, served.stderr
    assert f'"inputs_total": {before[0]}' in served.stdout
    assert _counts(engine) == before
    sqlite_intact(engine)
