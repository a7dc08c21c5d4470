"""The append-only audit trail: every service write adds its events here."""

from datetime import date, datetime
from typing import Any

from sqlmodel import Session, SQLModel, select

from tracker.models import AuditEvent, User
from tracker.sqltypes import utcnow


def snapshot(obj: SQLModel, fields: list[str] | None = None) -> dict[str, Any]:
    """A JSON-safe picture of ``obj`` for an event's before/after."""
    data = obj.model_dump(include=set(fields) if fields else None)
    return {k: _jsonable(v) for k, v in data.items()}


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def record_event(
    session: Session,
    *,
    actor: User | None,
    verb: str,
    entity: str,
    entity_id: int | None,
    entity_uid: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
) -> AuditEvent:
    event = AuditEvent(
        at=utcnow(),
        user_id=actor.id if actor else None,
        verb=verb,
        entity=entity,
        entity_id=entity_id,
        entity_uid=entity_uid,
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
        reason=reason,
    )
    session.add(event)
    return event


def history(session: Session, *, entity: str, entity_id: int) -> list[AuditEvent]:
    """Events about one record, oldest first (the input detail timeline)."""
    stmt = (
        select(AuditEvent)
        .where(AuditEvent.entity == entity, AuditEvent.entity_id == entity_id)
        .order_by(AuditEvent.at, AuditEvent.id)  # type: ignore[arg-type]
    )
    return list(session.exec(stmt))
