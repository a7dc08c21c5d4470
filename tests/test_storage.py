"""Storage guarantees: durable SQLite settings, UTC timestamps, migrations, writers that queue."""

import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from tracker.db import make_engine, read_session
from tracker.migrate import alembic_config, check, current_revision, upgrade
from tracker.models import AuditEvent, Locality


def test_sqlite_connection_settings(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'sub' / 'x.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000


def test_schema_is_current_and_upgrade_is_idempotent(engine: Engine) -> None:
    script = ScriptDirectory.from_config(alembic_config(engine))
    assert current_revision(engine) == script.get_current_head()
    upgrade(engine)
    check(engine)  # raises if a model change has no migration


def test_timestamps_come_back_as_utc(session: Session) -> None:
    local = datetime(2026, 5, 1, 12, 0, tzinfo=timezone(timedelta(hours=3)))
    session.add(Locality(name="Kala", level="mission", created_at=local))
    session.commit()
    session.expire_all()
    stored = session.exec(select(Locality)).one().created_at
    assert stored == local
    assert stored.utcoffset() == timedelta(0)
    assert stored.hour == 9


def test_naive_timestamps_are_refused(session: Session) -> None:
    session.add(Locality(name="Kala", level="mission", created_at=datetime(2026, 5, 1, 12)))
    with pytest.raises(Exception, match="naive datetime"):
        session.commit()
    session.rollback()


def test_foreign_keys_are_enforced(session: Session) -> None:
    session.add(Locality(name="Orphan", level="locality", parent_id=999))
    with pytest.raises(Exception, match=r"(?i)foreign key"):
        session.commit()
    session.rollback()


def test_sqlite_writers_queue_instead_of_failing(tmp_path: Path) -> None:
    """Two sessions that read then write at once: BEGIN IMMEDIATE makes the second wait."""
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}", busy_timeout_ms=10_000)
    upgrade(engine)
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def writer(n: int) -> None:
        try:
            barrier.wait()
            for i in range(15):
                with Session(engine) as s:
                    s.exec(select(AuditEvent)).all()  # read first: the classic upgrade deadlock
                    s.add(AuditEvent(verb="test", entity="thread", entity_id=n * 100 + i,
                                     at=datetime.now(UTC)))
                    s.commit()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with read_session(engine) as s:
        assert s.execute(text("SELECT count(*) FROM audit_event")).scalar() == 60
