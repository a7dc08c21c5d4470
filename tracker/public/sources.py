"""What the public screen counts, in SQL: its population, themes, actions and messages.

``public_input`` is the one definition of an input that public counts may include;
the rules behind each query are listed in ``tracker.public.content``.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, case, exists, func, not_, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from tracker.codes import OPEN_ACTION_STATUSES, ActionStatus, ConsentPublic, LocalityLevel, Sensitivity
from tracker.errors import NotFoundError
from tracker.i18n import FALLBACKS, SOURCE_LOCALE
from tracker.models import (
    Action,
    ActionInput,
    Input,
    InputTheme,
    Locality,
    ReportBack,
    ReportBackInput,
    ReportBackMessage,
    Term,
)
from tracker.public.tree import SENSITIVE_LEVELS, AreaTally, Node, PlaceTree, from_sums, sum_up

OPEN_SENSITIVITIES = (Sensitivity.PUBLIC.value, Sensitivity.INTERNAL.value)
LOOKUP_CHUNK = 900  # ids looked up per statement: under SQLite's oldest limit of 999 values

_in = Input.__table__.c
_loc = Locality.__table__.c
_th = InputTheme.__table__.c
_ac = Action.__table__.c
_ai = ActionInput.__table__.c
_rb = ReportBack.__table__.c
_rbi = ReportBackInput.__table__.c


@dataclass(frozen=True, slots=True)
class OpenCommitment:
    """A public commitment still open: its title was written for the public."""

    title: str
    due_date: date | None
    overdue: bool


@dataclass(frozen=True, slots=True)
class PublicMessage:
    """An approved report-back, in the language closest to the viewer's."""

    text: str
    language: str
    reported_on: date
    fallback: bool  # not in the language asked for


def sensitive_codes(session: Session) -> list[str]:
    """Themes shown only at region or mission level (``Term.restricted``)."""
    stmt = select(Term.code).where(Term.kind == "theme", Term.restricted).order_by(Term.code)  # type: ignore[arg-type]
    return list(session.execute(stmt).scalars())


def public_input(table, sensitive: list[str]) -> ColumnElement[bool]:  # type: ignore[no-untyped-def]
    """The inputs every public count is made of (``tracker.public.content``), over ``table``."""
    theme = aliased(InputTheme.__table__)
    clauses: list[ColumnElement[bool]] = [
        table.c.consent_public != ConsentPublic.NONE.value,
        table.c.sensitivity.in_(OPEN_SENSITIVITIES),
    ]
    if sensitive:
        clauses.append(~exists().where(theme.c.input_id == table.c.id,
                                       theme.c.theme_code.in_(sensitive)))
    return and_(*clauses)


def area_of(session: Session, area_id: int | None) -> tuple[str, str]:
    """Name and level of the area asked for (the mission when None)."""
    if area_id is None:
        name = session.execute(
            select(_loc.name).where(_loc.level == LocalityLevel.MISSION.value).order_by(_loc.id)
        ).scalars().first()
        return name or "", LocalityLevel.MISSION.value
    row = session.execute(select(_loc.name, _loc.level).where(_loc.id == area_id)).first()
    if row is None:
        raise NotFoundError(f"no locality #{area_id}")
    return row[0], row[1]


def joined(*columns):  # type: ignore[no-untyped-def]
    """A select over inputs joined to their locality, as ``tracker.metrics.scope`` expects."""
    return select(*columns).select_from(
        Input.__table__.join(Locality.__table__, _in.locality_id == _loc.id))


def inputs_outside(session: Session, where: list[ColumnElement[bool]], listed: list[str]) -> int:
    """Inputs carrying at least one theme not in ``listed`` (the "other themes" cell)."""
    theme = aliased(InputTheme.__table__)
    stmt = joined(func.count()).where(*where, exists().where(
        theme.c.input_id == _in.id, theme.c.theme_code.not_in(listed)))
    return int(session.execute(stmt).scalar_one())


