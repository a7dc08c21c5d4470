"""The leadership breakdowns of a filter the rollups do not cover, from one pass.

Why: with a theme, channel or component filter the figures come from the inputs
themselves (``tracker.breakdowns``), a query each; at a million inputs every one of them
reads the inputs in scope (a theme's: a third of all), and eight reads of the same rows
cost most of the page. Here the rows in scope are read once, into a common table
expression the database materialises, and each breakdown groups that: one statement.
``tracker.breakdowns`` stays the reference: the tests hold these frames equal to its.
"""

from collections import namedtuple
from datetime import date, datetime
from typing import Any

import pandas as pd
from sqlalchemy import String, and_, case, cast, func, literal, or_, select, true, tuple_, union_all
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from tracker.breakdowns import (
    _EPSILON_HOURS,
    REPORT_BACK_BINS,
    _base,
    _flag,
    _frame,
    _overdue,
    _share,
    _within,
    bottleneck_frame,
    bucket_label,
    inclusion_frame,
    month_start,
    week_start,
    weekly_frame,
)
from tracker.codes import Setting, TermKind
from tracker.metrics import _FEMALE, _MALE, _YOUTH, Filters, _participants, area_clause, scope
from tracker.models import Input, Locality, Term
from tracker.rollups.read import utc_time
from tracker.sqltypes import hours_between

_in = Input.__table__.c
_loc = Locality.__table__.c
CLOSURES = ("region", "channel", "component")
# Each frame and the groupings of the scoped rows it is made of.
FRAMES = {**{f"by_{d}": (d,) for d in CLOSURES}, "locality_map": ("locality",),
          "bottlenecks": ("section",), "inclusion": ("month",),
          "report_back_distribution": ("report_back",),
          "weekly_flow": ("week_received", "week_closed")}
_SUMS = ("closed", "overdue", "open", "participants", "women", "youth", "rural", "displaced")
_NULL = "∅"  # a counted row whose key is NULL (not recorded), in PostgreSQL's sets:
# no code, number or date is written so
_Row = namedtuple("_Row", ["g", "k", "n", *_SUMS, "oldest"])


def leadership_breakdowns(session: Session, filters: Filters, now: datetime,
                          frames: tuple[str, ...] = tuple(FRAMES),
                          bins: tuple[int, ...] = REPORT_BACK_BINS) -> dict[str, pd.DataFrame]:
    """The ``frames`` (names of ``FRAMES``) as ``tracker.breakdowns`` gives them for
    ``filters`` at ``now``, from one statement. Two calls with half the frames each run
    side by side on two connections: grouping a large scope costs more than reading it."""
    start, end = filters.period_bounds()
    received_in = and_(true(), *_within(_in.received_at, start, end))
    closed_in = and_(_in.closed_at.is_not(None), *_within(_in.closed_at, start, end))
    where = scope(session, filters, period=False)
    if start or end:
        where.append(or_(received_in, closed_in))
    hours = hours_between(_in.first_report_back_at, _in.received_at)
    told = case(*[(hours < b * 24 - _EPSILON_HOURS, i) for i, b in enumerate(bins)],
                else_=len(bins))
    is_open = _in.closed_at.is_(None)
    rows = select(
        _flag(received_in).label("in_period"),
        _loc.region_id.label("region"), _in.channel_code.label("channel"),
        _in.component_code.label("component"), _in.locality_id.label("locality"),
        month_start(_in.received_at).label("month"), _in.section_code.label("section"),
        case((_in.first_report_back_at.is_not(None), told)).label("report_back"),
        week_start(_in.received_at).label("week_received"),
        case((closed_in, week_start(_in.closed_at))).label("week_closed"),
        _flag(_in.closed_at.is_not(None)).label("closed"), _flag(_overdue(now)).label("overdue"),
        _flag(is_open).label("open"), _participants(_FEMALE + _MALE).label("participants"),
        _participants(_FEMALE).label("women"), _participants(_YOUTH).label("youth"),
        _flag(_loc.setting.in_([Setting.RURAL.value, Setting.REMOTE.value])).label("rural"),
        _flag(_in.source_displaced).label("displaced"),
        case((is_open, _in.received_at)).label("open_since"),
    ).select_from(_base()).where(*where)
    keys = [k for name in frames for k in FRAMES[name]]
    found: dict[str, list[Any]] = {k: [] for k in keys}
    for row in _grouped(session, rows, keys):
        found[row.g].append(row)
    labels = _labels(session)
    make = {
        **{f"by_{d}": (lambda d=d: _closure(found[d], d, labels)) for d in CLOSURES},
        "weekly_flow": lambda: weekly_frame(
            [(_day(r.k), int(r.n), 0) for r in found["week_received"]]
            + [(_day(r.k), 0, int(r.n)) for r in found["week_closed"]]),
        "report_back_distribution": lambda: _told(found["report_back"], bins),
        "inclusion": lambda: inclusion_frame(sorted(
            (_day(r.k), r.n, r.participants, r.women, r.youth, r.rural, r.displaced)
            for r in found["month"])),
        "locality_map": lambda: _map(session, filters, found["locality"]),
        "bottlenecks": lambda: _bottlenecks(found["section"], labels, now),
    }
    return {name: make[name]() for name in frames}


def _applies(c: Any, key: str) -> ColumnElement[bool]:
    """Which scoped rows a grouping counts: the period's inputs, except the weeks of
    closing (closings within the period, whenever received); open ones for bottlenecks."""
    if key == "week_closed":
        return c.week_closed.is_not(None)
    if key == "section":
        return and_(c.in_period == 1, c.open == 1)
    if key == "report_back":
        return and_(c.in_period == 1, c.report_back.is_not(None))
    return c.in_period == 1


