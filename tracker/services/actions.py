"""Actions and commitments, and their many-to-many links to inputs."""

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, SQLModel, select

from tracker.access import require_writer, visible_inputs
from tracker.audit import record_event, snapshot
from tracker.codes import ActionStatus, LinkKind, NotPossibleReason, TermKind
from tracker.errors import NotFoundError, ValidationError
from tracker.loop import refresh_loop_facts
from tracker.models import Action, ActionInput, Input, User
from tracker.register import visible_actions
from tracker.rollups import build as rollups
from tracker.services._unit import (
    get_input,
    not_in_future,
    require_locality,
    require_term,
    unit_of_work,
)
from tracker.services.inputs import mark_acknowledged
from tracker.shapes import ActionCreate, ActionPublic, parse
from tracker.sqltypes import utcnow


class ActionUpdate(SQLModel):
    """What may be corrected on an action besides its status (which has its own service)."""

    title: str | None = None
    description: str | None = None
    kind_code: str | None = None
    section_code: str | None = None
    component_code: str | None = None
    is_public_commitment: bool | None = None
    due_date: date | None = None
    outcome: str | None = None


def linked_input_ids(session: Session, action_id: int) -> list[int]:
    return list(session.exec(select(ActionInput.input_id).where(ActionInput.action_id == action_id)))


def to_public(session: Session, action: Action, actor: User) -> ActionPublic:
    """The action as ``actor`` sees it: linked to the inputs ``actor`` may read."""
    readable = select(ActionInput.input_id).join(Input, Input.id == ActionInput.input_id).where(  # type: ignore[arg-type]
        ActionInput.action_id == action.id, visible_inputs(actor)).order_by(ActionInput.input_id)
    data = action.model_dump() | {"input_ids": list(session.exec(readable))}
    return ActionPublic.model_validate(data)


def _check_rules(status: str, reason: Any, is_commitment: bool, due: date | None) -> None:
    if is_commitment and due is None:
        raise ValidationError("a public commitment needs a due date", field="due_date")
    if status == ActionStatus.NOT_POSSIBLE and reason is None:
        raise ValidationError("say why the action is not possible", field="not_possible_reason")


def _link_kind(value: LinkKind | str) -> LinkKind:
    try:
        return LinkKind(value)
    except ValueError as exc:
        raise ValidationError(f"unknown link kind {value!r}", field="link_kind") from exc


def _link(session: Session, actor: User, action: Action, input_ids: Iterable[int],
          kind: LinkKind, at: datetime) -> list[int]:
    linked = set(linked_input_ids(session, action.id))  # type: ignore[arg-type]
    added: list[int] = []
    for input_id in dict.fromkeys(input_ids):
        item = get_input(session, actor, input_id)
        if input_id in linked:
            continue
        linked_at = max(at, item.received_at)
        session.add(ActionInput(action_id=action.id, input_id=input_id, kind=kind.value,  # type: ignore[arg-type]
                                linked_at=linked_at, linked_by_id=actor.id))  # type: ignore[arg-type]
        mark_acknowledged(session, actor, item, linked_at)
        record_event(session, actor=actor, verb="link", entity="input", entity_id=input_id,
                     entity_uid=item.uid, after={"action_id": action.id, "kind": kind.value})
        added.append(input_id)
    return added


def create_action(
    *,
    session: Session,
    actor: User,
    data: ActionCreate | dict[str, Any],
    input_ids: Iterable[int] = (),
    link_kind: LinkKind | str = LinkKind.ANSWERS,
) -> ActionPublic:
    """Create an action (or commitment) and link it to inputs, all in one transaction."""
    require_writer(actor)
    data = parse(ActionCreate, data)
    link_kind = _link_kind(link_kind)
    with unit_of_work(session):
        require_term(session, TermKind.ACTION_KIND, data.kind_code, "kind_code")
        require_term(session, TermKind.COMPONENT, data.component_code, "component_code")
        require_term(session, TermKind.SECTION, data.section_code, "section_code")
        require_locality(session, data.locality_id, "locality_id")
        _check_rules(data.status, data.not_possible_reason, data.is_public_commitment,
                     data.due_date)
        now = data.created_at or utcnow()
        not_in_future(now, "created_at")
        action = Action(
            **data.model_dump(exclude={"component_code", "section_code", "created_at"}),
            component_code=data.component_code or actor.component_code,
            section_code=data.section_code or actor.section_code,
            created_by_id=actor.id,  # type: ignore[arg-type]
            created_at=now,
            started_at=now if data.status in (ActionStatus.IN_PROGRESS, ActionStatus.DONE) else None,
            closed_at=None if ActionStatus(data.status).is_open else now,
        )
        session.add(action)
        session.flush()
        record_event(session, actor=actor, verb="create", entity="action", entity_id=action.id,
                     entity_uid=action.uid, after=snapshot(action))
        added = _link(session, actor, action, input_ids, link_kind, now)
        session.flush()
        refresh_loop_facts(session, added)
        public = to_public(session, action, actor)
    return public