def tree_from_inputs(session: Session, period: list[ColumnElement[bool]], tree: PlaceTree,
                     sensitive: list[str]) -> dict[Node, AreaTally]:
    """Every place's tallies for the period, counted from the inputs (the reference)."""
    where = [*period, public_input(Input.__table__, sensitive)]
    place, theme = _in.locality_id, _th.theme_code
    rows: list[tuple[int | None, str, int]] = []
    for at, n, closed, rb in session.execute(joined(
            place, func.count(), func.count(_in.closed_at), func.count(_in.first_report_back_at))
            .where(*where).group_by(place)):
        rows += [(at, "total", n), (at, "answered", closed), (at, "with_rb", rb)]
    themed = InputTheme.__table__.join(Input.__table__, _th.input_id == _in.id).join(
        Locality.__table__, _in.locality_id == _loc.id)
    by_theme = select(place, theme, func.count()).select_from(themed).group_by(place, theme)
    rows += [(at, f"theme:{code}", n) for at, code, n in session.execute(by_theme.where(*where))]
    summed = sum_up(tree, rows)
    sens = sum_up(tree, session.execute(by_theme.where(
        *period, _in.consent_public != ConsentPublic.NONE.value, theme.in_(sensitive))).all(),
        SENSITIVE_LEVELS) if sensitive else {}

    def outside(node: Node) -> Callable[[list[str]], int]:
        return lambda listed: inputs_outside(
            session, [*where, _in.locality_id.in_(tree.below(node))], listed)

    return from_sums(summed, sens, outside)


def actions(session: Session, linked: ColumnElement[bool], start: datetime | None,
             end: datetime | None, since: date | None, until: date | None,
             now: datetime, limit: int) -> tuple[int, int, int, tuple[OpenCommitment, ...]]:
    """Actions done, commitments due and kept, and open commitments (threshold 1)."""
    today = now.date()
    done_where = [linked, _ac.status == ActionStatus.DONE.value, _ac.closed_at <= now]
    if start:
        done_where.append(_ac.closed_at >= start)
    if end:
        done_where.append(_ac.closed_at < end)
    done = session.execute(select(func.count()).where(*done_where)).scalar_one()
    due_where = [linked, _ac.is_public_commitment.is_(True), _ac.due_date <= today]
    if since:
        due_where.append(_ac.due_date >= since)
    if until:
        due_where.append(_ac.due_date <= until)
    closed_day = func.date(_ac.closed_at)
    if session.get_bind().dialect.name == "postgresql":
        closed_day = func.date(func.timezone("UTC", _ac.closed_at))
    kept = and_(_ac.status == ActionStatus.DONE.value, closed_day <= _ac.due_date)
    due, kept_n = session.execute(
        select(func.count(), func.sum(case((kept, 1), else_=0))).where(*due_where)).one()
    open_rows = session.execute(
        select(_ac.title, _ac.due_date)
        .where(linked, _ac.is_public_commitment.is_(True), _ac.status.in_(OPEN_ACTION_STATUSES))
        .order_by(_ac.due_date.asc().nulls_last(), _ac.id)
        .limit(limit)
    ).all()
    promised = tuple(OpenCommitment(title, due_on, due_on is not None and due_on < today)
                     for title, due_on in open_rows)
    return int(done), int(due), int(kept_n or 0), promised


def pick_language(lang: str, available: list[str]) -> str:
    """The version to show: the viewer's, its fallbacks, English, else the first other."""
    for code in (lang, *FALLBACKS.get(lang, ()), SOURCE_LOCALE):
        if code in available:
            return code
    return sorted(available)[0]


