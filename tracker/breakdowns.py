"""The breakdowns behind the leadership dashboard, each one aggregate query in the database.

Every function takes ``(session, filters, ...)`` and narrows the inputs with
``tracker.metrics.scope`` so the dashboard's filters (period, area, theme, channel,
component) apply to all of them alike. The database does the GROUP BY; only the small
aggregated result reaches Python, as a pandas DataFrame with the columns named in each
docstring (the charts and tables take frames). The headline trends (``tracker.trends``,
re-exported here) are frozen dataclasses. Weeks start on Monday and months on the 1st,
both in UTC; an input with several themes counts once under each of its themes.
"""

from datetime import date, datetime
from typing import Any

import pandas as pd
from sqlalchemy import Date, String, and_, case, cast, func, literal, null, select, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.selectable import FromClause, Join
from sqlmodel import Session

from tracker.access import visible_inputs
from tracker.codes import LocalityLevel, Sensitivity, Setting, TermKind
from tracker.errors import ValidationError
from tracker.i18n import Localizer
from tracker.loop import loop_state_expr
from tracker.metrics import _FEMALE, _MALE, _YOUTH, Filters, _participants, area_clause, scope
from tracker.models import Input, InputTheme, Locality, Term, User
from tracker.sqltypes import hours_between, utcnow
from tracker.trends import KPIS as KPIS
from tracker.trends import KpiTrend as KpiTrend
from tracker.trends import Trends as Trends
from tracker.trends import kpis_with_trend as kpis_with_trend
from tracker.trends import previous_period as previous_period

_in = Input.__table__.c
_loc = Locality.__table__.c

DIMENSIONS = ("region", "territory", "locality", "theme", "channel", "component", "type", "language")
REPORT_BACK_BINS = (1, 3, 7, 14, 30, 60, 90)
# julianday() differences carry float noise: exactly 24 hours must land in "1–3 days".
_EPSILON_HOURS = 1e-6


class week_start(FunctionElement[date]):
    """``week_start(ts)``: the Monday (UTC) of a timestamp's week, as a date."""

    type = Date()
    inherit_cache = True


class month_start(FunctionElement[date]):
    """``month_start(ts)``: the first day (UTC) of a timestamp's month, as a date."""

    type = Date()
    inherit_cache = True


@compiles(week_start, "sqlite")
def _week_start_sqlite(element: week_start, compiler: Any, **kw: Any) -> str:
    (ts,) = list(element.clauses)
    return f"date({compiler.process(ts, **kw)}, 'weekday 0', '-6 days')"


@compiles(week_start, "postgresql")
def _week_start_pg(element: week_start, compiler: Any, **kw: Any) -> str:
    (ts,) = list(element.clauses)
    return f"CAST(date_trunc('week', ({compiler.process(ts, **kw)}) AT TIME ZONE 'UTC') AS DATE)"


@compiles(month_start, "sqlite")
def _month_start_sqlite(element: month_start, compiler: Any, **kw: Any) -> str:
    (ts,) = list(element.clauses)
    return f"date({compiler.process(ts, **kw)}, 'start of month')"


@compiles(month_start, "postgresql")
def _month_start_pg(element: month_start, compiler: Any, **kw: Any) -> str:
    (ts,) = list(element.clauses)
    return f"CAST(date_trunc('month', ({compiler.process(ts, **kw)}) AT TIME ZONE 'UTC') AS DATE)"


def _base() -> Join:
    return Input.__table__.join(Locality.__table__, _in.locality_id == _loc.id)


def _flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return case((condition, 1), else_=0)


def _overdue(now: datetime) -> ColumnElement[bool]:
    """Open and past its service level: the same rule as ``figures().overdue_open``."""
    return and_(_in.closed_at.is_(None), _in.respond_by < now)


def _within(ts: Any, start: datetime | None, end: datetime | None) -> list[ColumnElement[bool]]:
    """``ts`` in [start, end), either bound optional (``Filters.period_bounds``)."""
    return ([ts >= start] if start else []) + ([ts < end] if end else [])


def _frame(rows: Any, columns: list[str], ints: tuple[str, ...] = (),
           floats: tuple[str, ...] = ()) -> pd.DataFrame:
    """A frame of query rows; keys stay objects (an int id or None stays itself, not NaN)."""
    frame = pd.DataFrame([tuple(r) for r in rows], columns=columns, dtype=object)
    for col in ints:
        frame[col] = frame[col].fillna(0).astype("int64")
    for col in floats:
        frame[col] = frame[col].astype("float64")
    return frame


def _share(frame: pd.DataFrame, part: str, whole: str) -> pd.Series:
    """part / whole per row; NaN where the whole is zero (no denominator, no share)."""
    return frame[part].where(frame[whole] > 0).astype("float64") / frame[whole].where(frame[whole] > 0)


