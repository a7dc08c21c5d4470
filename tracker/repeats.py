"""Repeated asks: an input that repeats an earlier one still open from the same place.

"Asked N times before" is the sign that nothing changed. Whether an input repeats an
open ask is stored on the input (``Input.repeats_open_ask``) because recomputing it
for a million inputs on every dashboard view is a self-join the dashboard cannot
afford. The flag is never set by hand: ``refresh_repeat_flags`` recomputes it from the
inputs, their themes and their closure times, in the same transaction as every write
that can change it — a new or edited input (for itself and the later inputs of its
locality) and a change of an input's closure time (for the later inputs of its
locality received after the earlier of the old and new closure). Every partial
refresh also recounts the rollup cells (``tracker.rollups.build``) of the inputs whose
flag changed, and those the calling write names: each write that adds, moves or closes
an input passes through here.

An input repeats an earlier ask when an input of the same locality sharing one of its
themes was received before it (at the same instant: with a smaller id) and was not
closed at that moment.
"""

from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import and_, exists, func, literal, or_, select, update
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from tracker.db import is_sqlite
from tracker.models import Input, InputTheme
from tracker.rollups import build as rollups
from tracker.sqltypes import UTCDateTime

# Above this many rows to refresh, one window pass beats a lookup per row.
ROW_BY_ROW_LIMIT = 200

_in = Input.__table__.c
_th = InputTheme.__table__.c


def repeat_expression() -> ColumnElement[bool]:
    """EXISTS(...) for the ``input`` row in scope; the single definition of a repeat."""
    earlier = aliased(Input.__table__, name="earlier")
    mine = aliased(InputTheme.__table__, name="mine")
    theirs = aliased(InputTheme.__table__, name="theirs")
    return (
        exists()
        .where(
            mine.c.input_id == _in.id,
            theirs.c.theme_code == mine.c.theme_code,
            theirs.c.input_id == earlier.c.id,
            earlier.c.locality_id == _in.locality_id,
            or_(earlier.c.received_at < _in.received_at,
                and_(earlier.c.received_at == _in.received_at, earlier.c.id < _in.id)),
            or_(earlier.c.closed_at.is_(None), earlier.c.closed_at > _in.received_at),
        )
        .correlate(Input.__table__)
    )


def _repeating_ids(locality_ids: list[int] | None = None, since: datetime | None = None,
                   *, added_from: int | None = None) -> ColumnElement:
    """The repeating inputs (of ``locality_ids``, received from ``since`` on) in one window
    pass over (locality, theme) in receipt order — for refreshing many rows, where a
    per-row EXISTS is slow."""
    never = datetime(9999, 12, 31, tzinfo=UTC)
    open_until = func.max(func.coalesce(_in.closed_at, literal(never, UTCDateTime))).over(
        partition_by=(_in.locality_id, _th.theme_code),
        order_by=(_in.received_at, _in.id),
        rows=(None, -1),
    )
    windowed = (
        select(_th.input_id.label("input_id"), _in.received_at.label("received_at"),
               _in.repeats_open_ask.label("flag"), open_until.label("open_until"))
        .select_from(InputTheme.__table__.join(Input.__table__, _th.input_id == _in.id))
        .where(*([_in.locality_id.in_(locality_ids)] if locality_ids is not None else []),
               *([_could_matter_since(since)] if since is not None else []))
        .subquery()
    )
    later = [windowed.c.received_at >= since] if since is not None else []
    if added_from is not None:  # see update_repeat_flags
        later.append(or_(windowed.c.flag.is_not(True), windowed.c.input_id >= added_from))
    return select(windowed.c.input_id).where(windowed.c.open_until > windowed.c.received_at, *later)


def _could_matter_since(since: datetime) -> ColumnElement[bool]:
    """The rows a window pass for inputs received from ``since`` on needs: those inputs,
    and earlier ones still open at ``since``. An input closed by then cannot make a
    later one a repeat, so leaving it out keeps a batch's pass off a place's whole past."""
    return or_(_in.received_at >= since, _in.closed_at.is_(None), _in.closed_at > since)


