"""Duration histograms: how long inputs waited, kept per rollup cell, merged on read.

A percentile over a million durations needs either every value (a sort per view) or a
histogram. The buckets are fine where people read the figure closely and coarser where
they do not: a quarter hour under two days, an hour under two weeks, two hours beyond
(index ``i`` covers [``low(i)``, ``low(i) + width(i)``)). Day boundaries fall on bucket
edges, so the report-back distribution (whole days) is exact; a percentile is placed
inside its bucket by spreading the bucket's values evenly, so it is off by at most one
bucket width from ``percentile_cont`` over the raw values. A cell's histogram is stored
sparse (bucket indices, then counts, as little-endian int32) so an empty bucket costs
nothing.
"""

import array
import math
import sys
from collections.abc import Iterable
from typing import Any

import numpy as np
from sqlalchemy import Integer, Select, case
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

QUARTER_UNTIL, HOUR_UNTIL = 48.0, 336.0
_Q, _H = 192, 480  # first index of the hourly and two-hourly ranges
# julianday() differences carry float noise: exactly 24 hours must land at 24, not below.
EPSILON_HOURS = 1e-6


class floor_int(FunctionElement[int]):
    """``floor_int(x)``: the largest integer not above ``x`` (PostgreSQL's CAST rounds)."""

    type = Integer()
    inherit_cache = True


@compiles(floor_int, "sqlite")
def _floor_sqlite(element: floor_int, compiler: Any, **kw: Any) -> str:
    x = compiler.process(next(iter(element.clauses)), **kw)
    return f"(CAST({x} AS INTEGER) - (({x}) < CAST({x} AS INTEGER)))"


@compiles(floor_int, "postgresql")
def _floor_pg(element: floor_int, compiler: Any, **kw: Any) -> str:
    return f"CAST(FLOOR({compiler.process(next(iter(element.clauses)), **kw)}) AS INTEGER)"


def bucket_expr(hours: ColumnElement[float]) -> ColumnElement[int]:
    """The bucket index of a duration in hours, in SQL (the same rule as ``bucket_of``)."""
    h = hours + EPSILON_HOURS
    return case(
        (h < QUARTER_UNTIL, floor_int(h * 4)),
        (h < HOUR_UNTIL, _Q + floor_int(h - QUARTER_UNTIL)),
        else_=_H + floor_int((h - HOUR_UNTIL) / 2),
    )


def bucket_of(hours: float) -> int:
    """The bucket index of a duration, in Python (for tests and checks)."""
    h = hours + EPSILON_HOURS
    if h < QUARTER_UNTIL:
        return math.floor(h * 4)
    if h < HOUR_UNTIL:
        return _Q + math.floor(h - QUARTER_UNTIL)
    return _H + math.floor((h - HOUR_UNTIL) / 2)


def edges(index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lower edge and width, in hours, of each bucket index."""
    i = index.astype("float64")
    low = np.where(i < _Q, i / 4, np.where(i < _H, QUARTER_UNTIL + (i - _Q),
                                            HOUR_UNTIL + 2 * (i - _H)))
    width = np.where(i < _Q, 0.25, np.where(i < _H, 1.0, 2.0))
    return low, width


def encode(index: np.ndarray, counts: np.ndarray) -> bytes:
    """A sparse histogram as bytes: indices then counts, int32 little-endian."""
    return index.astype("<i4").tobytes() + counts.astype("<i4").tobytes()


def add_counts(blob: bytes | None, added: dict[int, int]) -> tuple[bytes, int]:
    """``blob`` plus ``added`` (bucket -> count), encoded, and the total count: for one
    cell at a time, where numpy's set-up costs more than the few buckets a cell holds."""
    counts = dict(added)
    if blob:
        values = array.array("i")
        values.frombytes(blob)
        if sys.byteorder == "big":
            values.byteswap()
        half = len(values) // 2
        for bucket, n in zip(values[:half], values[half:], strict=True):
            counts[bucket] = counts.get(bucket, 0) + n
    keys = sorted(counts)
    out = array.array("i", keys + [counts[k] for k in keys])
    if sys.byteorder == "big":
        out.byteswap()
    return out.tobytes(), sum(counts.values())


def merge(blobs: Iterable[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """Sum sparse histograms: (sorted bucket indices, counts); empty arrays when none.

    Bucket indices are small integers, unique within a cell (each cell is written from a
    grouped count), so each cell's counts are added in place into one dense array: a
    whole period's view merges a couple of thousand cells, and sorting all their indices
    (``np.unique``) cost several times this."""
    total = np.zeros(1024, "int64")
    seen = np.zeros(1024, "bool")
    cells = iter(blobs)
    for blob in cells:
        if not blob:
            continue
        values = np.frombuffer(blob, dtype="<i4")
        half = len(values) // 2
        index = values[:half]
        if index.min() < 0:  # no wait is negative; kept exact all the same
            return _merge_sorting([blob, *cells], total, seen)
        top = int(index.max())
        if top >= len(total):
            grown = max(top + 1, 2 * len(total))
            total = np.concatenate([total, np.zeros(grown - len(total), "int64")])
            seen = np.concatenate([seen, np.zeros(grown - len(seen), "bool")])
        total[index] += values[half:]
        seen[index] = True
    keys = np.flatnonzero(seen)
    return keys, total[keys]


def _merge_sorting(rest: Iterable[bytes], total: np.ndarray,
                   seen: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``merge`` for any indices: the dense sums so far plus the remaining cells."""
    parts = [np.frombuffer(b, dtype="<i4") for b in rest if b]
    done = np.flatnonzero(seen)
    idx = np.concatenate([done, *(p[: len(p) // 2] for p in parts)]).astype("int64")
    cnt = np.concatenate([total[done], *(p[len(p) // 2:] for p in parts)]).astype("int64")
    keys, inverse = np.unique(idx, return_inverse=True)
    return keys, np.bincount(inverse, weights=cnt, minlength=len(keys)).astype("int64")


def read_merged(session: Any, stmt: Select[Any]) -> tuple[np.ndarray, np.ndarray]:
    """``merge`` of the blobs ``stmt`` selects. PostgreSQL sends them in binary: as text
    (hex) a whole period's few megabytes took longer to decode than to read."""
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        return merge(session.execute(stmt).scalars())
    compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    with conn.connection.driver_connection.cursor(binary=True) as cur:
        cur.execute(str(compiled), compiled.params)
        return merge(row[0] for row in cur)


def percentiles(index: np.ndarray, counts: np.ndarray,
                qs: tuple[float, ...] = (0.5, 0.9)) -> list[float | None]:
    """``percentile_cont`` estimated from a histogram: the k-th value of a bucket holding
    c values is taken at low + (k + 0.5) / c of its width."""
    n = int(counts.sum())
    if n == 0:
        return [None for _ in qs]
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    low, width = edges(index)

    def value(rank: int) -> float:
        b = int(np.searchsorted(starts, rank, side="right") - 1)
        return float(low[b] + (rank - starts[b] + 0.5) / counts[b] * width[b])

    out: list[float | None] = []
    for q in qs:
        pos = q * (n - 1)
        lo = math.floor(pos)
        hi = min(lo + 1, n - 1)
        out.append(value(lo) + (value(hi) - value(lo)) * (pos - lo))
    return out


def count_below(index: np.ndarray, counts: np.ndarray, hours: float) -> int:
    """Values under ``hours`` where ``hours`` is a bucket edge (whole days are)."""
    low, _ = edges(index)
    return int(counts[low < hours - EPSILON_HOURS / 2].sum())
