"""Keeping the rollups current: the cells a write touched are recomputed from the inputs.

Why recompute rather than add and subtract: an input changes in many ways (edited,
moved to another place or day, acknowledged, linked, closed, flagged as a repeat) and
each write path would need its own delta; recomputing a cell (one place, one day, about
fifty inputs at a million) from the base rows is one indexed aggregate per dimension,
correct whatever changed, and ``rollup_drift`` checks it the same way. A day cell
(grain ``d``) is recomputed from ``input``; its month (grain ``m``) is then summed from
the day cells, so a whole-month read touches one row per place instead of thirty.

The hooks: ``tracker.repeats.refresh_repeat_flags`` (every new or edited input, every
change of closure, the importer, the demo) and ``tracker.loop.refresh_loop_facts`` (links,
statuses, report-backs) call in here, and ``acknowledge_input`` / ``edit_input`` /
``unlink_action`` / ``save_term`` for what neither of them sees. On PostgreSQL the writers'
advisory lock serialises the refreshes, so two writers of one cell cannot interleave a
delete and an insert.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np
from sqlalchemy import Connection, and_, case, delete, func, insert, literal, or_, select
from sqlalchemy.sql.elements import ColumnElement

from tracker.codes import ConsentPublic
from tracker.db import WRITE_LOCK, is_sqlite
from tracker.io.bulk import insert_rows
from tracker.metrics import _FEMALE, _MALE, _YOUTH
from tracker.models import ActionInput, Input, InputTheme, RollupActionPlace, RollupCell
from tracker.rollups import hist
from tracker.rollups.sqlfn import day_of, day_text, month_of, theme_set
from tracker.sqltypes import hours_between

_in = Input.__table__.c
_th = InputTheme.__table__.c
_rc = RollupCell.__table__
_ap = RollupActionPlace.__table__
_ai = ActionInput.__table__.c

MEASURES = ("inputs", "closed", "open_inputs", "with_report_back", "participants", "female",
            "youth", "src_women", "src_youth", "src_displaced", "src_minority", "repeats")
# Durations kept as histograms (dim "h_<name>"): name -> the later timestamp.
DURATIONS = {"ack": _in.acknowledged_at, "action": _in.first_action_at,
             "report_back": _in.first_report_back_at, "public_rb": _in.first_report_back_at}
HIST = tuple(f"h_{name}" for name in DURATIONS)
Range = tuple[int, date, date | None]  # locality, first day, day after the last (None: open)


def dimensions() -> dict[str, tuple[ColumnElement[Any], bool, list[ColumnElement[bool]]]]:
    """dim -> (its code per input row, whether rows come from ``input_theme``, which inputs).

    ``pub_set`` (inputs that may be counted in public, by their set of themes) and
    ``consent_theme`` serve the public display; which themes are sensitive is applied
    when reading, so a theme becoming sensitive needs no recount of these."""
    from tracker.public.sources import OPEN_SENSITIVITIES  # late: that package reads rollups

    consent = _in.consent_public != ConsentPublic.NONE.value
    return {
        "all": (literal(""), False, []),
        "theme": (_th.theme_code, True, []),
        "channel": (_in.channel_code, False, []),
        "component": (func.coalesce(_in.component_code, ""), False, []),
        "section": (func.coalesce(_in.section_code, ""), False, []),
        "language": (_in.language, False, []),
        "closed_on": (day_text(_in.closed_at), False, [_in.closed_at.is_not(None)]),
        "pub_set": (func.coalesce(theme_set(_in.id), ""), False,
                    [consent, _in.sensitivity.in_(OPEN_SENSITIVITIES)]),
        "consent_theme": (_th.theme_code, True, [consent]),
    }


def _people(names: tuple[str, ...]) -> ColumnElement[int]:
    return sum((func.coalesce(getattr(_in, n), 0) for n in names), literal(0))


def _flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return case((condition, 1), else_=0)


def _row_values() -> list[ColumnElement[Any]]:
    """Per input, what each measure adds (in ``MEASURES`` order), then ``oldest_open``."""
    is_open = _in.closed_at.is_(None)
    return [
        literal(1), _flag(_in.closed_at.is_not(None)), _flag(is_open),
        _flag(_in.first_report_back_at.is_not(None)), _people(_FEMALE + _MALE),
        _people(_FEMALE), _people(_YOUTH), _flag(_in.source_women), _flag(_in.source_youth),
        _flag(_in.source_displaced), _flag(_in.source_minority),
        _flag(_in.repeats_open_ask.is_(True)),
        case((is_open, _in.received_at), else_=None),
    ]


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def _input_scope(ranges: list[Range] | None) -> list[ColumnElement[bool]]:
    if ranges is None:
        return []
    parts = [and_(_in.locality_id == loc, _in.received_at >= _day_start(start),
                  *([_in.received_at < _day_start(end)] if end else []))
             for loc, start, end in ranges]
    return [or_(*parts)]


def _cell_scope(ranges: list[Range] | None, grain: str, table: Any = _rc) -> list[ColumnElement[bool]]:
    c = table.c
    if ranges is None:
        return [c.grain == grain]
    parts = []
    for loc, start, end in ranges:
        if grain == "m":
            start = start.replace(day=1)
            end = _next_month(end - timedelta(days=1)) if end else None
        parts.append(and_(c.locality_id == loc, c.day >= start, *([c.day < end] if end else [])))
    return [c.grain == grain, or_(*parts)]


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _insert_days(session: Any, ranges: list[Range] | None) -> None:
    where = _input_scope(ranges)
    for dim, (code, themed, extra) in dimensions().items():
        source = Input.__table__
        if themed:
            source = InputTheme.__table__.join(Input.__table__, _th.input_id == _in.id)
        names = [*MEASURES, "oldest_open"]
        rows = (select(day_of(_in.received_at).label("day"), _in.locality_id.label("loc"),
                       code.label("code"), *(v.label(n) for v, n in zip(_row_values(), names, strict=True)))
                .select_from(source).where(*where, *extra).subquery())
        stmt = (select(literal("d"), literal(dim), rows.c.day, rows.c.loc, rows.c.code,
                       *(func.sum(rows.c[n]) for n in MEASURES), func.min(rows.c.oldest_open))
                .group_by(rows.c.day, rows.c.loc, rows.c.code))
        session.execute(insert(_rc).from_select(
            ["grain", "dim", "day", "locality_id", "code", *MEASURES, "oldest_open"], stmt))


def _insert_months(session: Any, ranges: list[Range] | None) -> None:
    c = _rc.c
    day_rows = select(month_of(c.day).label("month"), c.locality_id.label("loc"), c.dim.label("dim"),
                      c.code.label("code"), *(c[n] for n in MEASURES), c.oldest_open)
    day_rows = day_rows.where(*_month_sources(ranges), c.dim.not_in(HIST)).subquery()
    r = day_rows.c
    stmt = (select(literal("m"), r.dim, r.month, r.loc, r.code,
                   *(func.sum(r[n]) for n in MEASURES), func.min(r.oldest_open))
            .group_by(r.dim, r.month, r.loc, r.code))
    session.execute(insert(_rc).from_select(
        ["grain", "dim", "day", "locality_id", "code", *MEASURES, "oldest_open"], stmt))


def _month_sources(ranges: list[Range] | None, table: Any = _rc) -> list[ColumnElement[bool]]:
    """The day cells of every month a range touches."""
    month_ranges = None if ranges is None else [
        (loc, start.replace(day=1), _next_month(end - timedelta(days=1)) if end else None)
        for loc, start, end in ranges]
    return _cell_scope(month_ranges, "d", table)


def _public(session: Any) -> ColumnElement[bool]:
    """``tracker.public.sources.public_input`` (imported late: that package reads rollups)."""
    from tracker.public.sources import public_input, sensitive_codes

    return public_input(Input.__table__, sensitive_codes(session))


def _histograms(session: Any, ranges: list[Range] | None, measures: tuple[str, ...] = tuple(DURATIONS)
                ) -> None:
    """Day histograms from the inputs, then month histograms from the day ones."""
    where = _input_scope(ranges)
    public = _public(session)
    rows: list[dict[str, Any]] = []
    dims = [f"h_{m}" for m in measures]
    for measure in measures:
        later = DURATIONS[measure]
        inner = (select(day_of(_in.received_at).label("day"), _in.locality_id.label("loc"),
                        hist.bucket_expr(hours_between(later, _in.received_at)).label("b"))
                 .where(*where, later.is_not(None), *([public] if measure == "public_rb" else []))
                 .subquery())
        found = session.execute(select(inner.c.day, inner.c.loc, inner.c.b, func.count())
                                .group_by(inner.c.day, inner.c.loc, inner.c.b)
                                .order_by(inner.c.day, inner.c.loc, inner.c.b)).all()
        rows += _blobs("d", f"h_{measure}", found)
    _bulk_insert(session, rows)
    c = _rc.c
    months: dict[tuple[str, date, int], list[bytes]] = defaultdict(list)
    for dim, day, loc, blob in session.execute(
            select(c.dim, c.day, c.locality_id, c.counts).where(*_month_sources(ranges), c.dim.in_(dims))):
        months[(dim, _as_date(day).replace(day=1), loc)].append(blob)
    merged = []
    for (dim, month, loc), blobs in months.items():
        index, counts = hist.merge(blobs)
        merged.append(_hist_row("m", dim, month, loc, index, counts))
    _bulk_insert(session, merged)


def _hist_row(grain: str, dim: str, day: date, loc: int, index: np.ndarray,
              counts: np.ndarray) -> dict[str, Any]:
    return hist_cell(grain, dim, day, loc, hist.encode(index, counts), int(counts.sum()))


def hist_cell(grain: str, dim: str, day: date, loc: int, blob: bytes, total: int
              ) -> dict[str, Any]:
    """A histogram's ``rollup_cell`` row: its counts in ``counts``, their sum in ``inputs``."""
    return {"grain": grain, "dim": dim, "day": day, "locality_id": loc, "code": "",
            **dict.fromkeys(MEASURES, 0), "inputs": total, "oldest_open": None, "counts": blob}


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _blobs(grain: str, dim: str, found: list[Any]) -> list[dict[str, Any]]:
    """Rows (day, locality, bucket, count), sorted by cell, as one histogram row per cell."""
    out: list[dict[str, Any]] = []
    if not found:
        return out
    arr = np.array([(b, n) for _, _, b, n in found], dtype="int64")
    keys = [(_as_date(d), loc) for d, loc, _, _ in found]
    start = 0
    for i in range(1, len(found) + 1):
        if i == len(found) or keys[i] != keys[start]:
            out.append(_hist_row(grain, dim, *keys[start], arr[start:i, 0], arr[start:i, 1]))
            start = i
    return out


