"""The audit trail: hash-chained, append-only in the database, checked by ``hearback audit verify``."""

import hashlib
import json
import threading
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from tests.utils.factories import World, build_world, make_input
from tracker.audit import (
    _CANONICAL,
    HASHED,
    _jsonable,
    canonical,
    digest,
    events_in_order,
    verify_chain,
)
from tracker.cli import cli
from tracker.db import make_engine, read_session
from tracker.migrate import upgrade


@pytest.fixture
def world(session: Session) -> World:
    w = build_world(session)
    for hours in range(3):
        make_input(session, w.officer, w.town, hours=hours)
    return w


def _verify(engine: Engine) -> tuple[int, str]:
    url = engine.url.render_as_string(hide_password=False)
    env = {}
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            env["PGOPTIONS"] = f"-csearch_path={conn.execute(text('SELECT current_schema()')).scalar()}"
    result = CliRunner().invoke(cli, ["--db", url, "audit", "verify"], obj={}, env=env)
    return result.exit_code, result.output


def _tamper(engine: Engine, sql: str) -> None:
    """Change the trail behind the app's back, as someone with the database file could."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))  # triggers off
            conn.execute(text(sql))
        else:
            conn.execute(text("DROP TRIGGER audit_event_no_update"))
            conn.execute(text("DROP TRIGGER audit_event_no_delete"))
            conn.execute(text(sql))


def test_every_write_extends_an_intact_chain(engine: Engine, world: World) -> None:
    with read_session(engine) as s:
        report = verify_chain(s.connection())
    assert report.ok and report.checked >= 3 + 9  # three inputs, the world's users and places
    code, out = _verify(engine)
    assert code == 0 and f"Audit trail intact: {report.checked} events" in out


@pytest.mark.parametrize("sql", ["UPDATE audit_event SET reason = 'tidied' WHERE id = 3",
                                 "DELETE FROM audit_event WHERE id = 3"])
def test_the_database_refuses_to_change_the_trail(engine: Engine, world: World, sql: str) -> None:
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text(sql))
    assert _verify(engine)[0] == 0


@pytest.mark.parametrize("sql, problem", [
    ("UPDATE audit_event SET after = NULL WHERE id = 5", "its content was changed"),
    ("UPDATE audit_event SET user_id = NULL WHERE id = 5", "its content was changed"),
    ("DELETE FROM audit_event WHERE id = 5", "the event before it was changed or deleted"),
])
def test_a_tampered_event_is_named(engine: Engine, world: World, sql: str, problem: str) -> None:
    with engine.connect() as conn:
        uid = conn.execute(text("SELECT uid FROM audit_event WHERE id = 6")).scalar()
        uid5 = conn.execute(text("SELECT uid FROM audit_event WHERE id = 5")).scalar()
    _tamper(engine, sql)
    code, out = _verify(engine)
    assert code == 1 and problem in out
    if sql.startswith("DELETE"):  # the first event that no longer fits is the one after it
        assert "event 6" in out and uid in out
    else:
        assert "event 5" in out and uid5 in out and "4 events before it are intact" in out


def test_an_edit_that_also_recomputes_its_own_hash_breaks_the_next_link(
        engine: Engine, world: World) -> None:
    with engine.connect() as conn:
        row = next(e for e in events_in_order(conn) if e["id"] == 4)
    forged = row | {"reason": "nothing happened here"}
    _tamper(engine, f"UPDATE audit_event SET reason = 'nothing happened here', "
                    f"hash = '{digest(forged)}' WHERE id = 4")
    code, out = _verify(engine)
    assert code == 1 and "event 5" in out and "before it was changed" in out


def test_concurrent_writers_chain_one_after_another(engine: Engine, world: World) -> None:
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            with Session(engine, expire_on_commit=False) as s:
                for i in range(5):
                    make_input(s, world.officer, world.village, hours=10 + n * 10 + i)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with read_session(engine) as s:
        report = verify_chain(s.connection())
    assert report.ok, report


def test_the_migration_chains_events_written_before_it(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0003")
    with engine.begin() as conn:
        for i in range(3):
            conn.execute(text(
                "INSERT INTO audit_event (uid, at, verb, entity, after) VALUES "
                f"('u{i}', '2026-01-0{i + 1} 10:00:00.000000', 'create', 'term', '{{\"n\": {i}}}')"))
    upgrade(engine)
    with read_session(engine) as s:
        report = verify_chain(s.connection())
    assert report.ok and report.checked == 3
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_event"))


SNAPSHOTS = [
    {},
    {"id": 7, "uid": "0f3c", "received_at": datetime(2026, 3, 1, 9, 5, 7, 120, tzinfo=UTC),
     "due": date(2026, 4, 1), "text": "Le forage est en panne", "summary": None},
    {"original_text": "المياه مقطوعة منذ أسبوع", "score": 0.1 + 0.2, "flag": True,
     "theme_codes": ["water", "health"], "messages": {"fr": "Réparé", "ar": "تم الإصلاح"}},
    {"quote": 'a "quoted" line\nand a tab\t', "zero": 0, "negative": -3, "big": 2**40},
]


@pytest.mark.parametrize("snapshot", SNAPSHOTS)
def test_a_snapshot_encoded_once_hashes_and_reads_back_as_before(snapshot: dict) -> None:
    """The importer stores each snapshot's canonical text and splices it into the hash;
    the chain must verify from the stored row as from the dict the services hash."""
    text = canonical(snapshot)
    assert text == _CANONICAL.encode(_jsonable(snapshot))
    assert json.loads(text) == _jsonable(snapshot)
    event = {"uid": "e1", "at": datetime(2026, 3, 1, 10, tzinfo=UTC), "user_id": 1,
             "verb": "record", "entity": "input", "entity_id": 7, "entity_uid": "0f3c",
             "before": {"acknowledged_at": None}, "after": text, "reason": "import x line 2",
             "prev_hash": "ab" * 32}
    as_stored = {**event, "after": json.loads(text)}  # what verify_chain reads back
    assert digest(event) == digest(as_stored)
    whole = {k: as_stored.get(k) for k in HASHED} | {"at": "2026-03-01T10:00:00.000000+00:00"}
    assert digest(event) == hashlib.sha256(_CANONICAL.encode(whole).encode()).hexdigest()
    assert digest(event) != digest({**as_stored, "after": {**as_stored["after"], "x": 1}})


EVENTS = [
    {"uid": "e2", "at": datetime(2026, 3, 1, 13, 30, tzinfo=timezone(timedelta(hours=3))),
     "user_id": None, "verb": "acknowledge", "entity": "input", "entity_id": None,
     "entity_uid": None, "before": {"acknowledged_at": None},
     "after": {"acknowledged_at": "2026-03-01T10:30:00+00:00"}, "reason": None,
     "prev_hash": None},
    {"uid": "e3", "at": "2026-03-01T10:30:00.000000+00:00", "user_id": 12, "verb": "édition",
     "entity": "report_back", "entity_id": 2**40, "entity_uid": "ü\"x", "before": [1, True],
     "after": None, "reason": "ligne\t2 — تصحيح", "prev_hash": "cd" * 32},
]


@pytest.mark.parametrize("event", EVENTS)
def test_an_event_hashes_as_its_whole_canonical_json(event: dict) -> None:
    """The hash is taken over the event encoded field by field; it must stay the hash of
    the whole event's canonical JSON, or chains written before would stop verifying."""
    whole = {k: event.get(k) for k in HASHED}
    if isinstance(whole["at"], datetime):
        whole["at"] = whole["at"].astimezone(UTC).isoformat(timespec="microseconds")
    assert digest(event) == hashlib.sha256(_CANONICAL.encode(whole).encode()).hexdigest()
