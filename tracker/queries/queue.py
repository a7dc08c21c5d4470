"""My follow-ups: the open inputs an officer or a section must move, overdue first."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from tracker.access import visible_inputs
from tracker.codes import LoopState
from tracker.loop import loop_state_expr
from tracker.models import Input, Locality, User
from tracker.queries._common import (
    get_locality,
    moment,
    page,
    subtree_ids,
    summary_expr,
    themes_by_input,
)


@dataclass(frozen=True, slots=True)
class QueueItem:
    """One row of the follow-up queue."""

    id: int
    uid: str
    received_at: datetime
    locality_id: int
    locality_name: str
    type_code: str
    theme_codes: tuple[str, ...]
    urgency: str
    loop_state: LoopState
    respond_by: datetime
    overdue: bool
    summary: str


def _where(
    session: Session,
    actor: User,
    officer_id: int | None,
    section_code: str | None,
    locality_id: int | None,
) -> ColumnElement[bool]:
    """Open, visible, and either the actor's own work or what the explicit filters name."""
    clauses: list[ColumnElement[bool]] = [Input.closed_at.is_(None), visible_inputs(actor)]  # type: ignore[union-attr]
    if officer_id is None and section_code is None and locality_id is None:
        mine: ColumnElement[bool] = Input.recorded_by_id == actor.id  # type: ignore[assignment]
        if actor.section_code:
            mine = or_(mine, Input.section_code == actor.section_code)
        clauses.append(mine)
    if officer_id is not None:
        clauses.append(Input.recorded_by_id == officer_id)  # type: ignore[arg-type]
    if section_code is not None:
        clauses.append(Input.section_code == section_code)  # type: ignore[arg-type]
    if locality_id is not None:
        locality = get_locality(session, locality_id)
        clauses.append(Input.locality_id.in_(subtree_ids(locality)))  # type: ignore[attr-defined]
    return and_(*clauses)


def follow_up_queue(
    *,
    session: Session,
    actor: User,
    now: datetime | None = None,
    officer_id: int | None = None,
    section_code: str | None = None,
    locality_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[QueueItem]:
    """Open inputs to follow up, overdue first, then the oldest received first.

    Without filters: what the actor recorded or what belongs to the actor's section.
    ``officer_id``, ``section_code`` and ``locality_id`` (with the places under it)
    replace that default and combine with each other.
    """
    limit, offset = page(limit, offset)
    now = moment(now, "now")
    overdue = Input.respond_by < now  # type: ignore[operator]
    stmt = (
        select(
            Input.id, Input.uid, Input.received_at, Input.locality_id, Locality.name,
            Input.type_code, Input.urgency, loop_state_expr().label("loop_state"),
            Input.respond_by, summary_expr().label("summary"),
        )
        .join(Locality, Locality.id == Input.locality_id)  # type: ignore[arg-type]
        .where(_where(session, actor, officer_id, section_code, locality_id))
        .order_by(case((overdue, 0), else_=1), Input.received_at, Input.id)
        .limit(limit)
        .offset(offset)
    )
    rows = list(session.exec(stmt))  # type: ignore[call-overload]
    themes = themes_by_input(session, (r[0] for r in rows))
    return [
        QueueItem(
            id=r[0], uid=r[1], received_at=r[2], locality_id=r[3], locality_name=r[4],
            type_code=r[5], theme_codes=themes[r[0]], urgency=r[6], loop_state=LoopState(r[7]),
            respond_by=r[8], overdue=r[8] < now, summary=r[9] or "",
        )
        for r in rows
    ]


def follow_up_count(
    *,
    session: Session,
    actor: User,
    now: datetime | None = None,
    officer_id: int | None = None,
    section_code: str | None = None,
    locality_id: int | None = None,
) -> int:
    """How many inputs ``follow_up_queue`` pages through with the same filters.

    ``now`` is accepted (and does not change the count) so that a page and its
    count can be asked with one set of keyword arguments.
    """
    del now
    stmt = select(func.count()).select_from(Input).where(
        _where(session, actor, officer_id, section_code, locality_id)
    )
    return int(session.exec(stmt).one()[0])  # type: ignore[call-overload]