def _bulk_insert(session: Any, rows: list[dict[str, Any]]) -> None:
    insert_rows(_connection(session), _rc, rows)


def _connection(session: Any) -> Connection:
    """The connection under ``session``; the rebuild is also handed a bare connection."""
    return session if isinstance(session, Connection) else session.connection()


def refresh_action_places(session: Any, action_ids: Iterable[int] | None) -> None:
    """Recompute the places of the inputs each action answers, and apart those of its
    public inputs (all actions when None).

    For some actions, their links and then their inputs are read by key, in two steps:
    in one join, SQLite's planner may start from every public input instead."""
    public = _public(session)
    if action_ids is None:
        session.execute(delete(_ap))
        source = ActionInput.__table__.join(Input.__table__, _ai.input_id == _in.id)
        for flag, where in ((False, []), (True, [public])):
            stmt = (select(_ai.action_id, _in.locality_id, literal(flag)).distinct()
                    .select_from(source).where(*where))
            session.execute(insert(_ap).from_select(["action_id", "locality_id", "public"], stmt))
        return
    ids = sorted(set(action_ids))
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        links = session.execute(select(_ai.action_id, _ai.input_id).where(_ai.action_id.in_(chunk))).all()
        inputs = sorted({i for _, i in links})
        place: dict[int, tuple[int, bool]] = {}
        for at in range(0, len(inputs), 500):
            for i, loc, is_public in session.execute(select(
                    _in.id, _in.locality_id, case((public, True), else_=False)).where(
                    _in.id.in_(inputs[at:at + 500]))):
                place[i] = (loc, bool(is_public))
        session.execute(delete(_ap).where(_ap.c.action_id.in_(chunk)))
        rows = {(a, place[i][0], False) for a, i in links}
        rows |= {(a, place[i][0], True) for a, i in links if place[i][1]}
        insert_rows(_connection(session), _ap, [{"action_id": a, "locality_id": loc, "public": p}
                                                for a, loc, p in sorted(rows)])