def _dimension(by: str) -> tuple[FromClause, ColumnElement[Any], ColumnElement[Any]]:
    """FROM clause, key and label of one ``closure_by`` dimension."""
    base, term = _base(), Term.__table__.alias("dim_term")
    if by == "region":
        region = Locality.__table__.alias("dim_region")
        return base.outerjoin(region, region.c.id == _loc.region_id), _loc.region_id, region.c.name
    if by == "territory":
        parent = Locality.__table__.alias("dim_parent")
        own, up = _loc.level == LocalityLevel.TERRITORY.value, parent.c.level == LocalityLevel.TERRITORY.value
        return (base.outerjoin(parent, parent.c.id == _loc.parent_id),
                case((own, _loc.id), (up, parent.c.id)), case((own, _loc.name), (up, parent.c.name)))
    if by == "locality":
        return base, _loc.id, _loc.name
    if by == "language":
        return base, _in.language, cast(null(), String())
    if by == "theme":
        # Aliased: scope()'s theme filter is a subquery on input_theme and must not correlate here.
        themes = InputTheme.__table__.alias("dim_theme")
        base = base.join(themes, themes.c.input_id == _in.id)
        kind, code = TermKind.THEME, themes.c.theme_code
    elif by in ("channel", "component", "type"):
        kind, code = {"channel": (TermKind.CHANNEL, _in.channel_code),
                      "component": (TermKind.COMPONENT, _in.component_code),
                      "type": (TermKind.INPUT_TYPE, _in.type_code)}[by]
    else:
        raise ValidationError(f"cannot break down by {by!r}", field="by")
    joined = base.outerjoin(term, and_(term.c.kind == kind.value, term.c.code == code))
    return joined, code, term.c.label


def closure_by(session: Session, filters: Filters, by: str, *, now: datetime | None = None) -> pd.DataFrame:
    """Closure per group, so leadership sees where the loop closes and where it does not.

    Columns: key (locality id or code; None = not recorded), label (place name or term
    label; None for languages), inputs, closed, closure_rate, overdue_open; most inputs first.
    """
    now = now or utcnow()
    source, key, label = _dimension(by)
    # Grouped over a subquery: PostgreSQL does not see a CASE with bound parameters in the
    # select list as the "same" expression as its copy in GROUP BY.
    rows = (
        select(key.label("key"), label.label("label"),
               _flag(_in.closed_at.is_not(None)).label("closed"), _flag(_overdue(now)).label("overdue"))
        .select_from(source).where(*scope(session, filters)).subquery()
    )
    inputs = func.count()
    stmt = (
        select(rows.c.key, rows.c.label, inputs, func.sum(rows.c.closed), func.sum(rows.c.overdue))
        .group_by(rows.c.key, rows.c.label)
        .order_by(inputs.desc(), rows.c.key.nulls_last())
    )
    frame = _frame(session.execute(stmt), ["key", "label", "inputs", "closed", "overdue_open"],
                   ints=("inputs", "closed", "overdue_open"))
    frame.insert(4, "closure_rate", _share(frame, "closed", "inputs"))
    return frame


def weekly_flow(session: Session, filters: Filters) -> pd.DataFrame:
    """Inputs received and inputs closed per week: is the mission keeping up?

    Columns: week (Monday, datetime64), received (received that week, within the
    period), closed (closed that week, within the period, whenever received). Weeks
    between the first and the last one with data are filled with zeros.
    """
    where = scope(session, filters, period=False)
    start, end = filters.period_bounds()
    received_in, closed_in = _within(_in.received_at, start, end), _within(_in.closed_at, start, end)
    flow = union_all(
        select(week_start(_in.received_at).label("week"), literal(1).label("received"),
               literal(0).label("closed")).select_from(_base()).where(*where, *received_in),
        select(week_start(_in.closed_at), literal(0), literal(1))
        .select_from(_base()).where(*where, _in.closed_at.is_not(None), *closed_in),
    ).subquery()
    stmt = (select(flow.c.week, func.sum(flow.c.received), func.sum(flow.c.closed))
            .group_by(flow.c.week).order_by(flow.c.week))
    return weekly_frame([(week, int(r), int(c)) for week, r, c in session.execute(stmt)])


def weekly_frame(rows: list[tuple[date, int, int]]) -> pd.DataFrame:
    """(Monday, received, closed) rows, a week possibly more than once, as the weekly
    flow's frame: one row per week from the first to the last, empty weeks as zeros."""
    flow: dict[date, list[int]] = {}
    for week, received, closed in rows:
        acc = flow.setdefault(week, [0, 0])
        acc[0] += received
        acc[1] += closed
    frame = _frame(sorted((w, r, c) for w, (r, c) in flow.items()), ["week", "received", "closed"],
                   ints=("received", "closed"))
    frame["week"] = pd.to_datetime(frame["week"])
    if frame.empty:
        return frame
    weeks = pd.date_range(frame["week"].min(), frame["week"].max(), freq="7D", name="week")
    return frame.set_index("week").reindex(weeks, fill_value=0).reset_index()


