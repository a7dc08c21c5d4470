"""Protected sources' contact details: encrypted at rest, read by few, erased on time.

A source is known to the mission by a pseudonymous code (``Input.source_code``). When
an officer must keep a phone number or a name to call back, it is encrypted (Fernet:
AES with an HMAC) with a key that lives outside the database — an environment
variable or the app's secrets — so a copied database file, backup or dump does not
expose anyone. Without a key nothing is stored. Only admins and the officer who
recorded the input can read it, and every read is in the audit trail.
"""

from datetime import datetime, timedelta

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import delete, select
from sqlmodel import Session

from tracker.access import can_read, require_admin, require_writer
from tracker.audit import record_event
from tracker.codes import Role
from tracker.errors import PermissionDenied, StorageError, ValidationError
from tracker.models import Input, SourceContact, User
from tracker.services._unit import unit_of_work
from tracker.sqltypes import utcnow

MAX_CONTACT_LENGTH = 500
NO_KEY = ("contact details cannot be stored: no encryption key is configured "
          "(set HEARBACK_CONTACT_KEY, or contact_key in the app's secrets)")


def new_key() -> str:
    return Fernet.generate_key().decode("ascii")


def _cipher(key: str | None) -> Fernet:
    if not key:
        raise ValidationError(NO_KEY, field="contact")
    try:
        return Fernet(key.encode("ascii"))
    except (ValueError, UnicodeError) as exc:
        raise StorageError("the contact encryption key is not valid: make one with "
                           "`hearback contacts new-key`") from exc


def may_read_contact(user: User, item: Input) -> bool:
    """An admin, or the one who recorded the input while they still record inputs and may
    read it: a recorder moved to a reading role, or a section head who recorded a
    restricted input (whose text they may not read), does not read its source's contact."""
    if not user.active:
        return False
    if user.role == Role.ADMIN:
        return True
    return (item.recorded_by_id == user.id and user.role in (Role.OFFICER, Role.SECTION_HEAD)
            and can_read(user, item))


def add_contact(session: Session, *, actor: User, item: Input, contact: str, key: str | None) -> None:
    """Encrypt and keep ``contact`` for ``item``, inside the caller's unit of work."""
    require_writer(actor)
    contact = contact.strip()
    if len(contact) > MAX_CONTACT_LENGTH:
        raise ValidationError(f"at most {MAX_CONTACT_LENGTH} characters", field="contact")
    token = _cipher(key).encrypt(contact.encode("utf-8")).decode("ascii")
    existing = session.execute(
        select(SourceContact).where(SourceContact.input_id == item.id)  # type: ignore[arg-type]
    ).scalar_one_or_none()
    if existing is None:
        existing = SourceContact(input_id=item.id, ciphertext=token,  # type: ignore[arg-type]
                                 recorded_by_id=actor.id)  # type: ignore[arg-type]
    existing.ciphertext, existing.recorded_at = token, utcnow()
    session.add(existing)
    # The trail says that a contact was kept, never what it is.
    record_event(session, actor=actor, verb="store_contact", entity="input", entity_id=item.id,
                 entity_uid=item.uid, after={"contact": "encrypted"})


def has_contact(session: Session, input_id: int) -> bool:
    return session.execute(select(SourceContact.id).where(  # type: ignore[call-overload]
        SourceContact.input_id == input_id)).first() is not None  # type: ignore[arg-type]


def read_contact(session: Session, *, actor: User, input_id: int, key: str | None) -> str | None:
    """The clear contact for an input, for an admin or its recorder; the read is audited."""
    with unit_of_work(session):
        item = session.get(Input, input_id)
        if item is None or not may_read_contact(actor, item):
            raise PermissionDenied("only an admin or the officer who recorded it can read a contact")
        stored = session.execute(select(SourceContact).where(
            SourceContact.input_id == input_id)).scalar_one_or_none()  # type: ignore[arg-type]
        if stored is None:
            return None
        try:
            clear = _cipher(key).decrypt(stored.ciphertext.encode("ascii")).decode("utf-8")
        except InvalidToken as exc:
            raise StorageError("this contact was encrypted with another key") from exc
        record_event(session, actor=actor, verb="read_contact", entity="input", entity_id=input_id,
                     entity_uid=item.uid)
    return clear


def purge_contacts(session: Session, *, actor: User, older_than_days: int,
                   now: datetime | None = None) -> int:
    """Erase contacts kept longer than the retention period; figures do not use them."""
    require_admin(actor)
    if older_than_days < 0:
        raise ValidationError("the retention period cannot be negative", field="days")
    cutoff = (now or utcnow()) - timedelta(days=older_than_days)
    with unit_of_work(session):
        ids = list(session.execute(select(SourceContact.input_id).where(  # type: ignore[call-overload]
            SourceContact.recorded_at < cutoff)).scalars())  # type: ignore[arg-type]
        if ids:
            session.execute(delete(SourceContact).where(
                SourceContact.recorded_at < cutoff))  # type: ignore[arg-type]
            record_event(session, actor=actor, verb="purge_contacts", entity="source_contact",
                         entity_id=None, after={"erased": len(ids), "input_ids": sorted(ids)},
                         reason=f"retention: {older_than_days} days")
    return len(ids)