def _lock(session: Any) -> None:
    """PostgreSQL: hold the writers' lock (``tracker.db.WRITE_LOCK``, re-entrant: engines from
    ``make_engine`` took it when the transaction began) so two refreshes never interleave;
    one lock for every writer, taken in the same order, cannot deadlock with another."""
    if not is_sqlite(session):
        session.execute(select(func.pg_advisory_xact_lock(WRITE_LOCK)))


def refresh_ranges(session: Any, ranges: list[Range] | None) -> None:
    """Recompute every cell in ``ranges`` (all of them when None), days then months."""
    if ranges is not None and not ranges:
        return
    _lock(session)
    chunks = [None] if ranges is None else [ranges[i:i + 100] for i in range(0, len(ranges), 100)]
    for chunk in chunks:
        session.execute(delete(_rc).where(*_cell_scope(chunk, "d")))
        session.execute(delete(_rc).where(*_cell_scope(chunk, "m")))
        _insert_days(session, chunk)
        _insert_months(session, chunk)
        _histograms(session, chunk)
        actions = None
        if chunk is not None:
            actions = session.execute(select(_ai.action_id).distinct().select_from(
                ActionInput.__table__.join(Input.__table__, _ai.input_id == _in.id))
                .where(*_input_scope(chunk))).scalars().all()
        refresh_action_places(session, actions)


