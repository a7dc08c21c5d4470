"""Sharing a restricted input with named colleagues: the only widening of the matrix.

A report of sexual violence or of misconduct by UN personnel is readable by admins and
the officer who recorded it; a case often needs one more person (a protection adviser,
conduct and discipline). Sharing names that person, is audited, and can be undone.
"""

from sqlmodel import Session, select

from tracker.audit import record_event
from tracker.codes import Role, Sensitivity
from tracker.errors import PermissionDenied, ValidationError
from tracker.models import InputShare, User
from tracker.services._unit import get_input, unit_of_work


def _may_share(actor: User, recorded_by_id: int) -> None:
    if not actor.active or not (actor.role == Role.ADMIN or actor.id == recorded_by_id):
        raise PermissionDenied("only an admin or the officer who recorded it can share an input")


def shared_with(session: Session, input_id: int) -> list[int]:
    return list(session.exec(select(InputShare.user_id).where(InputShare.input_id == input_id)))


def share_input(*, session: Session, actor: User, input_id: int, user_id: int) -> None:
    """Let ``user_id`` read the restricted input ``input_id``."""
    with unit_of_work(session):
        item = get_input(session, actor, input_id)
        _may_share(actor, item.recorded_by_id)
        if item.sensitivity != Sensitivity.RESTRICTED:
            raise ValidationError("only restricted inputs are shared one by one", field="user_id")
        target = session.get(User, user_id)
        if target is None or not target.active:
            raise ValidationError("no such active user", field="user_id")
        if session.get(InputShare, (input_id, user_id)) is not None:
            return
        session.add(InputShare(input_id=input_id, user_id=user_id,
                               shared_by_id=actor.id))  # type: ignore[arg-type]
        record_event(session, actor=actor, verb="share", entity="input", entity_id=input_id,
                     entity_uid=item.uid, after={"user_id": user_id})


def unshare_input(*, session: Session, actor: User, input_id: int, user_id: int) -> None:
    with unit_of_work(session):
        item = get_input(session, actor, input_id)
        _may_share(actor, item.recorded_by_id)
        share = session.get(InputShare, (input_id, user_id))
        if share is None:
            return
        session.delete(share)
        record_event(session, actor=actor, verb="unshare", entity="input", entity_id=input_id,
                     entity_uid=item.uid, before={"user_id": user_id})
