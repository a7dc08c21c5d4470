"""The accountability figures, computed by SQL aggregates in the database.

Nothing here loads rows into Python beyond a handful of result values: counts and
shares come from one aggregate scan, percentiles from the database (``tracker.percentiles``:
``percentile_cont`` on PostgreSQL, a histogram then the wanted buckets on SQLite),
so the same figures stay cheap at a million inputs.
"""

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, and_, case, func, literal, or_, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from tracker.codes import ActionStatus, LocalityLevel, Setting
from tracker.db import is_sqlite
from tracker.models import Action, ActionInput, Input, InputTheme, Locality
from tracker.percentiles import _float, percentiles_of
from tracker.sqltypes import hours_between, utcnow

_in = Input.__table__.c
_loc = Locality.__table__.c
_th = InputTheme.__table__.c
_ac = Action.__table__.c
_ai = ActionInput.__table__.c

_FEMALE = ("girls", "young_women", "women")
_MALE = ("boys", "young_men", "men")
_YOUTH = ("young_women", "young_men")


@dataclass(frozen=True)
class Filters:
    """What every figure can be narrowed to; ``until`` is inclusive (a whole day)."""

    since: date | None = None
    until: date | None = None
    area_id: int | None = None  # a region, territory or locality (its descendants included)
    theme_code: str | None = None
    channel_code: str | None = None
    component_code: str | None = None

    def period_bounds(self) -> tuple[datetime | None, datetime | None]:
        start = datetime.combine(self.since, time(), UTC) if self.since else None
        end = datetime.combine(self.until + timedelta(days=1), time(), UTC) if self.until else None
        return start, end


@dataclass(frozen=True)
class Figures:
    """The headline figures (the ``hearback metrics --json`` object)."""

    inputs_total: int
    inputs_closed: int
    closure_rate: float | None
    median_hours_to_acknowledge: float | None
    p90_hours_to_acknowledge: float | None
    median_days_to_first_action: float | None
    p90_days_to_first_action: float | None
    median_days_to_report_back: float | None
    p90_days_to_report_back: float | None
    overdue_open: int
    commitments_due: int
    commitments_kept: int
    commitments_kept_rate: float | None
    repeat_asks: int
    share_women: float | None
    share_youth: float | None
    share_inputs_women: float | None
    share_inputs_youth: float | None
    share_inputs_displaced: float | None
    share_inputs_minority: float | None
    share_rural: float | None
    participants: int
    languages: dict[str, int] = field(default_factory=dict)
    silent_localities: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _ratio(part: float | None, whole: float | None) -> float | None:
    if not whole:
        return None
    return (part or 0) / whole


def area_clause(session: Session, area_id: int) -> ColumnElement[bool] | None:
    """Inputs in ``area_id`` or below it; None for the mission (everything)."""
    level = session.execute(select(_loc.level).where(_loc.id == area_id)).scalar_one_or_none()
    if level is None or level == LocalityLevel.MISSION:
        return None if level else literal(False)
    if level == LocalityLevel.REGION:
        return _loc.region_id == area_id
    if level == LocalityLevel.TERRITORY:
        return or_(_loc.parent_id == area_id, _loc.id == area_id)
    return _loc.id == area_id


def scope(session: Session, filters: Filters, *, period: bool = True) -> list[ColumnElement[bool]]:
    """WHERE clauses over ``input`` joined to ``locality`` for ``filters``."""
    clauses: list[ColumnElement[bool]] = []
    if period:
        start, end = filters.period_bounds()
        if start:
            clauses.append(_in.received_at >= start)
        if end:
            clauses.append(_in.received_at < end)
    if filters.area_id is not None:
        clause = area_clause(session, filters.area_id)
        if clause is not None:
            clauses.append(clause)
    if filters.theme_code:
        # The theme's inputs from its index, looked up by id: a correlated EXISTS would
        # probe the theme table once for every input of the period instead.
        themed = select(_th.input_id).where(_th.theme_code == filters.theme_code)
        clauses.append(_in.id.in_(themed.correlate(None)))
    if filters.channel_code:
        clauses.append(_in.channel_code == filters.channel_code)
    if filters.component_code:
        clauses.append(_in.component_code == filters.component_code)
    return clauses