def refresh_public(session: Any) -> None:
    """What depends on which themes are sensitive (``Term.restricted``): the public wait
    histograms and the places of the actions' public inputs. For a theme's new flag."""
    _lock(session)
    session.execute(delete(_rc).where(_rc.c.dim == "h_public_rb"))
    _histograms(session, None, ("public_rb",))
    refresh_action_places(session, None)


def rebuild(session: Any) -> None:
    """Recompute every rollup from the inputs (migration, demo, a whole-table refresh)."""
    refresh_ranges(session, None)


def cells_at(locality_id: int, received_at: datetime) -> set[tuple[int, date]]:
    """The cell an input received at ``received_at`` in ``locality_id`` belongs to."""
    return {(locality_id, received_at.astimezone(UTC).date())}


def refresh_cells(session: Any, cells: Iterable[tuple[int, date]]) -> None:
    """Recompute the given (locality, day) cells, consecutive days as one range."""
    ranges: list[Range] = []
    for loc, day in sorted(set(cells)):
        if ranges and ranges[-1][0] == loc and ranges[-1][2] == day:
            ranges[-1] = (loc, ranges[-1][1], day + timedelta(days=1))
        else:
            ranges.append((loc, day, day + timedelta(days=1)))
    refresh_ranges(session, ranges)


def cells_of(session: Any, input_ids: Iterable[int]) -> set[tuple[int, date]]:
    """The (locality, day) cell each input is in now."""
    ids = sorted(set(input_ids))
    cells: set[tuple[int, date]] = set()
    for start in range(0, len(ids), 500):
        rows = session.execute(select(_in.locality_id, _in.received_at)
                               .where(_in.id.in_(ids[start:start + 500])))
        cells |= {(loc, at.astimezone(UTC).date()) for loc, at in rows}
    return cells


def refresh_inputs(session: Any, input_ids: Iterable[int],
                   also: Iterable[tuple[int, date]] = ()) -> None:
    """Recompute the cells of ``input_ids`` (and ``also``: cells they just left)."""
    refresh_cells(session, cells_of(session, input_ids) | set(also))


def rollup_drift(session: Any) -> list[tuple[Any, ...]]:
    """Keys of the cells and histograms that differ from a recomputation (should be none);
    the recomputation is rolled back, so checking changes nothing."""
    def snapshot() -> dict[tuple[Any, ...], tuple[Any, ...]]:
        cells = {("cell", *r[:5]): tuple(r[5:]) for r in session.execute(select(_rc)).all()}
        return cells | {("action", *r): () for r in session.execute(select(_ap)).all()}

    stored = snapshot()
    savepoint = session.begin_nested()
    try:
        rebuild(session)
        fresh = snapshot()
    finally:
        savepoint.rollback()
    return sorted((k for k in stored.keys() | fresh.keys() if stored.get(k) != fresh.get(k)), key=str)
