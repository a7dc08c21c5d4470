"""Users, localities and taxonomy terms: the reference data the records point to."""

from typing import Any

from sqlalchemy import update
from sqlmodel import Session, select

from tracker.access import require_admin
from tracker.audit import record_event, snapshot
from tracker.codes import LEVEL_DEPTH, LocalityLevel, Role, TermKind
from tracker.errors import ValidationError
from tracker.models import Locality, Term, User, UserSession
from tracker.rollups import build as rollups
from tracker.services._unit import require_locality, require_term, unit_of_work
from tracker.shapes import LocalityCreate, UserCreate, parse
from tracker.sqltypes import utcnow

SYSTEM_USERNAME = "system"


def ensure_system_user(session: Session) -> User:
    """The account the CLI and the demo act as; it has no password and cannot sign in."""
    user = session.exec(select(User).where(User.username == SYSTEM_USERNAME)).first()
    if user is None:
        with unit_of_work(session):
            user = User(username=SYSTEM_USERNAME, display_name="Hearback (system)",
                        role=Role.ADMIN.value)
            session.add(user)
            session.flush()
            record_event(session, actor=None, verb="create", entity="user", entity_id=user.id,
                         entity_uid=user.uid, after=snapshot(user, ["username", "role"]))
    return user


def create_user(*, session: Session, actor: User | None, data: UserCreate | dict[str, Any]) -> User:
    """Add an account; only an admin may, except the very first admin of a new database."""
    data = parse(UserCreate, data)
    with unit_of_work(session):
        humans = session.exec(select(User.id).where(User.username != SYSTEM_USERNAME)).first()
        if actor is None:
            if humans is not None or data.role != Role.ADMIN:
                raise ValidationError("only the first account may be created without an admin",
                                      field="role")
        else:
            require_admin(actor)
        require_term(session, TermKind.COMPONENT, data.component_code, "component_code")
        require_term(session, TermKind.SECTION, data.section_code, "section_code")
        if session.exec(select(User.id).where(User.username == data.username)).first():
            raise ValidationError(f"the user name {data.username!r} is taken", field="username")
        user = User(**data.model_dump())
        session.add(user)
        session.flush()
        record_event(session, actor=actor, verb="create", entity="user", entity_id=user.id,
                     entity_uid=user.uid,
                     after=snapshot(user, ["username", "display_name", "role", "section_code"]))
    return user


def update_user(*, session: Session, actor: User, username: str, role: str | None = None,
                active: bool | None = None, display_name: str | None = None,
                section_code: str | None = None, component_code: str | None = None) -> User:
    """Change an account's role, name or unit, or switch it off (staff rotate out; an
    account is never deleted, as the trail names who did what). An inactive account reads
    nothing and its open sessions end; the mission keeps at least one active admin."""
    require_admin(actor)
    with unit_of_work(session):
        user = session.exec(select(User).where(User.username == username)).first()
        if user is None:
            raise ValidationError(f"no user {username!r}", field="username")
        if user.username == SYSTEM_USERNAME:
            raise ValidationError("the system account cannot be changed", field="username")
        fields = ["display_name", "role", "component_code", "section_code", "active"]
        before = snapshot(user, fields)
        was_admin = user.active and user.role == Role.ADMIN.value
        if role is not None:
            if role not in {r.value for r in Role}:
                raise ValidationError(f"no role {role!r}: use one of "
                                      f"{', '.join(r.value for r in Role)}", field="role")
            user.role = role
        if active is not None:
            user.active = active
        if display_name is not None:
            user.display_name = parse(UserCreate, {"username": user.username, "role": user.role,
                                                   "display_name": display_name}).display_name
        if section_code is not None:
            require_term(session, TermKind.SECTION, section_code or None, "section_code")
            user.section_code = section_code or None
        if component_code is not None:
            require_term(session, TermKind.COMPONENT, component_code or None, "component_code")
            user.component_code = component_code or None
        session.add(user)
        session.flush()
        if was_admin and not (user.active and user.role == Role.ADMIN.value) and session.exec(
                select(User.id).where(User.role == Role.ADMIN.value, User.active.is_(True),  # type: ignore[attr-defined]
                                      User.username != SYSTEM_USERNAME)).first() is None:
            raise ValidationError("the mission would be left with no active admin: make "
                                  "another account admin first", field="role")
        after = snapshot(user, fields)
        if after == before:
            return user
        if not user.active:  # its open sessions end now, not at their next page view
            session.execute(update(UserSession).where(
                UserSession.user_id == user.id, UserSession.ended_at.is_(None))  # type: ignore[arg-type,union-attr]
                .values(ended_at=utcnow(), end_reason="disabled"))
        record_event(session, actor=actor, verb="update", entity="user", entity_id=user.id,
                     entity_uid=user.uid, before=before, after=after)
    return user