def _measures(c: Any) -> list[Any]:
    return [func.count().label("n"), *(func.sum(c[s]).label(s) for s in _SUMS),
            func.min(c.open_since).label("oldest")]


def _grouped(session: Session, rows: Any, keys: list[str]) -> list[Any]:
    """Rows (g: the grouping, k: its key as text, the measures) of every grouping in
    ``keys``. PostgreSQL groups the scoped rows once with GROUPING SETS; SQLite, which
    has none, reads them once into a materialised table and groups that per key."""
    if session.get_bind().dialect.name != "postgresql":
        c = rows.cte("scoped").prefix_with("MATERIALIZED").c
        return list(session.execute(union_all(*(
            select(literal(key).label("g"), cast(c[key], String).label("k"), *_measures(c))
            .where(_applies(c, key)).group_by(c[key]) for key in keys))))
    c = rows.subquery("scoped").c
    # A row a grouping does not count has NULL there; a NULL key it counts, a mark.
    marked = select(*(case((_applies(c, key), func.coalesce(cast(c[key], String), _NULL)))
                      .label(f"k{i}") for i, key in enumerate(keys)),
                    *(c[n] for n in (*_SUMS, "open_since"))).subquery("marked")
    m = marked.c
    sets = func.grouping_sets(*(tuple_(m[f"k{i}"]) for i in range(len(keys))))
    out = []
    for row in session.execute(select(*(m[f"k{i}"] for i in range(len(keys))), *_measures(m))
                               .group_by(sets)):
        for i, key in enumerate(keys):
            if row[i] is not None:  # the group of a set's own key; all-NULL: rows it skips
                out.append(_Row(key, None if row[i] == _NULL else row[i], *row[len(keys):]))
                break
    return out


def _labels(session: Session) -> dict[tuple[str, Any], str]:
    """Region names by id and term labels by (kind, code): a few hundred small rows."""
    regions = {("region", i): n for i, n in session.execute(select(_loc.id, _loc.name))}
    t = Term.__table__.c
    terms = {(k, code): label for k, code, label in session.execute(select(t.kind, t.code, t.label))}
    return regions | terms


def _day(text: Any) -> date:
    return text if isinstance(text, date) else date.fromisoformat(str(text)[:10])


def _closure(rows: list[Any], by: str, labels: dict[tuple[str, Any], str]) -> pd.DataFrame:
    kind = {"region": "region", "channel": TermKind.CHANNEL.value,
            "component": TermKind.COMPONENT.value}[by]
    table = []
    for r in rows:
        key = None if r.k is None else int(r.k) if by == "region" else r.k
        table.append((key, labels.get((kind, key)) if key is not None else None,
                      int(r.n), int(r.closed or 0), int(r.overdue or 0)))
    table.sort(key=lambda r: (-r[2], r[0] is None, str(r[0])))
    frame = _frame(table, ["key", "label", "inputs", "closed", "overdue_open"],
                   ints=("inputs", "closed", "overdue_open"))
    frame.insert(4, "closure_rate", _share(frame, "closed", "inputs"))
    return frame


def _told(rows: list[Any], bins: tuple[int, ...]) -> pd.DataFrame:
    counts = {int(r.k): int(r.n) for r in rows}
    edges = list(zip((0, *bins), (*bins, None), strict=True))
    table = [(i, lo, hi, bucket_label(lo, hi), counts.get(i, 0)) for i, (lo, hi) in enumerate(edges)]
    return _frame(table, ["bucket", "low_days", "high_days", "label", "inputs"],
                  ints=("bucket", "low_days", "inputs"))


def _map(session: Session, filters: Filters, rows: list[Any]) -> pd.DataFrame:
    """Every place with coordinates (in the area), most inputs first, then by name: the
    places come in name order and a stable sort by inputs keeps it among equals."""
    per_place = {int(r.k): (int(r.n), int(r.closed or 0)) for r in rows}
    region = Locality.__table__.alias("map_region")
    where: list[ColumnElement[bool]] = [_loc.latitude.is_not(None), _loc.longitude.is_not(None)]
    if filters.area_id is not None and (clause := area_clause(session, filters.area_id)) is not None:
        where.append(clause)
    places = session.execute(
        select(_loc.id, _loc.name, region.c.name, _loc.latitude, _loc.longitude, _loc.setting)
        .select_from(Locality.__table__.outerjoin(region, region.c.id == _loc.region_id))
        .where(*where).order_by(_loc.name, _loc.id)).all()
    table = [(*p, *per_place.get(p[0], (0, 0))) for p in places]
    table.sort(key=lambda r: -r[6])
    frame = _frame(table, ["id", "name", "region", "latitude", "longitude", "setting", "inputs",
                           "closed"], ints=("id", "inputs", "closed"), floats=("latitude", "longitude"))
    frame["closure_rate"] = _share(frame, "closed", "inputs")
    return frame


def _bottlenecks(rows: list[Any], labels: dict[tuple[str, Any], str], now: datetime,
                 limit: int = 20) -> pd.DataFrame:
    return bottleneck_frame([(r.k, labels.get((TermKind.SECTION.value, r.k)) if r.k is not None
                              else None, int(r.n), int(r.overdue or 0), utc_time(r.oldest))
                             for r in rows], now, limit)


__all__ = ["CLOSURES", "FRAMES", "leadership_breakdowns"]