def bucket_label(low: int, high: int | None, loc: Localizer | None = None) -> str:
    """A report-back bucket as people read it ("<1 day", "1–3 days", "90+ days")."""
    loc = loc or Localizer()
    if high is None:
        return loc.ngettext("{n}+ day", "{n}+ days", low)
    if low == 0:
        return loc.ngettext("<{n} day", "<{n} days", high)
    return loc.gettext("{low}–{high} days", low=loc.number(low), high=loc.number(high))


def report_back_distribution(
    session: Session, filters: Filters, bins: tuple[int, ...] = REPORT_BACK_BINS
) -> pd.DataFrame:
    """How long communities wait for a first report-back, bucketed in SQL with CASE.

    Counts inputs that were reported back to (closed or not). Columns: bucket (0, 1, …),
    low_days, high_days (None for the last, open bucket), label (English), inputs; every
    bucket is present, empty ones with 0.
    """
    if not bins or any(b <= 0 for b in bins) or list(bins) != sorted(set(bins)):
        raise ValidationError("bins must be increasing positive day counts", field="bins")
    hours = hours_between(_in.first_report_back_at, _in.received_at)
    bucket = case(*[(hours < b * 24 - _EPSILON_HOURS, i) for i, b in enumerate(bins)], else_=len(bins))
    rows = (select(bucket.label("bucket")).select_from(_base())
            .where(*scope(session, filters), _in.first_report_back_at.is_not(None)).subquery())
    stmt = select(rows.c.bucket, func.count()).group_by(rows.c.bucket)
    found = {int(b): int(n) for b, n in session.execute(stmt)}
    edges = list(zip((0, *bins), (*bins, None), strict=True))
    table = [(i, lo, hi, bucket_label(lo, hi), found.get(i, 0)) for i, (lo, hi) in enumerate(edges)]
    return _frame(table, ["bucket", "low_days", "high_days", "label", "inputs"],
                  ints=("bucket", "low_days", "inputs"))


def inclusion_over_time(session: Session, filters: Filters) -> pd.DataFrame:
    """Per month, who is heard: women and youth among participants, rural and displaced inputs.

    Columns: month (1st of the month, datetime64), inputs, participants, women, youth,
    rural_inputs, displaced_inputs, share_women, share_youth (of participants; NaN when
    none were counted), share_rural, share_displaced (of inputs).
    """
    rural = _loc.setting.in_([Setting.RURAL.value, Setting.REMOTE.value])
    rows = (
        select(month_start(_in.received_at).label("month"),
               _participants(_FEMALE + _MALE).label("participants"),
               _participants(_FEMALE).label("women"), _participants(_YOUTH).label("youth"),
               _flag(rural).label("rural"), _flag(_in.source_displaced).label("displaced"))
        .select_from(_base()).where(*scope(session, filters)).subquery()
    )
    c = rows.c
    stmt = (select(c.month, func.count(), func.sum(c.participants), func.sum(c.women), func.sum(c.youth),
                   func.sum(c.rural), func.sum(c.displaced))
            .group_by(c.month).order_by(c.month))
    return inclusion_frame(session.execute(stmt))


INCLUSION_COUNTS = ("inputs", "participants", "women", "youth", "rural_inputs", "displaced_inputs")


def inclusion_frame(rows: Any) -> pd.DataFrame:
    """Monthly inclusion counts (month, then ``INCLUSION_COUNTS``) with their shares."""
    frame = _frame(rows, ["month", *INCLUSION_COUNTS], ints=INCLUSION_COUNTS)
    frame["month"] = pd.to_datetime(frame["month"])
    frame["share_women"] = _share(frame, "women", "participants")
    frame["share_youth"] = _share(frame, "youth", "participants")
    frame["share_rural"] = _share(frame, "rural_inputs", "inputs")
    frame["share_displaced"] = _share(frame, "displaced_inputs", "inputs")
    return frame