def messages(session: Session, area: list[ColumnElement[bool]], sensitive: list[str],
              start: datetime | None, end: datetime | None, now: datetime, lang: str,
              limit: int, one_place: int | None = None, probe: int = 0,
              ) -> tuple[PublicMessage, ...]:
    """Approved report-backs linked only to public inputs, one of them in the area.

    ``one_place``: the area is this one locality. A region's or the mission's report-backs
    are many, so their newest are probed one by one until enough are found. A
    locality's are first looked for among the mission's ``probe`` newest (a busy place
    has enough there); else they are listed from its own inputs (probed among all, a
    village's few would be found only after scanning the mission's)."""
    other = aliased(Input.__table__)
    other_link = aliased(ReportBackInput.__table__)
    linked = select(_rbi.report_back_id).select_from(
        ReportBackInput.__table__.join(Input.__table__, _rbi.input_id == _in.id)
        .join(Locality.__table__, _in.locality_id == _loc.id)
    ).where(public_input(Input.__table__, sensitive), *area)
    protected = exists().select_from(
        other_link.join(other, other_link.c.input_id == other.c.id)
    ).where(other_link.c.report_back_id == _rb.id, not_(public_input(other, sensitive)))
    approved = [_rb.approved_public.is_(True), _rb.reported_at <= now]
    if start:
        approved.append(_rb.reported_at >= start)
    if end:
        approved.append(_rb.reported_at < end)
    newest = (_rb.reported_at.desc(), _rb.id.desc())

    def first(*among: ColumnElement[bool]) -> list[Any]:
        return list(session.execute(select(_rb.id, _rb.reported_at).where(
            *approved, *among, ~protected).order_by(*newest).limit(limit)).all())

    if one_place is None:
        reports = first(exists(linked.where(_rbi.report_back_id == _rb.id)))
    else:  # the same choice either way: the newest found among the newest are the newest
        recent = select(_rb.id).where(*approved).order_by(*newest).limit(probe)
        # Each probe goes from the report-back to its inputs, then checks their place:
        # ``+ 0`` keeps SQLite, which plans without statistics, from starting at the
        # place's index and reading every input of a busy place for every probe.
        here = exists().select_from(ReportBackInput.__table__.join(
            Input.__table__, _rbi.input_id == _in.id)).where(
            _rbi.report_back_id == _rb.id, _in.locality_id + 0 == one_place,
            public_input(Input.__table__, sensitive))
        reports = first(_rb.id.in_(recent), here) if probe > 0 else []
        if len(reports) < limit:
            # Listed here, then looked up by id: given the list as a subquery, PostgreSQL
            # would rather probe the mission's report-backs newest first again.
            ids = sorted(set(session.execute(linked).scalars()))
            found = [r for at in range(0, len(ids), LOOKUP_CHUNK)
                     for r in first(_rb.id.in_(ids[at:at + LOOKUP_CHUNK]))]
            reports = sorted(found, key=lambda r: (r.reported_at, r.id), reverse=True)[:limit]
    if not reports:
        return ()
    versions: dict[int, dict[str, str]] = {r.id: {} for r in reports}
    stmt = select(ReportBackMessage.report_back_id, ReportBackMessage.language,
                  ReportBackMessage.text).where(
        ReportBackMessage.report_back_id.in_(list(versions)))  # type: ignore[attr-defined]
    for report_id, language, text in session.execute(stmt):
        versions[report_id][language] = text
    out: list[PublicMessage] = []
    for report_id, reported_at in reports:
        if not versions[report_id]:
            continue
        chosen = pick_language(lang, list(versions[report_id]))
        out.append(PublicMessage(versions[report_id][chosen], chosen, reported_at.date(),
                                 chosen != lang))
    return tuple(out)


def linked_actions(area: list[ColumnElement[bool]], sensitive: list[str]) -> ColumnElement[bool]:
    """Actions linked to at least one public input of the area (any date)."""
    ids = (
        select(_ai.action_id)
        .select_from(ActionInput.__table__.join(Input.__table__, _ai.input_id == _in.id)
                     .join(Locality.__table__, _in.locality_id == _loc.id))
        .where(*area, public_input(Input.__table__, sensitive))
    )
    return _ac.id.in_(ids)