def link_action(
    *,
    session: Session,
    actor: User,
    action_id: int,
    input_ids: Iterable[int],
    kind: LinkKind | str = LinkKind.ANSWERS,
    at: datetime | None = None,
) -> ActionPublic:
    """Link an existing action to more inputs; already-linked inputs are left as they are."""
    require_writer(actor)
    kind = _link_kind(kind)
    at = at or utcnow()
    with unit_of_work(session):
        not_in_future(at, "at")
        action = _get_action(session, action_id, actor)
        added = _link(session, actor, action, input_ids, kind, at)
        session.flush()
        refresh_loop_facts(session, added)
        public = to_public(session, action, actor)
    return public


def unlink_action(
    *, session: Session, actor: User, action_id: int, input_id: int, reason: str
) -> ActionPublic:
    """Undo a wrong link; the input's loop state follows."""
    require_writer(actor)
    if not reason or not reason.strip():
        raise ValidationError("say why the link is removed", field="reason")
    with unit_of_work(session):
        action = _get_action(session, action_id, actor)
        item = get_input(session, actor, input_id)
        link = session.get(ActionInput, (action_id, input_id), populate_existing=True)
        if link is None:
            raise NotFoundError(f"input #{input_id} is not linked to action #{action_id}")
        session.delete(link)
        record_event(session, actor=actor, verb="unlink", entity="input", entity_id=input_id,
                     entity_uid=item.uid, before={"action_id": action_id, "kind": link.kind},
                     reason=reason.strip())
        session.flush()
        refresh_loop_facts(session, [input_id])
        rollups.refresh_action_places(session, [action_id])  # no longer linked to that input
        public = to_public(session, action, actor)
    return public


def set_action_status(
    *,
    session: Session,
    actor: User,
    action_id: int,
    status: ActionStatus | str,
    reason: NotPossibleReason | str | None = None,
    outcome: str | None = None,
    at: datetime | None = None,
) -> ActionPublic:
    """Move an action along planned → in progress → done, or to not possible with a reason."""
    require_writer(actor)
    try:
        status = ActionStatus(status)
        reason = NotPossibleReason(reason) if reason else None
    except ValueError as exc:
        raise ValidationError(str(exc), field="status") from exc
    at = at or utcnow()
    with unit_of_work(session):
        not_in_future(at, "at")
        action = _get_action(session, action_id, actor)
        _check_rules(status, reason, False, None)
        if at < action.created_at and not status.is_open:
            raise ValidationError("an action cannot close before it was created", field="at")
        before = snapshot(action, ["status", "not_possible_reason", "closed_at", "outcome"])
        action.status = status.value
        action.not_possible_reason = reason.value if status == ActionStatus.NOT_POSSIBLE else None  # type: ignore[union-attr]
        if status in (ActionStatus.IN_PROGRESS, ActionStatus.DONE) and action.started_at is None:
            action.started_at = at
        action.closed_at = None if status.is_open else at
        if outcome is not None:
            action.outcome = outcome.strip() or None
        action.updated_at = utcnow()
        session.add(action)
        after = snapshot(action, ["status", "not_possible_reason", "closed_at", "outcome"])
        if after == before:
            raise ValidationError("the action already has this status")
        record_event(session, actor=actor, verb="status", entity="action", entity_id=action.id,
                     entity_uid=action.uid, before=before, after=after)
        session.flush()
        refresh_loop_facts(session, linked_input_ids(session, action_id))
        public = to_public(session, action, actor)
    return public


def edit_action(
    *,
    session: Session,
    actor: User,
    action_id: int,
    changes: ActionUpdate | dict[str, Any],
    reason: str,
) -> ActionPublic:
    """Correct an action's description or commitment; reason and diff are audited."""
    require_writer(actor)
    if not reason or not reason.strip():
        raise ValidationError("say why the action is being changed", field="reason")
    changes = parse(ActionUpdate, changes)
    updates = changes.model_dump(exclude_unset=True)
    with unit_of_work(session):
        action = _get_action(session, action_id, actor)
        require_term(session, TermKind.ACTION_KIND, changes.kind_code, "kind_code")
        require_term(session, TermKind.SECTION, changes.section_code, "section_code")
        require_term(session, TermKind.COMPONENT, changes.component_code, "component_code")
        before = snapshot(action, list(updates))
        for name, value in updates.items():
            setattr(action, name, value)
        _check_rules(action.status, action.not_possible_reason, action.is_public_commitment,
                     action.due_date)
        after = snapshot(action, list(updates))
        changed = [k for k in after if after[k] != before[k]]
        if not changed:
            raise ValidationError("nothing to change")
        action.updated_at = utcnow()
        session.add(action)
        record_event(session, actor=actor, verb="edit", entity="action", entity_id=action.id,
                     entity_uid=action.uid, before={k: before[k] for k in changed},
                     after={k: after[k] for k in changed}, reason=reason.strip())
        public = to_public(session, action, actor)
    return public


def _get_action(session: Session, action_id: int, actor: User) -> Action:
    """An action ``actor`` may see (``tracker.register.visible_actions``), or NotFound: one
    known only through inputs they may not read is neither shown, changed nor linked."""
    action = session.exec(select(Action).where(Action.id == action_id, visible_actions(actor))
                          .execution_options(populate_existing=True)).first()  # not a stale copy
    if action is None:
        raise NotFoundError(f"no action #{action_id}")
    return action