def locality_map(session: Session, filters: Filters) -> pd.DataFrame:
    """Every place with coordinates and its inputs, so silent places show on the map too.

    Columns: id, name, region, latitude, longitude, setting, inputs, closed, closure_rate
    (NaN where no input); places in the area filter only; most inputs first.
    """
    per_place = (
        select(_in.locality_id.label("locality_id"), func.count().label("inputs"),
               func.sum(_flag(_in.closed_at.is_not(None))).label("closed"))
        .select_from(_base()).where(*scope(session, filters)).group_by(_in.locality_id).subquery()
    )
    region = Locality.__table__.alias("map_region")
    where = [_loc.latitude.is_not(None), _loc.longitude.is_not(None)]
    if filters.area_id is not None and (clause := area_clause(session, filters.area_id)) is not None:
        where.append(clause)
    inputs = func.coalesce(per_place.c.inputs, 0)
    stmt = (
        select(_loc.id, _loc.name, region.c.name, _loc.latitude, _loc.longitude, _loc.setting,
               inputs, func.coalesce(per_place.c.closed, 0))
        .select_from(Locality.__table__.outerjoin(per_place, per_place.c.locality_id == _loc.id)
                     .outerjoin(region, region.c.id == _loc.region_id))
        .where(*where).order_by(inputs.desc(), _loc.name, _loc.id)
    )
    frame = _frame(session.execute(stmt),
                   ["id", "name", "region", "latitude", "longitude", "setting", "inputs", "closed"],
                   ints=("id", "inputs", "closed"), floats=("latitude", "longitude"))
    frame["closure_rate"] = _share(frame, "closed", "inputs")
    return frame


def bottlenecks(session: Session, filters: Filters, now: datetime, limit: int = 20) -> pd.DataFrame:
    """Where open inputs pile up, per responsible section: most overdue first.

    Columns: section (code; None = not recorded), label, open, overdue, oldest_received_at,
    oldest_days (age of the oldest open input at ``now``).
    """
    term = Term.__table__.alias("section_term")
    source = _base().outerjoin(
        term, and_(term.c.kind == TermKind.SECTION.value, term.c.code == _in.section_code))
    open_, overdue, oldest = func.count(), func.sum(_flag(_in.respond_by < now)), func.min(_in.received_at)
    stmt = (
        select(_in.section_code, term.c.label, open_, overdue, oldest)
        .select_from(source).where(*scope(session, filters), _in.closed_at.is_(None))
        .group_by(_in.section_code, term.c.label)
        .order_by(overdue.desc(), open_.desc(), oldest, _in.section_code.nulls_last())
        .limit(limit)
    )
    frame = _frame(session.execute(stmt), ["section", "label", "open", "overdue", "oldest_received_at"],
                   ints=("open", "overdue"))
    frame["oldest_days"] = pd.Series(
        [(now - t).total_seconds() / 86400 for t in frame["oldest_received_at"]], dtype="float64")
    return frame


def bottleneck_frame(table: list[tuple[Any, ...]], now: datetime, limit: int = 20) -> pd.DataFrame:
    """(section, label, open, overdue, oldest received) rows, most overdue first, as the
    bottlenecks' frame: the first ``limit`` sections, with the oldest one's age at ``now``."""
    table = sorted(table, key=lambda r: (-r[3], -r[2], r[4], r[0] is None, r[0] or ""))
    frame = _frame(table[:limit], ["section", "label", "open", "overdue", "oldest_received_at"],
                   ints=("open", "overdue"))
    frame["oldest_days"] = pd.Series(
        [(now - t).total_seconds() / 86400 for t in frame["oldest_received_at"]], dtype="float64")
    return frame


def oldest_open(session: Session, filters: Filters, now: datetime, limit: int = 20, *,
                viewer: User | None = None) -> pd.DataFrame:
    """The oldest open inputs, without any of their text: which promises are waiting longest.

    Restricted inputs exist "only as part of totals": they are listed only for a ``viewer``
    whose role may read them. Columns: id, received_at, locality, section, section_label,
    type, type_label, loop_state, overdue (bool), days_open.
    """
    sections, types = Term.__table__.alias("section_term"), Term.__table__.alias("type_term")
    source = (
        _base()
        .outerjoin(sections, and_(sections.c.kind == TermKind.SECTION.value,
                                  sections.c.code == _in.section_code))
        .outerjoin(types, and_(types.c.kind == TermKind.INPUT_TYPE.value, types.c.code == _in.type_code))
    )
    visible = (visible_inputs(viewer) if viewer is not None
               else _in.sensitivity != Sensitivity.RESTRICTED.value)
    stmt = (
        select(_in.id, _in.received_at, _loc.name, _in.section_code, sections.c.label, _in.type_code,
               types.c.label, loop_state_expr(), _in.respond_by < now)
        .select_from(source)
        .where(*scope(session, filters), _in.closed_at.is_(None), visible)
        .order_by(_in.received_at, _in.id).limit(limit)
    )
    frame = _frame(session.execute(stmt), ["id", "received_at", "locality", "section", "section_label",
                                           "type", "type_label", "loop_state", "overdue"], ints=("id",))
    frame["overdue"] = frame["overdue"].astype(bool)
    frame["days_open"] = pd.Series(
        [(now - t).total_seconds() / 86400 for t in frame["received_at"]], dtype="float64")
    return frame
