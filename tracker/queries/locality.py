"""Locality history: the handover brief an incoming team reads before engaging again.

Counts (what was asked, through which channel, who engaged) include every input of
the place, as totals may. Everything that carries text — recent inputs, actions,
commitments, report-backs — comes only through inputs the reader may see, so an
action taken on a restricted input (e.g. a conduct case) never shows in the brief of
someone who may not read that input.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Select, func, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from tracker.access import visible_inputs
from tracker.codes import OPEN_ACTION_STATUSES, ActionStatus
from tracker.models import (
    Action,
    ActionInput,
    Input,
    InputTheme,
    ReportBack,
    ReportBackInput,
    ReportBackMessage,
    User,
)
from tracker.queries._common import (
    MAX_PAGE,
    InputBrief,
    brief_columns,
    briefs,
    get_locality,
    moment,
    page,
    subtree_ids,
)


@dataclass(frozen=True, slots=True)
class ThemeAsked:
    theme_code: str
    total: int
    open: int
    closed: int


@dataclass(frozen=True, slots=True)
class CodeCount:
    code: str | None  # None: inputs recorded without a section
    count: int


@dataclass(frozen=True, slots=True)
class ActionDone:
    id: int
    title: str
    kind_code: str
    closed_at: datetime | None
    outcome: str | None


@dataclass(frozen=True, slots=True)
class Promise:
    """A public commitment still open: the community is waiting for it."""

    id: int
    title: str
    kind_code: str
    status: str
    due_date: date | None
    overdue: bool


@dataclass(frozen=True, slots=True)
class NotPossible:
    id: int
    title: str
    kind_code: str
    reason: str | None
    closed_at: datetime | None


@dataclass(frozen=True, slots=True)
class ReportBackBrief:
    id: int
    reported_at: datetime
    audience: str
    method: str
    approved_public: bool
    languages: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LocalityHistory:
    locality_id: int
    locality_name: str
    level: str
    total: int
    open: int
    closed: int
    asked: tuple[ThemeAsked, ...]
    done: tuple[ActionDone, ...]
    promised: tuple[Promise, ...]
    not_possible: tuple[NotPossible, ...]
    channels: tuple[CodeCount, ...]
    sections: tuple[CodeCount, ...]
    recent: tuple[InputBrief, ...]
    report_backs: tuple[ReportBackBrief, ...]


def _counts(session: Session, column: ColumnElement, in_scope: ColumnElement[bool]) -> tuple[CodeCount, ...]:
    n = func.count().label("n")
    stmt = (select(column, n).where(in_scope).group_by(column)
            .order_by(n.desc(), column.asc().nulls_last()))
    return tuple(CodeCount(code, int(count)) for code, count in session.exec(stmt))  # type: ignore[call-overload]


def _report_backs(session: Session, visible_ids: Select, recent: int) -> tuple[ReportBackBrief, ...]:
    linked = select(ReportBackInput.report_back_id).where(ReportBackInput.input_id.in_(visible_ids))  # type: ignore[attr-defined]
    stmt = (
        select(ReportBack.id, ReportBack.reported_at, ReportBack.audience, ReportBack.method,
               ReportBack.approved_public)
        .where(ReportBack.id.in_(linked))  # type: ignore[union-attr]
        .order_by(ReportBack.reported_at.desc(), ReportBack.id.desc())  # type: ignore[attr-defined, union-attr]
        .limit(recent)
    )
    rows = list(session.exec(stmt))  # type: ignore[call-overload]
    languages: dict[int, list[str]] = defaultdict(list)
    if rows:
        lang_stmt = (
            select(ReportBackMessage.report_back_id, ReportBackMessage.language)
            .where(ReportBackMessage.report_back_id.in_([r[0] for r in rows]))  # type: ignore[attr-defined]
            .order_by(ReportBackMessage.report_back_id, ReportBackMessage.language)
        )
        for report_id, language in session.exec(lang_stmt):  # type: ignore[call-overload]
            languages[report_id].append(language)
    return tuple(ReportBackBrief(r[0], r[1], r[2], r[3], bool(r[4]), tuple(languages[r[0]]))
                 for r in rows)


def locality_history(
    *, session: Session, actor: User, locality_id: int, recent: int = 20,
    now: datetime | None = None,
) -> LocalityHistory:
    """What was asked, done and promised in a place (and the places under it)."""
    recent, _ = page(recent)
    today = moment(now, "now").date()
    locality = get_locality(session, locality_id)
    in_scope = Input.locality_id.in_(subtree_ids(locality))  # type: ignore[attr-defined]
    visible_ids = select(Input.id).where(in_scope, visible_inputs(actor))
    action_ids = select(ActionInput.action_id).where(ActionInput.input_id.in_(visible_ids))  # type: ignore[attr-defined]
    linked_action = Action.id.in_(action_ids)  # type: ignore[union-attr]

    total, closed = session.exec(  # type: ignore[call-overload]
        select(func.count(), func.count(Input.closed_at)).where(in_scope)
    ).one()

    n = func.count()
    n_closed = func.count(Input.closed_at)
    asked_stmt = (
        select(InputTheme.theme_code, n, n_closed)
        .join(Input, Input.id == InputTheme.input_id)  # type: ignore[arg-type]
        .where(in_scope)
        .group_by(InputTheme.theme_code)
        .order_by(n.desc(), InputTheme.theme_code)
    )
    asked = tuple(ThemeAsked(code, int(t), int(t) - int(c), int(c))
                  for code, t, c in session.exec(asked_stmt))  # type: ignore[call-overload]

    done_stmt = (
        select(Action.id, Action.title, Action.kind_code, Action.closed_at, Action.outcome)
        .where(linked_action, Action.status == ActionStatus.DONE.value)
        .order_by(Action.closed_at.desc(), Action.id.desc())  # type: ignore[union-attr]
        .limit(recent)
    )
    promised_stmt = (
        select(Action.id, Action.title, Action.kind_code, Action.status, Action.due_date)
        .where(linked_action, Action.is_public_commitment,
               Action.status.in_(OPEN_ACTION_STATUSES))  # type: ignore[attr-defined]
        .order_by(Action.due_date, Action.id)
        .limit(MAX_PAGE)
    )
    not_possible_stmt = (
        select(Action.id, Action.title, Action.kind_code, Action.not_possible_reason,
               Action.closed_at)
        .where(linked_action, Action.status == ActionStatus.NOT_POSSIBLE.value)
        .order_by(Action.closed_at.desc(), Action.id.desc())  # type: ignore[union-attr]
        .limit(recent)
    )
    recent_stmt = (
        select(*brief_columns())
        .where(in_scope, visible_inputs(actor))
        .order_by(Input.received_at.desc(), Input.id.desc())  # type: ignore[attr-defined, union-attr]
        .limit(recent)
    )
    return LocalityHistory(
        locality_id=locality.id,  # type: ignore[arg-type]
        locality_name=locality.name,
        level=locality.level,
        total=int(total),
        open=int(total) - int(closed),
        closed=int(closed),
        asked=asked,
        done=tuple(ActionDone(*row) for row in session.exec(done_stmt)),  # type: ignore[call-overload]
        promised=tuple(
            Promise(i, title, kind, status, due, due is not None and due < today)
            for i, title, kind, status, due in session.exec(promised_stmt)  # type: ignore[call-overload]
        ),
        not_possible=tuple(NotPossible(*row) for row in session.exec(not_possible_stmt)),  # type: ignore[call-overload]
        channels=_counts(session, Input.channel_code, in_scope),  # type: ignore[arg-type]
        sections=_counts(session, Input.section_code, in_scope),  # type: ignore[arg-type]
        recent=briefs(session, recent_stmt, moment(now, "now")),
        report_backs=_report_backs(session, visible_ids, recent),
    )
