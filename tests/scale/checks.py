"""What "the database is consistent" means after many writers, or after a writer was killed.

Each check recomputes something from the raw rows and compares it with what the library
stored: SQLite's own integrity check; the cached loop facts and repeated-ask flags; the
headline figures after every derived column was wiped and rebuilt; the loop states and
repeated asks once more in plain Python, from the link tables alone; and the audit trail,
whose events must match the rows one to one (a row without its event, or an event
without its row, means a write was torn apart).
"""

from collections import Counter, defaultdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, func, select, update
from sqlmodel import Session

from tracker.codes import OPEN_ACTION_STATUSES
from tracker.db import read_session
from tracker.loop import facts_drift, loop_state_expr, refresh_loop_facts
from tracker.metrics import Figures, figures
from tracker.models import (
    Action,
    ActionInput,
    AuditEvent,
    Input,
    InputTheme,
    Locality,
    ReportBack,
    ReportBackInput,
)
from tracker.repeats import repeat_drift

_in, _ac, _ai = Input.__table__.c, Action.__table__.c, ActionInput.__table__.c
_rb, _rbi, _ae = ReportBack.__table__.c, ReportBackInput.__table__.c, AuditEvent.__table__.c
FACTS = {"actions_total": 0, "actions_open": 0, "first_action_at": None,
         "last_action_closed_at": None, "first_report_back_at": None, "closed_at": None,
         "repeats_open_ask": False}


def sqlite_intact(engine: Engine) -> None:
    """The file is not corrupt and no foreign key points nowhere."""
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalars().all() == ["ok"]
        assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []


def recomputed_figures(engine: Engine, now: datetime) -> tuple[Figures, Figures]:
    """The figures as stored, and after wiping every derived column and rebuilding it from
    the link tables (in a transaction that is rolled back)."""
    with Session(engine) as session:
        stored = figures(session, now=now)
        session.execute(update(Input.__table__).values(**FACTS))
        refresh_loop_facts(session)  # every input: facts, then repeated-ask flags
        fresh = figures(session, now=now)
        session.rollback()
    return stored, fresh


def python_loop(session: Session) -> tuple[dict[int, str], set[int]]:
    """Every input's loop state and the repeated asks, computed here from the raw rows,
    following DESIGN.md's rules, without the library's SQL."""
    inputs = {r.id: r for r in session.execute(
        select(_in.id, _in.locality_id, _in.received_at, _in.acknowledged_at))}
    actions: dict[int, list[Any]] = defaultdict(list)
    for r in session.execute(select(_ai.input_id, _ac.status, _ac.closed_at)
                             .join(Action.__table__, _ac.id == _ai.action_id)):
        actions[r.input_id].append(r)
    told: dict[int, list[datetime]] = defaultdict(list)
    for r in session.execute(select(_rbi.input_id, _rb.reported_at)
                             .join(ReportBack.__table__, _rb.id == _rbi.report_back_id)):
        told[r.input_id].append(r.reported_at)
    closed: dict[int, datetime | None] = {}
    state: dict[int, str] = {}
    for i, item in inputs.items():
        linked = actions[i]
        still_open = [a for a in linked if a.status in OPEN_ACTION_STATUSES]
        last = max(a.closed_at for a in linked) if linked and not still_open else None
        closing = [t for t in told[i] if last is None or t >= last]
        closed[i] = min(closing) if closing and not still_open else None
        state[i] = ("closed" if closed[i] else "in_action" if still_open else
                    "actioned" if linked else "acknowledged" if item.acknowledged_at else
                    "received")
    # An earlier input (by receipt, then id) of the same place and theme still open when
    # this one came: walk each (place, theme) in receipt order keeping the latest
    # "open until" seen so far.
    never = datetime.max.replace(tzinfo=UTC)
    groups: dict[tuple[int, str], list[Any]] = defaultdict(list)
    for r in session.execute(select(InputTheme.input_id, InputTheme.theme_code)):
        groups[(inputs[r.input_id].locality_id, r.theme_code)].append(inputs[r.input_id])
    repeats = set()
    for group in groups.values():
        open_until = None
        for item in sorted(group, key=lambda i: (i.received_at, i.id)):
            if open_until is not None and open_until > item.received_at:
                repeats.add(item.id)
            until = closed[item.id] or never
            open_until = until if open_until is None else max(open_until, until)
    return state, repeats


