"""The actions and commitments register: what the mission promised and whether it delivered."""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, case, exists, func, not_, or_, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from tracker.access import visible_inputs
from tracker.codes import OPEN_ACTION_STATUSES
from tracker.models import Action, ActionInput, Input, User

_ac = Action.__table__.c
_ai = ActionInput.__table__.c


@dataclass(frozen=True)
class RegisterRow:
    id: int
    title: str
    kind_code: str
    section_code: str | None
    status: str
    not_possible_reason: str | None
    is_public_commitment: bool
    due_date: date | None
    late: bool
    inputs: int
    created_at: datetime
    closed_at: datetime | None


def visible_actions(actor: User) -> ColumnElement[bool]:
    """An action is listed when the actor may read one of its inputs, or it has none.

    An action taken only on restricted inputs (an SEA investigation, say) would reveal
    them through its title, so it follows their access rule.
    """
    linked = exists().where(_ai.action_id == _ac.id)
    readable = exists().where(
        _ai.action_id == _ac.id, _ai.input_id == Input.id, visible_inputs(actor)
    )
    return or_(not_(linked), readable)


def _late(today: date) -> ColumnElement[bool]:
    return and_(_ac.is_public_commitment.is_(True), _ac.status.in_(OPEN_ACTION_STATUSES),
                _ac.due_date < today)


def _where(actor: User, status: str | None, section_code: str | None,
           commitments_only: bool) -> list[ColumnElement[bool]]:
    where = [visible_actions(actor)]
    if status:
        where.append(_ac.status == status)
    if section_code:
        where.append(_ac.section_code == section_code)
    if commitments_only:
        where.append(_ac.is_public_commitment.is_(True))
    return where


def action_register(
    *, session: Session, actor: User, today: date, status: str | None = None,
    section_code: str | None = None, commitments_only: bool = False,
    limit: int = 50, offset: int = 0,
) -> list[RegisterRow]:
    """Late public commitments first, then open ones by due date, then the rest, newest first."""
    inputs = select(func.count()).where(_ai.action_id == _ac.id).scalar_subquery()
    late = _late(today)
    stmt = (
        select(_ac.id, _ac.title, _ac.kind_code, _ac.section_code, _ac.status,
               _ac.not_possible_reason, _ac.is_public_commitment, _ac.due_date,
               late.label("late"), inputs.label("inputs"), _ac.created_at, _ac.closed_at)
        .where(*_where(actor, status, section_code, commitments_only))
        .order_by(
            case((late, 0), (_ac.status.in_(OPEN_ACTION_STATUSES), 1), else_=2),
            _ac.due_date.is_(None), _ac.due_date, _ac.created_at.desc(), _ac.id.desc(),
        )
        .limit(limit)
        .offset(offset)
    )
    return [RegisterRow(**{**row._mapping, "late": bool(row.late)})
            for row in session.execute(stmt)]


def action_register_count(
    *, session: Session, actor: User, status: str | None = None,
    section_code: str | None = None, commitments_only: bool = False,
) -> int:
    stmt = select(func.count()).select_from(Action.__table__).where(
        *_where(actor, status, section_code, commitments_only))
    return int(session.execute(stmt).scalar_one())


def status_by_section(*, session: Session, actor: User, today: date) -> list[dict[str, object]]:
    """Counts per section and status, plus late commitments: the register's summary."""
    late = func.sum(case((_late(today), 1), else_=0))
    stmt = (
        select(_ac.section_code, _ac.status, func.count().label("actions"), late.label("late"))
        .where(visible_actions(actor))
        .group_by(_ac.section_code, _ac.status)
        .order_by(_ac.section_code, _ac.status)
    )
    return [dict(row._mapping) for row in session.execute(stmt)]
