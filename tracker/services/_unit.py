"""Shared plumbing for the write side: one transaction per service call, code checks."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session, select

from tracker.access import can_read
from tracker.db import storage_error
from tracker.errors import NotFoundError, ValidationError
from tracker.models import Input, Locality, Term, User
from tracker.sqltypes import utcnow

# Clocks drift on field laptops; a few minutes ahead is not an error.
CLOCK_SKEW = timedelta(minutes=10)


@contextmanager
def unit_of_work(session: Session) -> Iterator[None]:
    """Commit everything the block did, or nothing: a failure rolls the whole write back.

    Services build the shape they return inside the block: after the commit a read would
    queue for the write lock again, and could fail on a save that did happen."""
    try:
        yield
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise ValidationError(f"the change conflicts with existing records: {exc.orig}") from exc
    except DBAPIError as exc:  # busy, disk full, read-only, server gone: the user can act
        session.rollback()
        raise storage_error(exc) from exc
    except BaseException:
        session.rollback()
        raise


def storage_message(exc: DBAPIError) -> str:
    """Turn a driver error into a sentence a field officer can act on."""
    return str(storage_error(exc))


def require_term(session: Session, kind: str, code: str | None, field: str) -> None:
    if code is None:
        return
    term = session.exec(select(Term).where(Term.kind == kind, Term.code == code)).first()
    if term is None or not term.active:
        raise ValidationError(f"unknown {kind.replace('_', ' ')} {code!r}", field=field)


def require_locality(session: Session, locality_id: int | None, field: str) -> Locality | None:
    if locality_id is None:
        return None
    locality = session.get(Locality, locality_id)
    if locality is None:
        raise ValidationError(f"unknown locality #{locality_id}", field=field)
    return locality


def get_input(session: Session, actor: User, input_id: int) -> Input:
    """An input the actor may read, or NotFound (never reveal what they may not see)."""
    # Reloaded even if this session holds it from an earlier transaction: another writer
    # may have changed it since (acknowledging it twice would write two audit events).
    item = session.get(Input, input_id, populate_existing=True)
    if item is None or not can_read(actor, item, session):
        raise NotFoundError(f"no input #{input_id}")
    return item


def not_in_future(value: datetime, field: str) -> None:
    if value > utcnow() + CLOCK_SKEW:
        raise ValidationError("this date is in the future", field=field)
