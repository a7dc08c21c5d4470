"""The leadership figures read from the rollups: the same shapes as ``tracker.metrics``
and ``tracker.breakdowns``, from a few thousand summary rows instead of every input.

A period is read as its whole months (grain ``m``, one row per place and value) plus the
days at either end (grain ``d``). The rollups hold state as of the last write; the only
figure that moves with the clock, "overdue" (open and past its service level at ``now``),
is the open count of the cells minus the open inputs not yet due at ``now``, which come
from the inputs through ``ix_input_open_due`` (only inputs still inside their service
level: recent ones). Filters on theme, channel or component are not covered: a rollup
keyed by every combination of them would hold about as many rows as there are inputs,
so ``supported`` sends those to the straightforward queries.
"""

from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from tracker.breakdowns import (
    REPORT_BACK_BINS,
    _frame,
    _share,
    bottleneck_frame,
    bucket_label,
    inclusion_frame,
    weekly_frame,
)
from tracker.codes import ActionStatus, Setting, TermKind
from tracker.errors import ValidationError
from tracker.metrics import Figures, Filters, _ratio, area_clause, scope, silent_localities
from tracker.models import Action, Input, InputTheme, Locality, RollupActionPlace, RollupCell, Term
from tracker.rollups import hist

_rc = RollupCell.__table__
_in, _th, _loc = Input.__table__.c, InputTheme.__table__.c, Locality.__table__.c
_CODE_DIMS = {"theme": TermKind.THEME, "channel": TermKind.CHANNEL, "component": TermKind.COMPONENT,
              "section": TermKind.SECTION}


def supported(filters: Filters) -> bool:
    """Whether the rollups can answer ``filters`` (period and area only)."""
    return not (filters.theme_code or filters.channel_code or filters.component_code)


def narrowed_share(session: Session, filters: Filters) -> float:
    """The share of all inputs that the theme, channel or component of ``filters`` keeps
    (the narrowest one), from the month cells: a few thousand rows, not the inputs."""
    c = _rc.c
    total = session.execute(select(func.sum(c.inputs)).where(
        c.grain == "m", c.dim == "all")).scalar() or 0
    kept = [session.execute(select(func.sum(c.inputs)).where(
        c.grain == "m", c.dim == dim, c.code == code)).scalar() or 0
        for dim, code in (("theme", filters.theme_code), ("channel", filters.channel_code),
                          ("component", filters.component_code)) if code]
    return min(kept) / total if kept and total else 0.0


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def period_clause(filters: Filters, table: Any = _rc) -> ColumnElement[bool]:
    """Whole months of the period from month cells, the days at its ends from day cells."""
    c, since = table.c, filters.since
    end = filters.until + timedelta(days=1) if filters.until else None
    first = None if since is None else since if since.day == 1 else _next_month(since)
    last = None if end is None else end.replace(day=1)
    if first is not None and last is not None and first >= last:
        return and_(c.grain == "d", c.day >= since, c.day < end)
    months = and_(c.grain == "m", *([c.day >= first] if first else []), *([c.day < last] if last else []))
    edges = []
    if since is not None and first != since:
        edges.append(and_(c.day >= since, c.day < first))
    if end is not None and last != end:
        edges.append(and_(c.day >= last, c.day < end))
    return or_(months, and_(c.grain == "d", or_(*edges))) if edges else months


def _where(session: Session, filters: Filters, table: Any = _rc, *, period: bool = True
           ) -> list[ColumnElement[bool]]:
    where = [period_clause(filters, table)] if period else [table.c.grain == "m"]
    if filters.area_id is not None and (clause := area_clause(session, filters.area_id)) is not None:
        where.append(clause)
    return where


def _cells(*columns: Any, table: Any = _rc) -> Any:
    return select(*columns).select_from(
        table.join(Locality.__table__, table.c.locality_id == _loc.id))


def _hist(session: Session, filters: Filters, measure: str) -> tuple[np.ndarray, np.ndarray]:
    stmt = _cells(_rc.c.counts).where(_rc.c.dim == f"h_{measure}", *_where(session, filters))
    return hist.read_merged(session, stmt)


Waiting = dict[str | None, dict[Any, int]]


