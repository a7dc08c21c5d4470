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

    A whole period's view merges a couple of thousand cells: they are read as one array
    and split by a mask, since slicing each cell on its own cost more than the sums."""
    kept = [b for b in blobs if b]
    if not kept:
        return np.zeros(0, "int64"), np.zeros(0, "int64")
    values = np.frombuffer(b"".join(kept), dtype="<i4").astype("int64")
    sizes = np.fromiter((len(b) // 4 for b in kept), dtype="int64", count=len(kept))
    starts = np.repeat(np.cumsum(sizes) - sizes, sizes)
    is_index = np.arange(len(values)) - starts < np.repeat(sizes // 2, sizes)
    idx, cnt = values[is_index], values[~is_index]
    # Bucket indices are small integers: counting by offset is linear, where sorting
    # them (``np.unique``) was most of a whole-period read.
    low = int(idx.min())
    present = np.flatnonzero(np.bincount(idx - low))
    summed = np.bincount(idx - low, weights=cnt)[present]
    return present + low, np.rint(summed).astype("int64")


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
