"""The derived loop state of an input, in every case the design names.

Each scenario is a list of steps applied one hour apart to one input, with the state
expected after each step. After every step the Python rule (``loop_state``) and the
SQL rule (``loop_state_expr``) must agree, and the cached facts must equal a
recomputation (``facts_drift``).
"""

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import Session

from tests.utils.factories import T0, World, build_world, make_input
from tracker.codes import LoopState
from tracker.loop import facts_drift, loop_state, loop_state_expr
from tracker.models import Input
from tracker.services import (
    acknowledge_input,
    create_action,
    link_action,
    record_report_back,
    set_action_status,
    unlink_action,
)

R, ACK, IN, DONE, CLOSED = (
    LoopState.RECEIVED, LoopState.ACKNOWLEDGED, LoopState.IN_ACTION, LoopState.ACTIONED,
    LoopState.CLOSED,
)


def state_of(session: Session, input_id: int, held: Input | None = None) -> LoopState:
    """The state by both rules; they must agree and the facts must not drift.

    ``held`` is an input object loaded before the writes: the services' set-based
    refresh must not leave it with stale facts.
    """
    item = session.get(Input, input_id)
    assert item is not None
    assert held is None or held is item
    by_sql = session.exec(select(loop_state_expr()).where(Input.id == input_id)).one()[0]  # type: ignore[call-overload]
    assert loop_state(item) == LoopState(by_sql)
    assert facts_drift(session) == []
    return loop_state(item)


def report(session: Session, world: World, input_ids: list[int], at: Any) -> None:
    record_report_back(session=session, actor=world.officer, data={
        "input_ids": input_ids, "audience": "community", "method": "town_hall",
        "reported_at": at, "messages": {"fr": "Voici ce que nous avons fait."}})


def new_action(session: Session, world: World, input_ids: list[int], at: Any,
               status: str = "planned", **extra: Any) -> int:
    data = {"kind_code": "qip", "title": "Forage", "status": status, "created_at": at} | extra
    return create_action(session=session, actor=world.officer, data=data,
                         input_ids=input_ids).id


def apply(session: Session, world: World, input_id: int, actions: dict[str, int],
          step: tuple[str, ...], at: Any) -> None:
    op, *args = step
    if op == "ack":
        acknowledge_input(session=session, actor=world.officer, input_id=input_id, at=at)
    elif op == "act":  # ("act", name[, status])
        status = args[1] if len(args) > 1 else "planned"
        extra = {"not_possible_reason": "no_access"} if status == "not_possible" else {}
        actions[args[0]] = new_action(session, world, [input_id], at, status, **extra)
    elif op == "set":  # ("set", name, status)
        reason = "outside_mandate" if args[1] == "not_possible" else None
        set_action_status(session=session, actor=world.officer, action_id=actions[args[0]],
                          status=args[1], reason=reason, at=at)
    elif op == "report":
        report(session, world, [input_id], at)
    elif op == "unlink":
        unlink_action(session=session, actor=world.officer, action_id=actions[args[0]],
                      input_id=input_id, reason="linked to the wrong input")
    else:  # pragma: no cover - a typo in the table
        raise AssertionError(op)


SCENARIOS: dict[str, list[tuple[tuple[str, ...], LoopState]]] = {
    "acknowledged": [(("ack",), ACK)],
    "in_action with one open action": [(("act", "a"), IN)],
    "in_action while in progress": [(("act", "a"), IN), (("set", "a", "in_progress"), IN)],
    "actioned when all actions done": [(("act", "a"), IN), (("set", "a", "done"), DONE)],
    "action logged as already done": [(("act", "a", "done"), DONE)],
    "closed by a report-back after the action closed": [
        (("act", "a"), IN), (("set", "a", "done"), DONE), (("report",), CLOSED)],
    "closed without any action (answered question)": [(("report",), CLOSED)],
    "not possible then reported back": [
        (("act", "a"), IN), (("set", "a", "not_possible"), DONE), (("report",), CLOSED)],
    "not possible without report-back stays actioned": [
        (("act", "a", "not_possible"), DONE), (("ack",), DONE)],
    "interim report-back does not close": [
        (("act", "a"), IN), (("report",), IN), (("set", "a", "done"), DONE),
        (("report",), CLOSED)],
    "reopening an action reopens the loop": [
        (("act", "a"), IN), (("set", "a", "done"), DONE), (("report",), CLOSED),
        (("set", "a", "in_progress"), IN), (("set", "a", "done"), DONE), (("report",), CLOSED)],
    "unlinking the only action": [(("act", "a"), IN), (("unlink", "a"), ACK)],
    "unlinking the only action after a report-back": [
        (("report",), CLOSED), (("act", "a"), IN), (("unlink", "a"), CLOSED)],
    "two actions stay in_action until both closed": [
        (("act", "a"), IN), (("act", "b"), IN), (("set", "a", "done"), IN),
        (("report",), IN), (("set", "b", "not_possible"), DONE), (("report",), CLOSED)],
}