def pending(session: Session, filters: Filters, now: datetime) -> Waiting:
    """Open inputs in scope not yet due at ``now``: in total (key None) and per region,
    channel, component, section and theme, from two grouped queries."""
    where = [*scope(session, filters), _in.closed_at.is_(None), _in.respond_by >= now]
    source = Input.__table__.join(Locality.__table__, _in.locality_id == _loc.id)
    keys = {"region": _loc.region_id, "channel": _in.channel_code,
            "component": func.coalesce(_in.component_code, ""),
            "section": func.coalesce(_in.section_code, "")}
    rows = select(*(k.label(n) for n, k in keys.items())).select_from(source).where(*where).subquery()
    out: Waiting = {None: {None: 0}, **{n: {} for n in (*keys, "theme")}}
    for *values, n in session.execute(select(*rows.c, func.count()).group_by(*rows.c)):
        out[None][None] += n
        for name, value in zip(keys, values, strict=True):
            out[name][value] = out[name].get(value, 0) + n
    themed = (select(_th.theme_code.label("k")).select_from(source.join(
        InputTheme.__table__, _th.input_id == _in.id)).where(*where).subquery())
    out["theme"] = dict(session.execute(select(themed.c.k, func.count()).group_by(themed.c.k)).all())
    return out


def commitments(session: Session, filters: Filters, today: date) -> tuple[int, int]:
    """``tracker.metrics.commitments``, with the actions of an area from
    ``rollup_action_place`` rather than from every link of every input there."""
    ac, ap = Action.__table__.c, RollupActionPlace.__table__
    where: list[ColumnElement[bool]] = [ac.is_public_commitment.is_(True), ac.due_date <= today,
                                        *([ac.due_date >= filters.since] if filters.since else []),
                                        *([ac.due_date <= filters.until] if filters.until else [])]
    if filters.area_id is not None and (clause := area_clause(session, filters.area_id)) is not None:
        where.append(ac.id.in_(select(ap.c.action_id).select_from(
            ap.join(Locality.__table__, ap.c.locality_id == _loc.id)).where(ap.c.public.is_(False), clause)))
    closed_day = func.date(ac.closed_at)
    if session.get_bind().dialect.name == "postgresql":
        closed_day = func.date(func.timezone("UTC", ac.closed_at))
    kept = and_(ac.status == ActionStatus.DONE.value, closed_day <= ac.due_date)
    due, done = session.execute(select(func.count(), func.sum(case((kept, 1), else_=0))).where(*where)).one()
    return int(due), int(done or 0)


def figures(session: Session, filters: Filters, *, now: datetime, silence_days: int = 60,
            waiting: Waiting | None = None) -> Figures:
    """``tracker.metrics.figures`` from the rollups (percentiles to within a bucket);
    ``waiting`` is ``pending`` for the same filters and ``now`` when already read."""
    c = _rc.c
    rural = _loc.setting.in_([Setting.RURAL.value, Setting.REMOTE.value])
    names = ("inputs", "closed", "open_inputs", "female", "participants", "youth", "src_women",
             "src_youth", "src_displaced", "src_minority", "repeats")
    row = session.execute(_cells(*(func.coalesce(func.sum(c[n]), 0) for n in names),
                                 func.coalesce(func.sum(case((rural, c.inputs), else_=0)), 0))
                          .where(c.dim == "all", *_where(session, filters))).one()
    s = dict(zip((*names, "rural"), (int(v) for v in row), strict=True))
    ack, act, rb = (hist.percentiles(*_hist(session, filters, m))
                    for m in ("ack", "action", "report_back"))
    due, kept = commitments(session, filters, now.date())
    total = s["inputs"]
    days = lambda h: None if h is None else h / 24  # noqa: E731
    langs = session.execute(_cells(c.code, func.sum(c.inputs)).where(c.dim == "language",
                            *_where(session, filters)).group_by(c.code)).all()
    return Figures(
        inputs_total=total, inputs_closed=s["closed"], closure_rate=_ratio(s["closed"], total),
        median_hours_to_acknowledge=ack[0], p90_hours_to_acknowledge=ack[1],
        median_days_to_first_action=days(act[0]), p90_days_to_first_action=days(act[1]),
        median_days_to_report_back=days(rb[0]), p90_days_to_report_back=days(rb[1]),
        overdue_open=s["open_inputs"] - (waiting or _pending_total(session, filters, now))[None][None],
        commitments_due=due, commitments_kept=kept, commitments_kept_rate=_ratio(kept, due),
        repeat_asks=s["repeats"],
        share_women=_ratio(s["female"], s["participants"]),
        share_youth=_ratio(s["youth"], s["participants"]),
        share_inputs_women=_ratio(s["src_women"], total),
        share_inputs_youth=_ratio(s["src_youth"], total),
        share_inputs_displaced=_ratio(s["src_displaced"], total),
        share_inputs_minority=_ratio(s["src_minority"], total),
        share_rural=_ratio(s["rural"], total), participants=s["participants"],
        languages={k: int(n) for k, n in sorted(langs, key=lambda r: (-r[1], r[0]))},
        silent_localities=len(silent_localities(session, filters, now, silence_days)),
    )


