"""The append-only audit trail: every write adds its events here, chained by hashes.

Each event's ``hash`` covers its content and the ``hash`` of the event before it (by
id), so changing or deleting a past event breaks the chain from that point on and
``verify_chain`` names the first event that no longer fits. Appending takes a
transaction-long lock on PostgreSQL (SQLite writers are already serialised by
``BEGIN IMMEDIATE``), so two writers never chain onto the same predecessor. The
database itself refuses UPDATE and DELETE on the table (triggers, migration 0004).
"""

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, select, text
from sqlmodel import Session, SQLModel

from tracker.models import AuditEvent, User
from tracker.sqltypes import utcnow

_ae = AuditEvent.__table__.c
# Any fixed number: the advisory lock every audit append on PostgreSQL takes.
CHAIN_LOCK = 4_815_162_342
HASHED = ("uid", "at", "user_id", "verb", "entity", "entity_id", "entity_uid",
          "before", "after", "reason", "prev_hash")


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


# The canonical JSON of an event. ``json.dumps`` with these options builds this very
# encoder on every call; building it once gives the same text (the hashes of databases
# already written must still verify) without that cost, paid per event of an import.
_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))


class CanonicalJSON(str):
    """A snapshot already encoded as canonical JSON: stored as this very text and spliced
    into the event's hash as it is, so an import encodes each snapshot once, not twice."""


def _iso(value: Any) -> str:
    if type(value) is datetime and value.tzinfo is UTC:
        return _utc_iso(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


@lru_cache(maxsize=65536)
def _utc_iso(value: datetime) -> str:
    """Cached, as an import's snapshots repeat its clock time and a log's dates; for UTC
    times only, since two times in other zones can be equal and still print apart."""
    return value.isoformat()


@lru_cache(maxsize=1024)
def _at_text(value: datetime) -> str:
    """An event's time (UTC) as hashed: cached, as a batch's events share their clock."""
    return value.isoformat(timespec="microseconds")


_SNAPSHOT = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                             default=_iso)
# Each hashed key as the canonical encoder writes it, with its colon, in its (sorted) order.
_KEYS = [(name, _CANONICAL.encode(name) + ":") for name in sorted(HASHED)]
_STRING = json.encoder.encode_basestring  # what ``_CANONICAL`` does with a str


def _encoded(value: Any) -> str:
    """``_CANONICAL.encode(value)``, without the encoder's set-up for the scalars an
    event is mostly made of (an import hashes tens of thousands of events)."""
    kind = type(value)
    if kind is str:
        return _STRING(value)
    if kind is CanonicalJSON:
        return value
    if value is None:
        return "null"
    if kind is int:
        return int.__repr__(value)
    return _CANONICAL.encode(value)


def canonical(snapshot: dict[str, Any]) -> CanonicalJSON:
    """``snapshot`` (flat values, dates and times allowed) as canonical JSON text: what
    ``_CANONICAL`` gives for the same snapshot after ``_jsonable``."""
    return CanonicalJSON(_SNAPSHOT.encode(snapshot))


def digest(event: dict[str, Any]) -> str:
    """The hash of one event's content and its predecessor's hash (canonical JSON)."""
    at = event.get("at")
    if isinstance(at, datetime):
        at = _at_text(at) if at.tzinfo is UTC else _at_text(at.astimezone(UTC))
    blob = ",".join([key + _encoded(at if name == "at" else event.get(name))
                     for name, key in _KEYS])
    return hashlib.sha256(("{" + blob + "}").encode("utf-8")).hexdigest()


def lock_chain(conn: Connection) -> None:
    """Take the chain's lock for the rest of this transaction (PostgreSQL; re-entrant).

    Engines from ``tracker.db`` already queue every PostgreSQL writer behind one lock
    from its first statement; this one keeps the chain whole on any other connection.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": CHAIN_LOCK})


def _head(conn: Connection) -> str | None:
    """Lock the chain for this transaction and return the last event's hash."""
    lock_chain(conn)
    return conn.execute(select(_ae.hash).order_by(_ae.id.desc()).limit(1)).scalar()


def seal(conn: Connection, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Chain ``events`` (dicts about to be inserted, in id order) onto the trail."""
    prev = _head(conn)
    for event in events:
        event["prev_hash"] = prev
        event["hash"] = prev = digest(event)
    return events


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
    values: dict[str, Any] = {
        "at": utcnow(),
        "user_id": actor.id if actor else None,
        "verb": verb, "entity": entity, "entity_id": entity_id, "entity_uid": entity_uid,
        "before": _jsonable(before) if before is not None else None,
        "after": _jsonable(after) if after is not None else None,
        "reason": reason,
    }
    event = AuditEvent(**values)
    values["uid"] = event.uid
    session.flush()  # events already added in this transaction come first in the chain
    seal(session.connection(), [values])
    event.prev_hash, event.hash = values["prev_hash"], values["hash"]
    session.add(event)
    session.flush()
    return event


def history(session: Session, *, entity: str, entity_id: int) -> list[AuditEvent]:
    """Events about one record, oldest first (the input detail timeline)."""
    stmt = (
        select(AuditEvent)
        .where(AuditEvent.entity == entity, AuditEvent.entity_id == entity_id)  # type: ignore[arg-type]
        .order_by(AuditEvent.at, AuditEvent.id)  # type: ignore[arg-type]
    )
    return list(session.execute(stmt).scalars())


@dataclass(frozen=True)
class ChainReport:
    """What ``hearback audit verify`` found: how many events fit, and the first that does not."""

    checked: int
    broken_id: int | None = None
    broken_uid: str | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.broken_id is None


def events_in_order(conn: Connection, batch: int = 5000) -> Iterator[dict[str, Any]]:
    """Every event, oldest first, streamed (the trail can hold millions)."""
    cols = [_ae.id, *(getattr(_ae, name) for name in HASHED), _ae.hash]
    result = conn.execution_options(yield_per=batch).execute(select(*cols).order_by(_ae.id))
    for row in result.mappings():
        yield dict(row)


def check_chain(events: Iterable[dict[str, Any]]) -> ChainReport:
    """Walk ``events`` in id order and stop at the first whose links do not hold."""
    prev: str | None = None
    checked = 0
    for event in events:
        if event["prev_hash"] != prev:
            problem = ("the event before it was changed or deleted" if checked
                       else "the first event does not start the chain")
            return ChainReport(checked, event["id"], event["uid"], problem)
        if event["hash"] != digest(event):
            return ChainReport(checked, event["id"], event["uid"], "its content was changed")
        prev = event["hash"]
        checked += 1
    return ChainReport(checked)


def verify_chain(conn: Connection) -> ChainReport:
    return check_chain(events_in_order(conn))
