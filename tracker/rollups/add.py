"""Adding new inputs to the rollups: their counts summed into the cells, not recomputed.

Why: an import writes a thousand inputs a batch, spread over months of a log; recomputing
every cell they land in reads all the other inputs of those cells too, and costs most of
the batch. What a new input adds to a cell depends on that input alone (its place, day,
codes, themes and loop facts), so the batch's own rows, grouped, are added to the stored
cells: one upsert per dimension and grain, and the histograms merged. Whatever changes an
input already counted still goes through a recomputation (``build.refresh_cells``), so
callers add new inputs first and let the later refreshes overwrite the cells they redo.
"""

from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import and_, bindparam, case, func, literal, select, true, union_all
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.sql.elements import ColumnElement

from tracker.db import is_sqlite
from tracker.io.bulk import upsert_rows
from tracker.models import Input, InputTheme
from tracker.rollups import hist
from tracker.rollups.build import (
    DURATIONS,
    MEASURES,
    _as_date,
    _lock,
    _public,
    _rc,
    _row_values,
    dimensions,
    hist_cell,
)
from tracker.rollups.sqlfn import day_of, month_of
from tracker.sqltypes import hours_between

_in = Input.__table__.c
_th = InputTheme.__table__.c
_KEY = ["grain", "dim", "day", "locality_id", "code"]
HistKey = tuple[str, str, date, int]  # grain, dim, day, locality


def _id_scopes(ids: list[int]) -> Iterator[tuple[bool, dict[str, Any]]]:
    """A batch's ids as few conditions: one range when they are consecutive (as the
    importer gives them), else chunks small enough for any driver's parameter limit;
    each as (whether a range, its parameters)."""
    ids = sorted(set(ids))
    if ids and ids[-1] - ids[0] + 1 == len(ids):
        yield True, {"lo": ids[0], "hi": ids[-1]}
        return
    for start in range(0, len(ids), 500):
        yield False, {"ids": ids[start:start + 500]}


def _scope(ranged: bool) -> ColumnElement[bool]:
    if ranged:
        return _in.id.between(bindparam("lo"), bindparam("hi"))
    return _in.id.in_(bindparam("ids", expanding=True))


def add_inputs(session: Any, input_ids: list[int]) -> None:
    """Add inputs written in this transaction, and never counted yet, to their cells."""
    if not input_ids:
        return
    _lock(session)
    pg = not is_sqlite(session)
    for ranged, params in _id_scopes(input_ids):
        session.execute(_add_counts(pg, ranged), params)
        _add_histograms(session, _scope(ranged), params)


def _least(pg: bool, a: Any, b: Any) -> ColumnElement[Any]:
    if pg:
        return func.least(a, b)  # ignores NULLs
    return func.min(func.coalesce(a, b), func.coalesce(b, a))  # SQLite's scalar min


@cache
def _add_counts(pg: bool, ranged: bool) -> Any:
    """One upsert adding the new inputs' counts to every dimension's day and month cells.

    Each input's values (its measures and its code in every dimension) are computed once,
    in a common table expression the database materialises as it is read by every branch;
    a statement per dimension and grain evaluated them eighteen times. Built once:
    building and compiling a statement this size costs as much as running it for a batch."""
    names = [*MEASURES, "oldest_open"]
    dims = list(dimensions().items())
    cols = [_in.id.label("input_id"), day_of(_in.received_at).label("day"),
            _in.locality_id.label("loc"),
            *(v.label(n) for v, n in zip(_row_values(), names, strict=True))]
    for i, (_dim, (code, themed, extra)) in enumerate(dims):  # k<i>: NULL when not counted
        value = literal(1) if themed else code
        if extra:
            value = case((and_(*extra), value), else_=None)
        cols.append(value.label(f"k{i}"))
    rows = select(*cols).where(_scope(ranged)).cte("new_rows")
    branches = []
    for i, (dim, (_code, themed, _extra)) in enumerate(dims):
        key = rows.c[f"k{i}"]
        source: Any = rows
        value = key
        if themed:
            source = rows.join(InputTheme.__table__, _th.input_id == rows.c.input_id)
            value = _th.theme_code
        for grain in ("d", "m"):
            day = month_of(rows.c.day) if grain == "m" else rows.c.day
            branches.append(
                select(literal(grain).label("grain"), literal(dim).label("dim"), day.label("day"),
                       rows.c.loc.label("locality_id"), value.label("code"),
                       *(func.sum(rows.c[n]).label(n) for n in MEASURES),
                       func.min(rows.c.oldest_open).label("oldest_open"))
                .select_from(source).where(key.is_not(None))
                .group_by(day, rows.c.loc, value))
    every = union_all(*branches).subquery()
    # ``WHERE true``: SQLite reads an ON CONFLICT straight after a FROM as a join's.
    stmt = (pg_insert if pg else sqlite_insert)(_rc).from_select(
        [*_KEY, *MEASURES, "oldest_open"], select(*every.c).where(true()))
    sums = {n: _rc.c[n] + stmt.excluded[n] for n in MEASURES}
    oldest = _least(pg, _rc.c.oldest_open, stmt.excluded.oldest_open)
    return stmt.on_conflict_do_update(index_elements=_KEY, set_={**sums, "oldest_open": oldest})


def _add_histograms(session: Any, scope: ColumnElement[bool], params: dict[str, Any]) -> None:
    """The new inputs' waits, bucketed, merged into their day and month histograms."""
    public = _public(session)
    new: dict[HistKey, Counter[int]] = defaultdict(Counter)
    for measure, later in DURATIONS.items():
        inner = (select(day_of(_in.received_at).label("day"), _in.locality_id.label("loc"),
                        hist.bucket_expr(hours_between(later, _in.received_at)).label("b"))
                 .where(scope, later.is_not(None), *([public] if measure == "public_rb" else []))
                 .subquery())
        for day, loc, bucket, n in session.execute(
                select(inner.c.day, inner.c.loc, inner.c.b, func.count())
                .group_by(inner.c.day, inner.c.loc, inner.c.b), params):
            day = _as_date(day)
            new[("d", f"h_{measure}", day, loc)][bucket] += n
            new[("m", f"h_{measure}", day.replace(day=1), loc)][bucket] += n
    if new:
        _merge_into_cells(session, new)


def _merge_into_cells(session: Any, new: dict[HistKey, Counter[int]]) -> None:
    """Each histogram plus the new counts, written back with one upsert for all of them.

    Stored blobs are read per grain and dimension by day and place (``IN`` on both,
    which the primary key serves); a row-value ``IN`` over whole keys is a scan on SQLite."""
    c = _rc.c
    by_part: dict[tuple[str, str], list[HistKey]] = defaultdict(list)
    for key in new:
        by_part[key[:2]].append(key)
    rows = []
    for (grain, dim), keys in sorted(by_part.items()):
        days = sorted({k[2] for k in keys})
        places = sorted({k[3] for k in keys})
        stored: dict[HistKey, bytes] = {}
        for start in range(0, len(days), 400):
            for day, loc, blob in session.execute(
                    select(c.day, c.locality_id, c.counts).where(
                        c.grain == grain, c.dim == dim, c.day.in_(days[start:start + 400]),
                        c.locality_id.in_(places), c.code == "")):
                stored[(grain, dim, _as_date(day), loc)] = blob
        for key in keys:
            blob, total = hist.add_counts(stored.get(key), new[key])
            rows.append(hist_cell(grain, dim, key[2], key[3], blob, total))
    upsert_rows(session.connection(), _rc, rows, key=_KEY, replace=["inputs", "counts"])