def _none(code: Any) -> Any:
    return None if code == "" else code


def _pending_total(session: Session, filters: Filters, now: datetime) -> Waiting:
    where = [*scope(session, filters), _in.closed_at.is_(None), _in.respond_by >= now]
    stmt = select(func.count()).select_from(
        Input.__table__.join(Locality.__table__, _in.locality_id == _loc.id)).where(*where)
    return {None: {None: int(session.execute(stmt).scalar_one())}}


def closure_by(session: Session, filters: Filters, by: str, *, now: datetime,
               waiting: Waiting | None = None) -> pd.DataFrame:
    """``tracker.breakdowns.closure_by`` for region, theme, channel or component."""
    c = _rc.c
    if by == "region":
        region = Locality.__table__.alias("dim_region")
        source = _rc.join(Locality.__table__, c.locality_id == _loc.id).outerjoin(
            region, region.c.id == _loc.region_id)
        key, label, dim = _loc.region_id, region.c.name, "all"
    elif by in ("theme", "channel", "component"):
        term = Term.__table__.alias("dim_term")
        source = _rc.join(Locality.__table__, c.locality_id == _loc.id).outerjoin(
            term, and_(term.c.kind == _CODE_DIMS[by].value, term.c.code == c.code))
        key, label, dim = c.code, term.c.label, by
    else:
        raise ValidationError(f"the rollups do not break down by {by!r}", field="by")
    stmt = (select(key, label, func.sum(c.inputs), func.sum(c.closed), func.sum(c.open_inputs))
            .select_from(source).where(c.dim == dim, *_where(session, filters))
            .group_by(key, label))
    rows = [(_none(k), lab, n, closed, open_) for k, lab, n, closed, open_ in session.execute(stmt)]
    found = (waiting or pending(session, filters, now))[by]
    waiting_by = {_none(k): n for k, n in found.items()}
    table = [(k, lab, n, closed, open_ - waiting_by.get(k, 0)) for k, lab, n, closed, open_ in rows]
    table.sort(key=lambda r: (-r[2], r[0] is None, str(r[0])))
    frame = _frame(table, ["key", "label", "inputs", "closed", "overdue_open"],
                   ints=("inputs", "closed", "overdue_open"))
    frame.insert(4, "closure_rate", _share(frame, "closed", "inputs"))
    return frame


def weekly_flow(session: Session, filters: Filters) -> pd.DataFrame:
    """``tracker.breakdowns.weekly_flow``: received from day cells, closed from the
    ``closed_on`` cells of every receipt date."""
    c = _rc.c
    end = filters.until + timedelta(days=1) if filters.until else None
    days = [c.grain == "d", *([c.day >= filters.since] if filters.since else []),
            *([c.day < end] if end else [])]
    area = _where(session, Filters(area_id=filters.area_id), period=False)[1:]
    received = session.execute(_cells(c.day, func.sum(c.inputs)).where(
        c.dim == "all", *days, *area).group_by(c.day)).all()
    closed_where = [*([c.code >= filters.since.isoformat()] if filters.since else []),
                    *([c.code < end.isoformat()] if end else [])]
    closed = session.execute(_cells(c.code, func.sum(c.inputs)).where(
        c.dim == "closed_on", c.grain == "m", *closed_where, *area).group_by(c.code)).all()
    return weekly_frame([(_monday(day), int(n), 0) for day, n in received]
                        + [(_monday(date.fromisoformat(code)), 0, int(n)) for code, n in closed])


def _monday(day: Any) -> date:
    day = day if isinstance(day, date) else date.fromisoformat(str(day))
    return day - timedelta(days=day.weekday())