def create_locality(
    *, session: Session, actor: User, data: LocalityCreate | dict[str, Any]
) -> Locality:
    """Add a place under its parent; the region it belongs to is derived here, once."""
    require_admin(actor)
    data = parse(LocalityCreate, data)
    with unit_of_work(session):
        parent = require_locality(session, data.parent_id, "parent_id")
        level = LocalityLevel(data.level)
        if parent is None and level != LocalityLevel.MISSION:
            raise ValidationError("only a mission has no parent", field="parent_id")
        if parent is not None and LEVEL_DEPTH[LocalityLevel(parent.level)] >= LEVEL_DEPTH[level]:
            raise ValidationError(f"a {level.value} cannot sit under a {parent.level}",
                                  field="parent_id")
        duplicate = session.exec(
            select(Locality.id).where(Locality.parent_id == data.parent_id,
                                      Locality.name == data.name)
        ).first()
        if duplicate:
            raise ValidationError(f"{data.name!r} already exists there", field="name")
        locality = Locality(**data.model_dump())
        session.add(locality)
        session.flush()
        if level == LocalityLevel.REGION:
            locality.region_id = locality.id
        elif parent is not None:
            locality.region_id = parent.region_id
        record_event(session, actor=actor, verb="create", entity="locality",
                     entity_id=locality.id, entity_uid=locality.uid, after=snapshot(locality))
    return locality


def save_term(
    *, session: Session, actor: User, kind: TermKind | str, code: str, label: str,
    parent_code: str | None = None, restricted: bool = False, active: bool = True,
) -> Term:
    """Add or relabel a taxonomy term; codes are never renamed, so history keeps its meaning."""
    require_admin(actor)
    kind = TermKind(kind)
    if not code.strip() or not label.strip():
        raise ValidationError("a term needs a code and a label", field="code")
    # The columns' lengths: checked here, or SQLite keeps what PostgreSQL refuses.
    if len(code.strip()) > 60:
        raise ValidationError("a code is at most 60 characters long", field="code")
    if len(label.strip()) > 200:
        raise ValidationError("a label is at most 200 characters long", field="label")
    with unit_of_work(session):
        if kind == TermKind.SECTION:
            require_term(session, TermKind.COMPONENT, parent_code, "parent_code")
        term = session.exec(select(Term).where(Term.kind == kind, Term.code == code)).first()
        before = snapshot(term) if term else None
        if term is None:
            term = Term(kind=kind.value, code=code.strip(), label=label.strip())
        term.label, term.parent_code = label.strip(), parent_code
        was_restricted = bool(before and before.get("restricted"))
        term.restricted, term.active = restricted, active
        session.add(term)
        session.flush()
        if kind == TermKind.THEME and restricted != was_restricted:
            rollups.refresh_public(session)  # what the public display may count changed
        record_event(session, actor=actor, verb="save", entity="term", entity_id=term.id,
                     before=before, after=snapshot(term))
    return term