def derived_data_in_step(engine: Engine, now: datetime) -> Figures:
    """Stored facts, flags and figures equal a recomputation, in SQL and in Python."""
    with read_session(engine) as session:
        assert facts_drift(session) == []
        assert repeat_drift(session) == []
        state, repeats = python_loop(session)
        stored_states = dict(session.execute(select(_in.id, loop_state_expr())).all())
        stored_repeats = set(session.execute(
            select(_in.id).where(_in.repeats_open_ask)).scalars())
    assert stored_states == state
    assert stored_repeats == repeats
    stored, fresh = recomputed_figures(engine, now)
    assert stored == fresh
    assert stored.inputs_total == len(state)
    assert stored.inputs_closed == Counter(state.values())["closed"]
    assert stored.repeat_asks == len(repeats)
    return stored


def _events(session: Session, verb: str, entity: str) -> list[Any]:
    return list(session.execute(select(_ae.entity_id, _ae.before, _ae.after)
                                .where(_ae.verb == verb, _ae.entity == entity)
                                .order_by(_ae.id)))


def _ids(session: Session, table: Any) -> list[int]:
    return list(session.execute(select(table.c.id)).scalars())


def audit_matches_rows(engine: Engine) -> Counter[str]:
    """Every row has exactly the events that wrote it, and every event its row.

    Returns the number of events by "verb entity" for callers that know how many
    service calls were made."""
    with read_session(engine) as s:
        for verb, entity, table in (("record", "input", Input.__table__),
                                    ("create", "action", Action.__table__),
                                    ("create", "report_back", ReportBack.__table__),
                                    ("create", "locality", Locality.__table__)):
            ids = Counter(e.entity_id for e in _events(s, verb, entity))
            assert ids == Counter(_ids(s, table)), f"{verb} {entity}: rows and events differ"
        acked = set(s.execute(select(_in.id).where(_in.acknowledged_at.is_not(None))).scalars())
        ack_events = Counter(e.entity_id for e in _events(s, "acknowledge", "input"))
        assert set(ack_events) == acked and set(ack_events.values()) <= {1}
        links: Counter[tuple[int, int]] = Counter()
        for e in _events(s, "link", "input"):
            links[(e.entity_id, e.after["action_id"])] += 1
        for e in _events(s, "unlink", "input"):
            links[(e.entity_id, e.before["action_id"])] -= 1
        stored = {(r.input_id, r.action_id) for r in s.execute(select(_ai.input_id, _ai.action_id))}
        assert {k for k, v in links.items() if v} == stored and set(links.values()) <= {0, 1}
        told = Counter((e.entity_id, e.after["report_back_id"])
                       for e in _events(s, "report_back", "input"))
        assert told == Counter((r.input_id, r.report_back_id) for r in s.execute(
            select(_rbi.input_id, _rbi.report_back_id)))
        last_status = {e.entity_id: e.after["status"] for e in _events(s, "status", "action")}
        created = {e.entity_id: e.after["status"] for e in _events(s, "create", "action")}
        for action_id, status in s.execute(select(_ac.id, _ac.status)):
            assert last_status.get(action_id, created[action_id]) == status, action_id
        return Counter(f"{verb} {entity}" for verb, entity in s.execute(
            select(_ae.verb, _ae.entity)))


def row_counts(engine: Engine) -> dict[str, int]:
    with read_session(engine) as s:
        return {name: s.execute(select(func.count()).select_from(table)).scalar_one()
                for name, table in (("input", Input.__table__), ("action", Action.__table__),
                                    ("report_back", ReportBack.__table__),
                                    ("link", ActionInput.__table__))}
