"""Recording, acknowledging and correcting community inputs."""

from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, delete, select

from tracker.access import can_read, require_writer
from tracker.audit import record_event, snapshot
from tracker.codes import Role, Sensitivity, TermKind
from tracker.contacts import NO_KEY, add_contact
from tracker.errors import ValidationError
from tracker.loop import loop_state
from tracker.models import Input, InputTheme, ServiceLevel, Term, User
from tracker.repeats import refresh_repeat_flags
from tracker.rollups import build as rollups
from tracker.services._unit import (
    get_input,
    not_in_future,
    require_locality,
    require_term,
    unit_of_work,
)
from tracker.shapes import InputCreate, InputPublic, InputUpdate, parse
from tracker.sqltypes import utcnow

DEFAULT_SERVICE_HOURS = 28 * 24
_AUDITED = [
    "received_at", "channel_code", "locality_id", "type_code", "urgency", "sensitivity",
    "language", "original_text", "translation", "summary", "source_group", "consent_contact",
    "consent_public", "respond_by",
]


def respond_by(session: Session, *, type_code: str, urgency: str, received_at: datetime) -> datetime:
    """The service level in force for this type and urgency, as a deadline."""
    hours = session.exec(
        select(ServiceLevel.hours).where(
            ServiceLevel.type_code == type_code, ServiceLevel.urgency == urgency
        )
    ).first()
    return received_at + timedelta(hours=hours or DEFAULT_SERVICE_HOURS)


def default_sensitivity(session: Session, theme_codes: list[str]) -> Sensitivity:
    """Restricted themes (conduct of UN personnel, sexual violence) make the input restricted."""
    restricted = session.exec(
        select(Term.code).where(
            Term.kind == TermKind.THEME, Term.code.in_(theme_codes), Term.restricted  # type: ignore[attr-defined]
        )
    ).first()
    return Sensitivity.RESTRICTED if restricted else Sensitivity.INTERNAL


def choose_sensitivity(session: Session, actor: User, theme_codes: list[str],
                       asked: Sensitivity | str | None) -> Sensitivity:
    """The default from the themes, or the recorder's choice; only an admin may lower a
    restricted theme (sexual violence, conduct of UN personnel) below restricted."""
    default = default_sensitivity(session, theme_codes)
    if asked is None:
        return default
    asked = Sensitivity(asked)
    if (default == Sensitivity.RESTRICTED and asked != Sensitivity.RESTRICTED
            and actor.role != Role.ADMIN):
        raise ValidationError("inputs on this theme stay restricted; ask an admin to change it",
                              field="sensitivity")
    return asked


def _check_codes(session: Session, data: InputCreate | InputUpdate) -> None:
    require_term(session, TermKind.CHANNEL, data.channel_code, "channel_code")
    require_term(session, TermKind.INPUT_TYPE, data.type_code, "type_code")
    for code in data.theme_codes or []:
        require_term(session, TermKind.THEME, code, "theme_codes")
    require_locality(session, data.locality_id, "locality_id")
    if data.received_at is not None:
        not_in_future(data.received_at, "received_at")


def themes_of(session: Session, input_id: int) -> list[str]:
    return list(session.exec(select(InputTheme.theme_code).where(InputTheme.input_id == input_id)))


def to_public(session: Session, actor: User, item: Input) -> InputPublic:
    """The caller's view of an input: text hidden where the role may not read it."""
    readable = can_read(actor, item, session)
    data: dict[str, Any] = item.model_dump()
    data["theme_codes"] = themes_of(session, item.id)  # type: ignore[arg-type]
    data["loop_state"] = loop_state(item)
    if not readable:
        data.update(original_text=None, translation=None, summary=None, source_group=None)
    return InputPublic.model_validate(data)


def record_input(
    *, session: Session, actor: User, data: InputCreate | dict[str, Any],
    contact: str | None = None, contact_key: str | None = None,
) -> InputPublic:
    """Record one thing a community said, with its audit event, in one transaction.

    ``contact`` (a protected source's phone or name) is kept only encrypted with
    ``contact_key``; without a key the whole input is refused, so nothing is lost.
    """
    require_writer(actor)
    data = parse(InputCreate, data)
    if contact and contact.strip() and not contact_key:
        raise ValidationError(NO_KEY, field="contact")
    with unit_of_work(session):
        _check_codes(session, data)
        require_term(session, TermKind.COMPONENT, data.component_code, "component_code")
        require_term(session, TermKind.SECTION, data.section_code, "section_code")
        fields = data.model_dump(exclude={"theme_codes", "sensitivity"})
        fields["component_code"] = data.component_code or actor.component_code
        fields["section_code"] = data.section_code or actor.section_code
        item = Input(
            **fields,
            sensitivity=choose_sensitivity(session, actor, data.theme_codes, data.sensitivity).value,
            recorded_by_id=actor.id,  # type: ignore[arg-type]
            recorded_at=utcnow(),
            respond_by=respond_by(
                session, type_code=data.type_code, urgency=data.urgency,
                received_at=data.received_at,
            ),
        )
        session.add(item)
        session.flush()
        for code in data.theme_codes:
            session.add(InputTheme(input_id=item.id, theme_code=code))  # type: ignore[arg-type]
        session.flush()
        refresh_repeat_flags(session, locality_ids=[item.locality_id], since=item.received_at,
                             cells=rollups.cells_at(item.locality_id, item.received_at))
        after = snapshot(item) | {"theme_codes": data.theme_codes}
        record_event(session, actor=actor, verb="record", entity="input",
                     entity_id=item.id, entity_uid=item.uid, after=after)
        if contact and contact.strip():
            add_contact(session, actor=actor, item=item, contact=contact, key=contact_key)
        public = to_public(session, actor, item)
    return public