def _inputs(*columns: Any) -> Select[Any]:
    return select(*columns).select_from(
        Input.__table__.join(Locality.__table__, _in.locality_id == _loc.id)
    )


def _participants(names: tuple[str, ...]) -> ColumnElement[int]:
    return sum((func.coalesce(getattr(_in, n), 0) for n in names), literal(0))


def counts(session: Session, filters: Filters, now: datetime, *,
           durations: Sequence[ColumnElement[float]] = (),
           qs: tuple[float, ...] = (0.5, 0.9), by_language: bool = False) -> dict[str, Any]:
    """Every count and share that one aggregate scan can give; with ``durations``
    (PostgreSQL only) their percentiles too, under "percentiles", from the same scan;
    with ``by_language`` the inputs per language too, under "languages", from the same
    scan (every count is a sum, so the rows per language add up to the whole)."""
    if by_language and durations:
        raise ValueError("percentiles cannot be read per language and summed")
    closed = _in.closed_at.is_not(None)
    flag = lambda col: func.sum(case((col, 1), else_=0))  # noqa: E731
    stmt = _inputs(
        func.count().label("total"),
        flag(closed).label("closed"),
        flag(and_(_in.closed_at.is_(None), _in.respond_by < now)).label("overdue"),
        func.sum(_participants(_FEMALE)).label("female"),
        func.sum(_participants(_FEMALE + _MALE)).label("participants"),
        func.sum(_participants(_YOUTH)).label("youth"),
        flag(_in.source_women).label("src_women"),
        flag(_in.source_youth).label("src_youth"),
        flag(_in.source_displaced).label("src_displaced"),
        flag(_in.source_minority).label("src_minority"),
        flag(_loc.setting.in_([Setting.RURAL.value, Setting.REMOTE.value])).label("rural"),
        flag(_in.repeats_open_ask.is_(True)).label("repeats"),
        *(func.percentile_cont(q).within_group(v).label(f"p_{i}_{j}")
          for i, v in enumerate(durations) for j, q in enumerate(qs)),
    ).where(*scope(session, filters))
    if by_language:
        rows = session.execute(stmt.add_columns(_in.language.label("_language"))
                               .group_by(_in.language)).all()
        names = list(stmt.selected_columns.keys())
        out = {k: sum(r._mapping[k] or 0 for r in rows) for k in names}
        out["languages"] = dict(sorted(((r._language, int(r.total)) for r in rows),
                                       key=lambda kv: (-kv[1], kv[0])))
        return out
    out = dict(session.execute(stmt).one()._mapping)
    if durations:
        out["percentiles"] = [[_float(out.pop(f"p_{i}_{j}")) for j in range(len(qs))]
                              for i in range(len(durations))]
    return out


def repeat_asks(session: Session, filters: Filters) -> int:
    """Inputs that repeat an open ask of their locality (the flag kept by tracker.repeats)."""
    stmt = _inputs(func.count()).where(*scope(session, filters), _in.repeats_open_ask.is_(True))
    return int(session.execute(stmt).scalar_one())


def commitments(session: Session, filters: Filters, today: date) -> tuple[int, int]:
    """Public commitments due (by ``today``, within the period) and those done by their date."""
    where: list[ColumnElement[bool]] = [
        _ac.is_public_commitment.is_(True), _ac.due_date <= today,
    ]
    if filters.since:
        where.append(_ac.due_date >= filters.since)
    if filters.until:
        where.append(_ac.due_date <= filters.until)
    # The theme as a probe of each linked input: a list of the theme's inputs (as
    # ``scope`` has it) would be rebuilt for every commitment.
    in_scope = scope(session, replace(filters, theme_code=None), period=False)
    if filters.theme_code:
        in_scope.append(select(literal(1)).where(
            _th.input_id == _in.id, _th.theme_code == filters.theme_code).exists())
    if in_scope:
        # Per commitment (a few thousand at a million inputs), whether one of its inputs
        # is in scope: the links of every input in scope number hundreds of thousands.
        linked = (
            select(literal(1))
            .select_from(
                ActionInput.__table__.join(Input.__table__, _ai.input_id == _in.id).join(
                    Locality.__table__, _in.locality_id == _loc.id
                )
            )
            .where(_ai.action_id == _ac.id, *in_scope)
        )
        where.append(linked.exists())
    kept = and_(_ac.status == ActionStatus.DONE.value, func.date(_ac.closed_at) <= _ac.due_date)
    if not is_sqlite(session):
        kept = and_(_ac.status == ActionStatus.DONE.value,
                    func.date(func.timezone("UTC", _ac.closed_at)) <= _ac.due_date)
    stmt = select(func.count(), func.sum(case((kept, 1), else_=0))).where(*where)
    due, done = session.execute(stmt).one()
    return int(due), int(done or 0)