def refresh_repeat_flags(
    session: Session, *, locality_ids: Iterable[int] | None = None,
    since: datetime | None = None, cells: Iterable[tuple[int, date]] = (),
) -> None:
    """Recompute the flag for inputs of ``locality_ids`` received at or after ``since``
    (every input when both are None), then the rollup cells of the inputs whose flag
    changed, together with ``cells`` (those the caller's own write touched)."""
    if locality_ids is None and since is None:
        _refresh_every_flag(session)
        return  # a whole-table refresh: the caller rebuilds the rollups (after migrating them)
    changed = update_repeat_flags(session, locality_ids=locality_ids, since=since)
    rollups.refresh_cells(session, {cell for _, cell in changed} | set(cells))


def _refresh_every_flag(session: Session) -> None:
    """Every flag from one window pass (migration, demo); on PostgreSQL cleared, then set
    by joining the pass's result.

    On PostgreSQL, as ``SET flag = id IN (subquery)`` it needs the whole result in memory
    (``work_mem``) to hash it, or it rescans the result for every row, which at a million
    inputs does not finish; a join can spill to disk instead."""
    table = Input.__table__
    if is_sqlite(session):  # SQLite materialises the list once
        session.execute(update(table).values(repeats_open_ask=_in.id.in_(_repeating_ids())))
        return
    repeating = _repeating_ids().subquery()
    session.execute(update(table).where(_in.repeats_open_ask.is_(True)).values(repeats_open_ask=False))
    session.execute(update(table).where(_in.id == repeating.c.input_id).values(repeats_open_ask=True))


def update_repeat_flags(
    session: Session, *, locality_ids: Iterable[int] | None, since: datetime | None,
    added_from: int | None = None,
) -> list[tuple[int, tuple[int, date]]]:
    """Rewrite the flags of inputs of ``locality_ids`` received at or after ``since``
    that changed; return each such input's id and rollup cell, for the caller to recount.

    Only the rows whose flag changes are written, and only their cells recounted: a
    back-dated input in a busy place changes few flags among many later inputs.
    ``added_from``: the only change was adding the inputs from this id on. A new input
    can make others repeats but never stop one being a repeat, so flags already set
    are left unread (in a busy place, nearly all of them)."""
    where = []
    ids = None
    if locality_ids is not None:
        ids = sorted(set(locality_ids))
        if not ids:
            return []
        where.append(_in.locality_id.in_(ids))
    if since is not None:
        where.append(_in.received_at >= since)
    if added_from is not None:
        where.append(or_(_in.repeats_open_ask.is_not(True), _in.id >= added_from))
    affected = session.execute(select(func.count()).where(*where)).scalar_one()
    if affected > ROW_BY_ROW_LIMIT:  # many rows: one window pass
        repeating = set(session.execute(
            _repeating_ids(ids, since, added_from=added_from)).scalars())
        stored = session.execute(select(_in.id, _in.repeats_open_ask, _in.locality_id,
                                        _in.received_at).where(*where)).all()
        fresh = [(i, flag, i in repeating, loc, at) for i, flag, loc, at in stored]
    else:  # a few recent rows: look each one up
        fresh = list(session.execute(select(
            _in.id, _in.repeats_open_ask, func.coalesce(repeat_expression(), False),
            _in.locality_id, _in.received_at).where(*where)).tuples())
    return _write_flips(session, fresh)


def _write_flips(session: Session, rows: list[tuple[int, Any, Any, int, datetime]]
                 ) -> list[tuple[int, tuple[int, date]]]:
    """Write the flags that differ from the stored ones; each such input, with its cell.

    Read, compared here, then written by id: in one UPDATE the window pass would run
    once per mention, and ``UPDATE ... RETURNING`` needs a newer SQLite than we ask for."""
    flips = [(i, bool(new), loc, at) for i, old, new, loc, at in rows if bool(old) != bool(new)]
    for value in (True, False):
        chosen = [i for i, v, _, _ in flips if v is value]
        for start in range(0, len(chosen), 500):
            session.execute(update(Input.__table__).where(_in.id.in_(chosen[start:start + 500]))
                            .values(repeats_open_ask=value))
    return [(i, (loc, at.astimezone(UTC).date())) for i, _, loc, at in flips]


def repeat_drift(session: Session) -> list[int]:
    """Ids of inputs whose stored flag differs from a recomputation (should be none)."""
    fresh = func.coalesce(repeat_expression(), False)
    stmt = select(_in.id).where(_in.repeats_open_ask != fresh).order_by(_in.id)
    return list(session.execute(stmt).scalars())
