"""Who may see and change what: roles × sensitivity, applied by the library itself.

Pages, exports and figures all read through these functions, so no caller can
forget a rule. Counts in the accountability figures include every input (a
restricted input exists "only as part of totals"); lists, details and text
follow the matrix below.

| role          | reads text of                         | writes |
|---------------|---------------------------------------|--------|
| admin         | public, internal, confidential, restricted | yes |
| section_head  | public, internal, confidential        | yes    |
| officer       | public, internal, confidential; restricted ones they recorded | yes |
| leadership    | public, internal, confidential        | no     |
| viewer        | public, internal                      | no     |

Besides, anyone a restricted input is shared with (``InputShare``) reads that input.
"""

from sqlalchemy import exists, or_
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from tracker.codes import Role, Sensitivity
from tracker.errors import PermissionDenied
from tracker.models import Input, InputShare, User

_sh = InputShare.__table__.c

_READS: dict[Role, frozenset[Sensitivity]] = {
    Role.ADMIN: frozenset(Sensitivity),
    Role.SECTION_HEAD: frozenset(
        {Sensitivity.PUBLIC, Sensitivity.INTERNAL, Sensitivity.CONFIDENTIAL}
    ),
    Role.OFFICER: frozenset({Sensitivity.PUBLIC, Sensitivity.INTERNAL, Sensitivity.CONFIDENTIAL}),
    Role.LEADERSHIP: frozenset({Sensitivity.PUBLIC, Sensitivity.INTERNAL, Sensitivity.CONFIDENTIAL}),
    Role.VIEWER: frozenset({Sensitivity.PUBLIC, Sensitivity.INTERNAL}),
}
_WRITERS = frozenset({Role.ADMIN, Role.SECTION_HEAD, Role.OFFICER})


def readable_sensitivities(user: User) -> frozenset[Sensitivity]:
    if not user.active:
        return frozenset()
    return _READS[Role(user.role)]


def can_read(user: User, item: Input, session: Session | None = None) -> bool:
    """Whether ``user`` may read ``item``; pass ``session`` to honour shares of restricted ones."""
    if Sensitivity(item.sensitivity) in readable_sensitivities(user):
        return True
    if not user.active or item.sensitivity != Sensitivity.RESTRICTED:
        return False
    if user.role == Role.OFFICER and item.recorded_by_id == user.id:
        return True
    return session is not None and session.get(InputShare, (item.id, user.id)) is not None


def visible_inputs(user: User) -> ColumnElement[bool]:
    """WHERE clause for the inputs ``user`` may list and read."""
    allowed = sorted(s.value for s in readable_sensitivities(user))
    clause = Input.sensitivity.in_(allowed)  # type: ignore[attr-defined]
    if not user.active or Sensitivity.RESTRICTED in readable_sensitivities(user):
        return clause
    restricted = Input.sensitivity == Sensitivity.RESTRICTED.value  # type: ignore[arg-type]
    shared = exists().where(_sh.input_id == Input.id, _sh.user_id == user.id)  # type: ignore[arg-type]
    if user.role == Role.OFFICER:
        shared = or_(shared, Input.recorded_by_id == user.id)  # type: ignore[arg-type]
    return or_(clause, restricted & shared)


def require_writer(user: User) -> None:
    if not user.active or Role(user.role) not in _WRITERS:
        raise PermissionDenied(f"the role {user.role!r} cannot change records")


def require_admin(user: User) -> None:
    if not user.active or user.role != Role.ADMIN:
        raise PermissionDenied("only an admin can do this")
