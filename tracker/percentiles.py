"""Continuous percentiles (``percentile_cont``) of a value over the inputs in scope.

PostgreSQL computes them itself. SQLite has none, and sorting a million computed values
is slow: each value's histogram by whole unit comes first, then only the units that
hold the wanted ranks are sorted, which gives the same exact result.
"""

import math
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Integer, func, literal, select, union_all
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from tracker.db import is_sqlite
from tracker.models import Input, Locality

_in = Input.__table__.c
_loc = Locality.__table__.c


def _inputs(*columns: Any) -> Any:
    return select(*columns).select_from(
        Input.__table__.join(Locality.__table__, _in.locality_id == _loc.id))


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def percentiles(
    session: Session, value: ColumnElement[float], where: list[ColumnElement[bool]],
    qs: tuple[float, ...] = (0.5, 0.9),
) -> list[float | None]:
    """Continuous percentiles (linear interpolation, as ``percentile_cont``) in the database."""
    where = [*where, value.is_not(None)]
    if not is_sqlite(session):
        cols = [func.percentile_cont(q).within_group(value) for q in qs]
        return [_float(v) for v in session.execute(_inputs(*cols).where(*where)).one()]
    return _percentiles_by_histogram(session, value, where, qs)


def _percentiles_by_histogram(
    session: Session, value: ColumnElement[float], where: list[ColumnElement[bool]],
    qs: tuple[float, ...],
) -> list[float | None]:
    """SQLite has no percentile function and sorting a million computed values is slow:
    count values per whole unit first (one scan), then sort only the units that hold
    the ranks wanted (a second scan), which gives the same exact result."""
    bucket = func.cast(value, Integer)
    histogram = session.execute(
        _inputs(bucket, func.count()).where(*where).group_by(bucket).order_by(bucket)
    ).all()
    plan = _rank_plan([(key, count) for key, count in histogram], qs)
    if not plan[2]:
        return [None for _ in qs]
    rows = session.execute(
        _inputs(bucket, value).where(*where, bucket.in_(sorted(plan[2]))).order_by(bucket, value)
    ).all()
    return _interpolated(plan, ((key, float(v)) for key, v in rows), qs)


def percentiles_of(
    session: Session, values: Sequence[ColumnElement[float]], where: list[ColumnElement[bool]],
    qs: tuple[float, ...] = (0.5, 0.9),
) -> list[list[float | None]]:
    """``percentiles`` of several values over the same inputs. On SQLite the inputs in
    scope are read once per statement into a common table expression and each value's
    histogram (then its wanted buckets) grouped from that: two statements in all, where
    a value at a time reads the inputs twice per value, and a filtered scope (a theme's
    inputs) is the expensive part of each read."""
    if not is_sqlite(session):
        return [percentiles(session, v, where, qs) for v in values]
    scoped = (_inputs(*(v.label(f"v{i}") for i, v in enumerate(values))).where(*where)
              .cte("scoped").prefix_with("MATERIALIZED"))
    cols = [scoped.c[f"v{i}"] for i in range(len(values))]
    buckets = [func.cast(col, Integer) for col in cols]
    histogram = session.execute(union_all(*(
        select(literal(i), b, func.count()).where(col.is_not(None)).group_by(b)
        for i, (col, b) in enumerate(zip(cols, buckets, strict=True))))).all()
    per_value: list[list[tuple[int, int]]] = [[] for _ in values]
    for i, key, count in histogram:
        per_value[i].append((key, count))
    plans = [_rank_plan(sorted(h), qs) for h in per_value]
    wanted = [(i, col, b, sorted(plan[2])) for i, (col, b, plan)
              in enumerate(zip(cols, buckets, plans, strict=True)) if plan[2]]
    found: list[list[tuple[int, float]]] = [[] for _ in values]
    if wanted:
        rows = session.execute(union_all(*(
            select(literal(i).label("i"), b.label("b"), col.label("v"))
            .where(col.is_not(None), b.in_(keys)) for i, col, b, keys in wanted))
            .order_by("i", "b", "v")).all()
        for i, key, v in rows:
            found[i].append((key, float(v)))
    return [_interpolated(plan, got, qs) for plan, got in zip(plans, found, strict=True)]


def _rank_plan(histogram: list[tuple[int, int]], qs: tuple[float, ...]
               ) -> tuple[int, dict[int, int], set[int]]:
    """From (bucket, count) in bucket order: the number of values, the rank of each
    bucket's first value, and the buckets holding the ranks ``qs`` need."""
    n = sum(count for _, count in histogram)
    ranks = sorted({r for q in qs for r in _ranks(q, n)}) if n else []
    starts: dict[int, int] = {}
    wanted: set[int] = set()
    seen = 0
    for key, count in histogram:
        starts[key] = seen
        if any(seen <= r < seen + count for r in ranks):
            wanted.add(key)
        seen += count
    return n, starts, wanted


def _interpolated(plan: tuple[int, dict[int, int], set[int]], rows: Iterable[tuple[int, float]],
                  qs: tuple[float, ...]) -> list[float | None]:
    """``percentile_cont`` from the values of the wanted buckets, in (bucket, value) order."""
    n, starts, _ = plan
    if not n:
        return [None for _ in qs]
    values: dict[int, float] = {}
    position: dict[int, int] = {}
    for key, v in rows:
        values[starts[key] + position.get(key, 0)] = v
        position[key] = position.get(key, 0) + 1
    results: list[float | None] = []
    for q in qs:
        low, high = _ranks(q, n)
        results.append(values[low] + (values[high] - values[low]) * (q * (n - 1) - low))
    return results


def _ranks(q: float, n: int) -> tuple[int, int]:
    low = math.floor(q * (n - 1))
    return low, min(low + 1, n - 1)