def acknowledge_input(
    *, session: Session, actor: User, input_id: int, at: datetime | None = None
) -> InputPublic:
    """Mark an input as seen by the mission; acknowledging twice changes nothing."""
    require_writer(actor)
    with unit_of_work(session):
        item = get_input(session, actor, input_id)
        if item.acknowledged_at is None:
            mark_acknowledged(session, actor, item, at or utcnow())
            session.flush()
            rollups.refresh_inputs(session, [item.id])
        public = to_public(session, actor, item)
    return public


def mark_acknowledged(session: Session, actor: User, item: Input, at: datetime) -> None:
    """Acknowledge inside the caller's transaction (linking or reporting back implies it)."""
    if item.acknowledged_at is not None:
        return
    at = max(at, item.received_at)
    item.acknowledged_at = at
    item.acknowledged_by_id = actor.id
    item.updated_at = utcnow()
    session.add(item)
    record_event(session, actor=actor, verb="acknowledge", entity="input", entity_id=item.id,
                 entity_uid=item.uid, before={"acknowledged_at": None},
                 after={"acknowledged_at": at})


def edit_input(
    *,
    session: Session,
    actor: User,
    input_id: int,
    changes: InputUpdate | dict[str, Any],
    reason: str,
) -> InputPublic:
    """Correct an input; the reason and the before/after go into the audit trail."""
    require_writer(actor)
    if not reason or not reason.strip():
        raise ValidationError("say why the input is being changed", field="reason")
    changes = parse(InputUpdate, changes)
    updates = changes.model_dump(exclude_unset=True)
    with unit_of_work(session):
        item = get_input(session, actor, input_id)
        _check_codes(session, changes)
        before = snapshot(item, _AUDITED) | {"theme_codes": themes_of(session, input_id)}
        old_place, old_received = item.locality_id, item.received_at
        new_themes = updates.pop("theme_codes", None)
        if new_themes is not None and not new_themes:
            raise ValidationError("at least one theme", field="theme_codes")
        themes_after = new_themes if new_themes is not None else before["theme_codes"]
        if "sensitivity" in updates or new_themes is not None:
            asked = updates.get("sensitivity")
            if asked is None and default_sensitivity(session, themes_after) != "restricted":
                asked = item.sensitivity  # a new theme that is not restricted keeps the level
            updates["sensitivity"] = choose_sensitivity(session, actor, themes_after, asked)
        for name, value in updates.items():
            setattr(item, name, getattr(value, "value", value))
        if {"type_code", "urgency", "received_at"} & updates.keys():
            item.respond_by = respond_by(session, type_code=item.type_code,
                                         urgency=item.urgency, received_at=item.received_at)
        if new_themes is not None:
            session.exec(delete(InputTheme).where(InputTheme.input_id == input_id))  # type: ignore[call-overload]
            for code in dict.fromkeys(new_themes):
                session.add(InputTheme(input_id=input_id, theme_code=code))
        item.updated_at = utcnow()
        session.add(item)
        session.flush()
        after = snapshot(item, _AUDITED) | {"theme_codes": themes_of(session, input_id)}
        changed = {k for k in after if after[k] != before.get(k)}
        if not changed:
            raise ValidationError("nothing to change")
        rollups.refresh_inputs(session, [item.id], also=rollups.cells_at(old_place, old_received))
        if changed & {"locality_id", "received_at", "theme_codes"}:
            refresh_repeat_flags(session, locality_ids={old_place, item.locality_id},
                                 since=min(old_received, item.received_at))
            session.refresh(item)
        record_event(session, actor=actor, verb="edit", entity="input", entity_id=item.id,
                     entity_uid=item.uid, before={k: before.get(k) for k in changed},
                     after={k: after[k] for k in changed}, reason=reason.strip())
        public = to_public(session, actor, item)
    return public