def languages(session: Session, filters: Filters) -> dict[str, int]:
    stmt = (
        _inputs(_in.language, func.count())
        .where(*scope(session, filters))
        .group_by(_in.language)
        .order_by(func.count().desc(), _in.language)
    )
    return {lang: n for lang, n in session.execute(stmt)}


def silent_localities(
    session: Session, filters: Filters, now: datetime, days: int = 60
) -> list[tuple[int, str, datetime | None]]:
    """Localities with no input in the last ``days`` days: (id, name, last input)."""
    cutoff = now - timedelta(days=days)
    last = (
        select(func.max(_in.received_at))
        .where(_in.locality_id == _loc.id)
        .correlate(Locality.__table__)
        .scalar_subquery()
    )
    where: list[ColumnElement[bool]] = [_loc.level == LocalityLevel.LOCALITY.value]
    if filters.area_id is not None:
        clause = area_clause(session, filters.area_id)
        if clause is not None:
            where.append(clause)
    stmt = (
        select(_loc.id, _loc.name, last.label("last"))
        .where(*where, or_(last.is_(None), last < cutoff))
        .order_by(_loc.name)
    )
    return [(r.id, r.name, r.last) for r in session.execute(stmt)]


def figures(
    session: Session, filters: Filters | None = None, *, now: datetime | None = None,
    silence_days: int = 60,
) -> Figures:
    """All headline figures for ``filters`` as of ``now``."""
    filters = filters or Filters()
    now = now or utcnow()
    durations = [hours_between(later, _in.received_at)
                 for later in (_in.acknowledged_at, _in.first_action_at, _in.first_report_back_at)]
    if is_sqlite(session):  # one scan for the counts and languages, two for the percentiles
        c = counts(session, filters, now, by_language=True)
        ack, act, rb = percentiles_of(session, durations, scope(session, filters))
    else:  # one scan for the counts and the percentiles
        c = counts(session, filters, now, durations=durations)
        c["languages"] = languages(session, filters)
        ack, act, rb = c.pop("percentiles")
    due, kept = commitments(session, filters, now.date())
    total = int(c["total"])
    days = lambda h: None if h is None else h / 24  # noqa: E731
    return Figures(
        inputs_total=total,
        inputs_closed=int(c["closed"] or 0),
        closure_rate=_ratio(c["closed"], total),
        median_hours_to_acknowledge=ack[0],
        p90_hours_to_acknowledge=ack[1],
        median_days_to_first_action=days(act[0]),
        p90_days_to_first_action=days(act[1]),
        median_days_to_report_back=days(rb[0]),
        p90_days_to_report_back=days(rb[1]),
        overdue_open=int(c["overdue"] or 0),
        commitments_due=due,
        commitments_kept=kept,
        commitments_kept_rate=_ratio(kept, due),
        repeat_asks=int(c["repeats"] or 0),
        share_women=_ratio(c["female"], c["participants"]),
        share_youth=_ratio(c["youth"], c["participants"]),
        share_inputs_women=_ratio(c["src_women"], total),
        share_inputs_youth=_ratio(c["src_youth"], total),
        share_inputs_displaced=_ratio(c["src_displaced"], total),
        share_inputs_minority=_ratio(c["src_minority"], total),
        share_rural=_ratio(c["rural"], total),
        participants=int(c["participants"] or 0),
        languages=c["languages"],
        silent_localities=len(silent_localities(session, filters, now, silence_days)),
    )
