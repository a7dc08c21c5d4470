"""Input detail: one input with its actions, report-backs, timeline and earlier asks."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from tracker.audit import history
from tracker.models import (
    Action,
    ActionInput,
    AuditEvent,
    Input,
    Locality,
    ReportBack,
    ReportBackInput,
    ReportBackMessage,
    User,
)
from tracker.queries.asks import AskedBefore, earlier_open_asks
from tracker.services._unit import get_input
from tracker.services.inputs import to_public
from tracker.shapes import InputPublic


@dataclass(frozen=True, slots=True)
class LinkedAction:
    """An action linked to the input, with why it is linked (``link_kind``)."""

    id: int
    uid: str
    title: str
    kind_code: str
    status: str
    link_kind: str
    linked_at: datetime
    not_possible_reason: str | None
    is_public_commitment: bool
    due_date: date | None
    closed_at: datetime | None
    outcome: str | None


@dataclass(frozen=True, slots=True)
class ReportBackView:
    id: int
    uid: str
    reported_at: datetime
    audience: str
    method: str
    approved_public: bool
    messages: tuple[tuple[str, str], ...]  # (language, text), by language


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    id: int
    at: datetime
    verb: str
    entity: str
    entity_id: int | None
    user_id: int | None
    username: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str | None


@dataclass(frozen=True, slots=True)
class InputDetail:
    input: InputPublic
    locality_name: str
    actions: tuple[LinkedAction, ...]
    report_backs: tuple[ReportBackView, ...]
    timeline: tuple[TimelineEvent, ...]
    earlier: AskedBefore


def _actions(session: Session, input_id: int) -> tuple[LinkedAction, ...]:
    stmt = (
        select(Action.id, Action.uid, Action.title, Action.kind_code, Action.status,
               ActionInput.kind, ActionInput.linked_at, Action.not_possible_reason,
               Action.is_public_commitment, Action.due_date, Action.closed_at, Action.outcome)
        .join(ActionInput, ActionInput.action_id == Action.id)  # type: ignore[arg-type]
        .where(ActionInput.input_id == input_id)
        .order_by(ActionInput.linked_at, Action.id)
    )
    return tuple(LinkedAction(*row) for row in session.exec(stmt))  # type: ignore[call-overload]


def _report_backs(session: Session, input_id: int) -> tuple[ReportBackView, ...]:
    stmt = (
        select(ReportBack.id, ReportBack.uid, ReportBack.reported_at, ReportBack.audience,
               ReportBack.method, ReportBack.approved_public)
        .join(ReportBackInput, ReportBackInput.report_back_id == ReportBack.id)  # type: ignore[arg-type]
        .where(ReportBackInput.input_id == input_id)
        .order_by(ReportBack.reported_at, ReportBack.id)
    )
    rows = list(session.exec(stmt))  # type: ignore[call-overload]
    messages: dict[int, list[tuple[str, str]]] = defaultdict(list)
    if rows:
        msg_stmt = (
            select(ReportBackMessage.report_back_id, ReportBackMessage.language,
                   ReportBackMessage.text)
            .where(ReportBackMessage.report_back_id.in_([r[0] for r in rows]))  # type: ignore[attr-defined]
            .order_by(ReportBackMessage.report_back_id, ReportBackMessage.language)
        )
        for report_id, language, text in session.exec(msg_stmt):  # type: ignore[call-overload]
            messages[report_id].append((language, text))
    return tuple(ReportBackView(*row, messages=tuple(messages[row[0]])) for row in rows)


def _timeline(session: Session, input_id: int, action_ids: list[int]) -> tuple[TimelineEvent, ...]:
    """The input's own events and those of its linked actions, in the order they happened."""
    events = list(history(session, entity="input", entity_id=input_id))
    if action_ids:
        events += session.exec(  # type: ignore[call-overload]
            select(AuditEvent).where(
                AuditEvent.entity == "action",
                AuditEvent.entity_id.in_(action_ids),  # type: ignore[union-attr]
            )
        ).scalars()
    events.sort(key=lambda e: (e.at, e.id))
    user_ids = sorted({e.user_id for e in events if e.user_id is not None})
    names: dict[int, str] = {}
    if user_ids:
        stmt = select(User.id, User.username).where(User.id.in_(user_ids))  # type: ignore[union-attr]
        names = {user_id: name for user_id, name in session.exec(stmt)}  # type: ignore[call-overload]
    return tuple(
        TimelineEvent(
            id=e.id, at=e.at, verb=e.verb, entity=e.entity, entity_id=e.entity_id,  # type: ignore[arg-type]
            user_id=e.user_id, username=names.get(e.user_id) if e.user_id else None,
            before=dict(e.before) if e.before is not None else None,
            after=dict(e.after) if e.after is not None else None,
            reason=e.reason,
        )
        for e in events
    )


def input_detail(*, session: Session, actor: User, input_id: int) -> InputDetail:
    """Everything the input detail page shows; NotFound when the actor may not read it."""
    item: Input = get_input(session, actor, input_id)
    public = to_public(session, actor, item)
    actions = _actions(session, input_id)
    locality = session.get(Locality, item.locality_id)
    return InputDetail(
        input=public,
        locality_name=locality.name if locality else "",
        actions=actions,
        report_backs=_report_backs(session, input_id),
        timeline=_timeline(session, input_id, [a.id for a in actions]),
        earlier=earlier_open_asks(
            session=session, actor=actor, locality_id=item.locality_id,
            theme_codes=public.theme_codes, before=item.received_at, exclude_input_id=item.id,
        ),
    )