def report_back_distribution(session: Session, filters: Filters,
                             bins: tuple[int, ...] = REPORT_BACK_BINS) -> pd.DataFrame:
    """``tracker.breakdowns.report_back_distribution`` from the report-back histograms."""
    if not bins or any(b <= 0 for b in bins) or list(bins) != sorted(set(bins)):
        raise ValidationError("bins must be increasing positive day counts", field="bins")
    index, counts = _hist(session, filters, "report_back")
    below = [hist.count_below(index, counts, b * 24) for b in bins] + [int(counts.sum())]
    sizes = [below[0]] + [below[i] - below[i - 1] for i in range(1, len(below))]
    edges = list(zip((0, *bins), (*bins, None), strict=True))
    table = [(i, lo, hi, bucket_label(lo, hi), sizes[i]) for i, (lo, hi) in enumerate(edges)]
    return _frame(table, ["bucket", "low_days", "high_days", "label", "inputs"],
                  ints=("bucket", "low_days", "inputs"))


def inclusion_over_time(session: Session, filters: Filters) -> pd.DataFrame:
    """``tracker.breakdowns.inclusion_over_time`` from the cells of the period."""
    c = _rc.c
    rural = _loc.setting.in_([Setting.RURAL.value, Setting.REMOTE.value])
    rows = session.execute(_cells(c.day, func.sum(c.inputs), func.sum(c.participants), func.sum(c.female),
                                  func.sum(c.youth), func.sum(case((rural, c.inputs), else_=0)),
                                  func.sum(c.src_displaced))
                           .where(c.dim == "all", *_where(session, filters)).group_by(c.day)).all()
    months: dict[date, list[int]] = {}
    for day, *values in rows:
        day = day if isinstance(day, date) else date.fromisoformat(str(day))
        acc = months.setdefault(day.replace(day=1), [0] * 6)
        for i, v in enumerate(values):
            acc[i] += int(v or 0)
    return inclusion_frame([(m, *v) for m, v in sorted(months.items())])


def locality_map(session: Session, filters: Filters) -> pd.DataFrame:
    """``tracker.breakdowns.locality_map``: the places, with their cells' inputs."""
    c = _rc.c
    per_place = (select(c.locality_id, func.sum(c.inputs).label("inputs"), func.sum(c.closed).label("closed"))
                 .where(c.dim == "all", period_clause(filters)).group_by(c.locality_id).subquery())
    region = Locality.__table__.alias("map_region")
    where = [_loc.latitude.is_not(None), _loc.longitude.is_not(None)]
    if filters.area_id is not None and (clause := area_clause(session, filters.area_id)) is not None:
        where.append(clause)
    inputs = func.coalesce(per_place.c.inputs, 0)
    stmt = (select(_loc.id, _loc.name, region.c.name, _loc.latitude, _loc.longitude, _loc.setting,
                   inputs, func.coalesce(per_place.c.closed, 0))
            .select_from(Locality.__table__.outerjoin(per_place, per_place.c.locality_id == _loc.id)
                         .outerjoin(region, region.c.id == _loc.region_id))
            .where(*where).order_by(inputs.desc(), _loc.name, _loc.id))
    frame = _frame(session.execute(stmt),
                   ["id", "name", "region", "latitude", "longitude", "setting", "inputs", "closed"],
                   ints=("id", "inputs", "closed"), floats=("latitude", "longitude"))
    frame["closure_rate"] = _share(frame, "closed", "inputs")
    return frame


def bottlenecks(session: Session, filters: Filters, now: datetime, limit: int = 20, *,
                waiting: Waiting | None = None) -> pd.DataFrame:
    """``tracker.breakdowns.bottlenecks`` from the section cells."""
    c = _rc.c
    term = Term.__table__.alias("section_term")
    source = _rc.join(Locality.__table__, c.locality_id == _loc.id).outerjoin(
        term, and_(term.c.kind == TermKind.SECTION.value, term.c.code == c.code))
    stmt = (select(c.code, term.c.label, func.sum(c.open_inputs), func.min(c.oldest_open))
            .select_from(source).where(c.dim == "section", c.open_inputs > 0, *_where(session, filters))
            .group_by(c.code, term.c.label))
    by_section = (waiting or pending(session, filters, now))["section"]
    return bottleneck_frame([(_none(code), label, int(n), int(n) - by_section.get(code, 0),
                              utc_time(oldest)) for code, label, n, oldest in session.execute(stmt)],
                            now, limit)


def utc_time(value: Any) -> datetime:
    """A MIN() over a UTCDateTime column comes back as text on SQLite."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)


__all__ = ["bottlenecks", "closure_by", "figures", "inclusion_over_time", "locality_map",
           "narrowed_share", "pending", "period_clause", "report_back_distribution", "supported",
           "utc_time",
           "weekly_flow"]
