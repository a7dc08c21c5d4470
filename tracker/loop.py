"""The feedback loop of an input: its facts, kept in step with links, and its derived state.

Rules (DESIGN.md, "Loop state"):

* **closed** — the community was told (a report-back) at or after the moment every
  linked action was closed; with no action at all, any report-back closes it. So an
  input whose only action was "not possible" closes only once people were told why,
  and an interim report-back given while an action is still open does not close it.
* **actioned** — it has linked actions and all of them are closed.
* **in action** — at least one linked action is open.
* **acknowledged** — an officer acknowledged it (linking an action or reporting
  back acknowledges it too).
* **received** — none of the above.

``refresh_loop_facts`` rewrites the cached facts on ``Input`` from the link tables in
one set-based UPDATE, in the caller's transaction, and the rollup cells of those inputs
(``tracker.rollups``) with them; the figures read the facts.
"""

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import and_, case, func, literal, or_, select, update
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from tracker.codes import OPEN_ACTION_STATUSES, LoopState
from tracker.models import Action, ActionInput, Input, ReportBack, ReportBackInput
from tracker.repeats import refresh_repeat_flags
from tracker.rollups import build as rollups

_in = Input.__table__.c
_ai = ActionInput.__table__.c
_ac = Action.__table__.c
_rb = ReportBack.__table__.c
_rbi = ReportBackInput.__table__.c


def _linked(*where: ColumnElement[bool]) -> ColumnElement[bool]:
    return and_(_ai.input_id == _in.id, *where)


def fact_expressions() -> dict[str, ColumnElement]:
    """Correlated subqueries giving each loop fact of the ``input`` row in scope."""
    actions_total = select(func.count()).where(_linked()).scalar_subquery()
    actions_open = (
        select(func.count())
        .select_from(ActionInput.__table__.join(Action.__table__, _ai.action_id == _ac.id))
        .where(_linked(_ac.status.in_(OPEN_ACTION_STATUSES)))
        .scalar_subquery()
    )
    first_action = select(func.min(_ai.linked_at)).where(_linked()).scalar_subquery()
    last_closed = (
        select(func.max(_ac.closed_at))
        .select_from(ActionInput.__table__.join(Action.__table__, _ai.action_id == _ac.id))
        .where(_linked())
        .correlate(Input.__table__)
        .scalar_subquery()
    )
    rb_join = ReportBackInput.__table__.join(ReportBack.__table__, _rbi.report_back_id == _rb.id)
    first_rb = (
        select(func.min(_rb.reported_at))
        .select_from(rb_join)
        .where(_rbi.input_id == _in.id)
        .scalar_subquery()
    )
    closing_rb = (
        select(func.min(_rb.reported_at))
        .select_from(rb_join)
        .where(_rbi.input_id == _in.id, or_(last_closed.is_(None), _rb.reported_at >= last_closed))
        .scalar_subquery()
    )
    return {
        "actions_total": actions_total,
        "actions_open": actions_open,
        "first_action_at": first_action,
        "last_action_closed_at": case((actions_open == 0, last_closed), else_=None),
        "first_report_back_at": first_rb,
        "closed_at": case((actions_open == 0, closing_rb), else_=None),
    }


def refresh_loop_facts(session: Session, input_ids: Iterable[int] | None = None) -> None:
    """Recompute the loop facts of ``input_ids`` (all inputs when None) from the links."""
    exprs = fact_expressions()
    stmt = update(Input.__table__).values(**exprs)
    if input_ids is not None:
        ids = sorted(set(input_ids))
        if not ids:
            return
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            before = _closures(session, chunk)
            session.execute(stmt.where(_in.id.in_(chunk)))
            _refresh_repeats_after(session, before, _closures(session, chunk))
            rollups.refresh_inputs(session, chunk)
        _expire_facts(session, [*exprs, "repeats_open_ask"], set(ids))
        return
    session.execute(stmt)
    refresh_repeat_flags(session)
    rollups.rebuild(session)
    _expire_facts(session, [*exprs, "repeats_open_ask"], None)


def _closures(session: Session, ids: list[int]) -> dict[int, tuple[int, datetime | None]]:
    rows = session.execute(select(_in.id, _in.locality_id, _in.closed_at).where(_in.id.in_(ids)))
    return {r.id: (r.locality_id, r.closed_at) for r in rows}


def _refresh_repeats_after(session: Session, before: dict[int, tuple[int, datetime | None]],
                           after: dict[int, tuple[int, datetime | None]]) -> None:
    """A changed closure time can only change whether inputs received after the earlier
    of the old and new times repeat an open ask; refresh just those."""
    since: dict[int, datetime] = {}
    for input_id, (locality_id, old) in before.items():
        new = after[input_id][1]
        if old == new:
            continue
        moment = min(t for t in (old, new) if t is not None)
        since[locality_id] = min(moment, since.get(locality_id, moment))
    for locality_id, moment in since.items():
        refresh_repeat_flags(session, locality_ids=[locality_id], since=moment)


def _expire_facts(session: Session, names: list[str], ids: set[int] | None) -> None:
    """A Core UPDATE bypasses the ORM: make loaded inputs reload the facts it rewrote."""
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Input) and (ids is None or obj.id in ids):
            session.expire(obj, names)


def loop_state_expr(table=Input.__table__) -> ColumnElement[str]:  # type: ignore[no-untyped-def]
    """The loop state as a SQL expression over the facts, for filters and GROUP BY."""
    c = table.c
    return case(
        (c.closed_at.is_not(None), literal(LoopState.CLOSED.value)),
        (c.actions_open > 0, literal(LoopState.IN_ACTION.value)),
        (c.actions_total > 0, literal(LoopState.ACTIONED.value)),
        (c.acknowledged_at.is_not(None), literal(LoopState.ACKNOWLEDGED.value)),
        else_=literal(LoopState.RECEIVED.value),
    )


def loop_state(item: Input) -> LoopState:
    """The same rule as ``loop_state_expr``, for an input already loaded."""
    if item.closed_at is not None:
        return LoopState.CLOSED
    if item.actions_open > 0:
        return LoopState.IN_ACTION
    if item.actions_total > 0:
        return LoopState.ACTIONED
    if item.acknowledged_at is not None:
        return LoopState.ACKNOWLEDGED
    return LoopState.RECEIVED


def facts_drift(session: Session) -> list[int]:
    """Ids of inputs whose cached facts differ from a recomputation (should be none)."""
    exprs = fact_expressions()
    cols = [_in.id] + [getattr(_in, name) for name in exprs] + list(exprs.values())
    n = len(exprs)
    drift: list[int] = []
    for row in session.execute(select(*cols)):
        stored, fresh = row[1 : 1 + n], row[1 + n :]
        if tuple(stored) != tuple(fresh):
            drift.append(row[0])
    return drift