def test_a_new_input_is_received(session: Session) -> None:
    world = build_world(session)
    item = make_input(session, world.officer, world.town)
    assert item.loop_state == R
    assert state_of(session, item.id) == R


@pytest.mark.parametrize("steps", SCENARIOS.values(), ids=SCENARIOS.keys())
def test_loop_state_scenario(session: Session, steps: list[tuple[tuple[str, ...], LoopState]]) -> None:
    world = build_world(session)
    item = make_input(session, world.officer, world.town, type_code="question")
    held = session.get(Input, item.id)
    actions: dict[str, int] = {}
    seen = []
    for hour, (step, _expected) in enumerate(steps, start=1):
        apply(session, world, item.id, actions, step, T0 + timedelta(hours=hour))
        seen.append(state_of(session, item.id, held))
    assert seen == [expected for _step, expected in steps]


def test_report_back_at_the_closing_moment_closes(session: Session) -> None:
    """"At or after" every action closed: the same instant counts."""
    world = build_world(session)
    item = make_input(session, world.officer, world.town)
    at = T0 + timedelta(hours=3)
    action_id = new_action(session, world, [item.id], T0 + timedelta(hours=1))
    set_action_status(session=session, actor=world.officer, action_id=action_id, status="done",
                      at=at)
    report(session, world, [item.id], at)
    assert state_of(session, item.id) == CLOSED
    assert session.get(Input, item.id).closed_at == at  # type: ignore[union-attr]


def test_one_action_for_many_inputs_closes_them_all(session: Session) -> None:
    world = build_world(session)
    ids = [make_input(session, world.officer, world.town, hours=h).id for h in range(3)]
    other = make_input(session, world.officer, world.village).id
    action_id = new_action(session, world, ids[:2], T0 + timedelta(hours=4))
    link_action(session=session, actor=world.officer, action_id=action_id, input_ids=[ids[2]],
                at=T0 + timedelta(hours=5))
    assert [state_of(session, i) for i in ids] == [IN, IN, IN]
    set_action_status(session=session, actor=world.officer, action_id=action_id, status="done",
                      at=T0 + timedelta(hours=6))
    assert [state_of(session, i) for i in ids] == [DONE, DONE, DONE]
    report(session, world, ids, T0 + timedelta(hours=7))
    assert [state_of(session, i) for i in ids] == [CLOSED, CLOSED, CLOSED]
    assert state_of(session, other) == R
    closed = session.exec(select(Input.closed_at).where(Input.id.in_(ids))).all()  # type: ignore[call-overload, union-attr]
    assert {row[0] for row in closed} == {T0 + timedelta(hours=7)}


def test_report_back_for_one_input_leaves_its_sibling_actioned(session: Session) -> None:
    world = build_world(session)
    first, second = (make_input(session, world.officer, world.town, hours=h).id for h in (0, 1))
    new_action(session, world, [first, second], T0 + timedelta(hours=2), "done")
    report(session, world, [first], T0 + timedelta(hours=3))
    assert (state_of(session, first), state_of(session, second)) == (CLOSED, DONE)


def test_facts_record_the_moments(session: Session) -> None:
    world = build_world(session)
    item = make_input(session, world.officer, world.town)
    a = new_action(session, world, [item.id], T0 + timedelta(hours=2))
    b = new_action(session, world, [item.id], T0 + timedelta(hours=3))
    for action_id, hour in ((a, 4), (b, 5)):
        set_action_status(session=session, actor=world.officer, action_id=action_id,
                          status="done", at=T0 + timedelta(hours=hour))
    report(session, world, [item.id], T0 + timedelta(hours=6))
    row = session.get(Input, item.id)
    assert row is not None
    assert (row.actions_total, row.actions_open) == (2, 0)
    assert row.acknowledged_at == T0 + timedelta(hours=2)
    assert row.first_action_at == T0 + timedelta(hours=2)
    assert row.last_action_closed_at == T0 + timedelta(hours=5)
    assert row.first_report_back_at == T0 + timedelta(hours=6)
    assert row.closed_at == T0 + timedelta(hours=6)
