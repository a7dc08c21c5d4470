"""The write side: lifecycle, links, audit events, validation, permissions, atomicity."""

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from tests.utils.factories import T0, World, build_world, make_input
from tracker.audit import history
from tracker.codes import LoopState
from tracker.errors import NotFoundError, PermissionDenied, ValidationError
from tracker.models import (
    Action,
    ActionInput,
    AuditEvent,
    Input,
    ReportBack,
    ReportBackMessage,
    ServiceLevel,
    User,
    metadata,
)
from tracker.services import (
    acknowledge_input,
    create_action,
    edit_action,
    edit_input,
    link_action,
    record_report_back,
    set_action_status,
    unlink_action,
)
from tracker.sqltypes import utcnow


def h(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def row_counts(session: Session) -> dict[str, int]:
    """Rows in every table: a failed write must leave all of them as they were."""
    return {
        table.name: session.exec(select(func.count()).select_from(table)).one()[0]  # type: ignore[call-overload]
        for table in metadata.sorted_tables
    }


def last_event_id(session: Session) -> int:
    return session.exec(select(func.max(AuditEvent.id))).one()[0] or 0  # type: ignore[call-overload]


def events_since(session: Session, event_id: int) -> list[AuditEvent]:
    stmt = select(AuditEvent).where(AuditEvent.id > event_id).order_by(AuditEvent.id)
    return list(session.exec(stmt).scalars())  # type: ignore[call-overload]


def report_data(input_ids: list[int], at: datetime, **extra: Any) -> dict[str, Any]:
    return {"input_ids": input_ids, "audience": "community", "method": "town_hall",
            "reported_at": at, "messages": {"fr": "Le forage est terminé."}} | extra


@pytest.fixture
def world(session: Session) -> World:
    return build_world(session)


# --- the whole lifecycle -----------------------------------------------------------


def test_full_lifecycle(session: Session, world: World) -> None:
    officer = world.officer
    item = make_input(session, officer, world.town, summary="Forage demandé")
    assert item.loop_state == LoopState.RECEIVED
    assert (item.sensitivity, item.summary, item.theme_codes) == (
        "internal", "Forage demandé", ["basic_services"])
    assert item.respond_by == T0 + timedelta(hours=28 * 24)  # request, medium
    row = session.get(Input, item.id)
    assert row is not None
    assert (row.component_code, row.section_code, row.recorded_by_id) == (
        "civilian", "civil_affairs", officer.id)

    acked = acknowledge_input(session=session, actor=officer, input_id=item.id, at=h(1))
    assert (acked.loop_state, acked.acknowledged_at) == (LoopState.ACKNOWLEDGED, h(1))
    again = acknowledge_input(session=session, actor=officer, input_id=item.id, at=h(2))
    assert again.acknowledged_at == h(1)

    action = create_action(session=session, actor=officer, input_ids=[item.id], data={
        "kind_code": "qip", "title": "Forage à Mbeto", "is_public_commitment": True,
        "due_date": date(2026, 4, 1), "created_at": h(3)})
    assert (action.status, action.input_ids, action.section_code) == (
        "planned", [item.id], "civil_affairs")
    assert session.get(Input, item.id).actions_open == 1  # type: ignore[union-attr]

    started = set_action_status(session=session, actor=officer, action_id=action.id,
                                status="in_progress", at=h(4))
    assert (started.status, started.closed_at) == ("in_progress", None)
    done = set_action_status(session=session, actor=officer, action_id=action.id,
                             status="done", outcome=" Forage livré ", at=h(5))
    assert (done.status, done.closed_at, done.outcome) == ("done", h(5), "Forage livré")
    assert session.get(Action, action.id).started_at == h(4)  # type: ignore[union-attr]

    rb = record_report_back(session=session, actor=officer, data=report_data(
        [item.id], h(6), messages={"fr": " Le forage est terminé. ", "ln": "Libulu esili.", "sw": " "},
        approved_public=True))
    assert rb.messages == {"fr": "Le forage est terminé.", "ln": "Libulu esili."}
    assert (rb.input_ids, rb.approved_public) == ([item.id], True)
    assert session.exec(select(func.count()).select_from(ReportBackMessage)).one()[0] == 2  # type: ignore[call-overload]

    final = session.get(Input, item.id)
    assert final is not None
    assert (final.acknowledged_at, final.first_action_at, final.last_action_closed_at) == (
        h(1), h(3), h(5))
    assert (final.first_report_back_at, final.closed_at) == (h(6), h(6))
    verbs = [e.verb for e in history(session, entity="input", entity_id=item.id)]
    assert verbs == ["record", "acknowledge", "link", "report_back"]
    verbs = [e.verb for e in history(session, entity="action", entity_id=action.id)]
    assert verbs == ["create", "status", "status"]


# --- many-to-many ------------------------------------------------------------------


def test_one_action_answers_many_inputs(session: Session, world: World) -> None:
    ids = [make_input(session, world.officer, world.town, hours=i).id for i in range(3)]
    late = make_input(session, world.officer, world.village, hours=3).id
    action = create_action(session=session, actor=world.officer, input_ids=[ids[0], ids[1], ids[0]],
                           data={"kind_code": "qip", "title": "Forage", "created_at": h(4)})
    assert sorted(action.input_ids) == ids[:2]
    before = last_event_id(session)
    linked = link_action(session=session, actor=world.officer, action_id=action.id,
                         input_ids=[ids[1], ids[2], late], kind="referred", at=h(5))
    assert sorted(linked.input_ids) == [*ids, late]
    # ids[1] was already linked: no event, and its link keeps its kind.
    assert [(e.verb, e.entity_id) for e in events_since(session, before)] == [
        ("acknowledge", ids[2]), ("link", ids[2]), ("acknowledge", late), ("link", late)]
    kinds = dict(session.exec(select(ActionInput.input_id, ActionInput.kind)).all())  # type: ignore[call-overload]
    assert kinds == {ids[0]: "answers", ids[1]: "answers", ids[2]: "referred", late: "referred"}


def test_one_input_with_several_actions_and_link_kinds(session: Session, world: World) -> None:
    item = make_input(session, world.officer, world.town, theme_codes=["security"]).id
    patrol = create_action(session=session, actor=world.officer, input_ids=[item],
                           link_kind="informed_by",
                           data={"kind_code": "patrol", "title": "Patrouille", "created_at": h(1)})
    referral = create_action(session=session, actor=world.officer, input_ids=[item],
                             link_kind="referred",
                             data={"kind_code": "referral", "title": "UNHCR", "created_at": h(2)})
    rows = session.exec(
        select(ActionInput.action_id, ActionInput.kind, ActionInput.linked_at)
        .where(ActionInput.input_id == item).order_by(ActionInput.action_id)
    ).all()  # type: ignore[call-overload]
    assert [tuple(r) for r in rows] == [(patrol.id, "informed_by", h(1)), (referral.id, "referred", h(2))]
    row = session.get(Input, item)
    assert (row.actions_total, row.actions_open, row.first_action_at) == (2, 2, h(1))  # type: ignore[union-attr]


def test_unlinking_needs_an_existing_link(session: Session, world: World) -> None:
    item = make_input(session, world.officer, world.town).id
    action = create_action(session=session, actor=world.officer,
                           data={"kind_code": "qip", "title": "Forage", "created_at": h(1)})
    with pytest.raises(NotFoundError):
        unlink_action(session=session, actor=world.officer, action_id=action.id, input_id=item,
                      reason="wrong")


def test_an_officer_cannot_link_what_they_cannot_read(session: Session, world: World) -> None:
    hidden = make_input(session, world.other_officer, world.town, theme_codes=["conduct"]).id
    before = row_counts(session)
    with pytest.raises(NotFoundError):
        create_action(session=session, actor=world.officer, input_ids=[hidden],
                      data={"kind_code": "investigation", "title": "Vérifier", "created_at": h(1)})
    assert row_counts(session) == before


def test_an_action_known_only_through_unreadable_inputs_is_out_of_reach(
        session: Session, world: World) -> None:
    """Neither changed, nor linked to one's own input (which would list it from then on),
    nor returned with its title: an action on a conduct case follows its input's rule."""
    hidden = make_input(session, world.other_officer, world.town, theme_codes=["conduct"]).id
    case = create_action(session=session, actor=world.other_officer, input_ids=[hidden],
                         data={"kind_code": "investigation", "title": "Enquête sur le sergent K.",
                               "created_at": h(1)}).id
    mine = make_input(session, world.officer, world.town).id
    before = row_counts(session)
    with pytest.raises(NotFoundError):
        link_action(session=session, actor=world.officer, action_id=case, input_ids=[mine])
    with pytest.raises(NotFoundError):
        set_action_status(session=session, actor=world.officer, action_id=case, status="done")
    with pytest.raises(NotFoundError):
        edit_action(session=session, actor=world.officer, action_id=case,
                    changes={"title": "Autre"}, reason="typo")
    assert row_counts(session) == before
    # Linked to an input they may read too, the action is theirs to see; the other input's
    # number is not.
    link_action(session=session, actor=world.other_officer, action_id=case, input_ids=[mine])
    shown = set_action_status(session=session, actor=world.officer, action_id=case,
                              status="in_progress")
    assert shown.input_ids == [mine]
    assert set_action_status(session=session, actor=world.admin, action_id=case,
                             status="done").input_ids == [hidden, mine]


# --- audit events ------------------------------------------------------------------

Write = Callable[[], object]
AuditCase = Callable[[Session, World], tuple[Write, list[tuple[str, str]]]]


def _input(s: Session, w: World, **kw: Any) -> int:
    return make_input(s, w.officer, w.town, **kw).id


def _action(s: Session, w: World, ids: list[int], **kw: Any) -> int:
    data = {"kind_code": "qip", "title": "Forage", "created_at": h(2)} | kw
    return create_action(session=s, actor=w.officer, data=data, input_ids=ids).id


def case_record(s: Session, w: World) -> tuple[Write, list[tuple[str, str]]]:
    return lambda: _input(s, w), [("input", "record")]


def case_acknowledge(s: Session, w: World) -> tuple[Write, list[tuple[str, str]]]:
    i = _input(s, w)
    return lambda: acknowledge_input(session=s, actor=w.officer, input_id=i), [("input", "acknowledge")]


def case_acknowledge_twice(s: Session, w: World) -> tuple[Write, list[tuple[str, str]]]:
    i = _input(s, w)
    acknowledge_input(session=s, actor=w.officer, input_id=i)
    return lambda: acknowledge_input(session=s, actor=w.officer, input_id=i), []


def case_create_linked(s: Session, w: World) -> tuple[Write, list[tuple[str, str]]]:
    i, j = _input(s, w), _input(s, w, hours=1)
    acknowledge_input(session=s, actor=w.officer, input_id=j)
    return lambda: _action(s, w, [i, j]), [
        ("action", "create"), ("input", "acknowledge"), ("input", "link"), ("input", "link")]


def case_status(s: Session, w: World) -> tuple[Write, list[tuple[str, str]]]:
    a = _action(s, w, [_input(s, w)])
    return (lambda: set_action_status(session=s, actor=w.officer, action_id=a, status="done",
                                      at=h(3)), [("action", "status")])


def case_report_back_two_inputs(s: Session, w: World) -> tuple[Write, list[tuple[str, str]]]:
    i, j = _input(s, w), _input(s, w, hours=1)
    acknowledge_input(session=s, actor=w.officer, input_id=j)
    return (lambda: record_report_back(session=s, actor=w.officer, data=report_data([i, j], h(3))),
            [("input", "acknowledge"), ("input", "report_back"), ("input", "report_back"),
             ("report_back", "create")])


def case_edit_input(s: Session, w: World) -> tuple[Write, list[tuple[str, str]]]:
    i = _input(s, w)
    return (lambda: edit_input(session=s, actor=w.officer, input_id=i, changes={"summary": "x"},
                               reason="typo"), [("input", "edit")])


def case_edit_action(s: Session, w: World) -> tuple[Write, list[tuple[str, str]]]:
    a = _action(s, w, [])
    return (lambda: edit_action(session=s, actor=w.officer, action_id=a, changes={"title": "Puits"},
                                reason="clearer"), [("action", "edit")])


def case_unlink(s: Session, w: World) -> tuple[Write, list[tuple[str, str]]]:
    i = _input(s, w)
    a = _action(s, w, [i])
    return (lambda: unlink_action(session=s, actor=w.officer, action_id=a, input_id=i,
                                  reason="wrong input"), [("input", "unlink")])


AUDIT_CASES: list[AuditCase] = [
    case_record, case_acknowledge, case_acknowledge_twice, case_create_linked, case_status,
    case_report_back_two_inputs, case_edit_input, case_edit_action, case_unlink,
]


@pytest.mark.parametrize("case", AUDIT_CASES, ids=lambda c: c.__name__.removeprefix("case_"))
def test_each_write_adds_exactly_its_audit_events(session: Session, world: World,
                                                  case: AuditCase) -> None:
    write, expected = case(session, world)
    before = last_event_id(session)
    write()
    events = events_since(session, before)
    assert [(e.entity, e.verb) for e in events] == expected
    assert {e.user_id for e in events} <= {world.officer.id}
    assert all(e.at is not None and e.entity_id is not None for e in events)


def test_edit_input_audits_before_after_and_reason(session: Session, world: World) -> None:
    item = make_input(session, world.officer, world.town)
    before = last_event_id(session)
    edited = edit_input(session=session, actor=world.officer, input_id=item.id,
                        changes={"urgency": "high", "summary": "Forage", "theme_codes":
                                 ["basic_services", "health"]},
                        reason="  summary added after the meeting ")
    (event,) = events_since(session, before)
    assert (event.verb, event.entity, event.entity_id, event.user_id) == (
        "edit", "input", item.id, world.officer.id)
    assert event.reason == "summary added after the meeting"
    assert event.before == {"urgency": "medium", "summary": None,
                            "respond_by": (T0 + timedelta(hours=672)).isoformat(),
                            "theme_codes": ["basic_services"]}
    assert event.after == {"urgency": "high", "summary": "Forage",
                           "respond_by": (T0 + timedelta(hours=336)).isoformat(),
                           "theme_codes": ["basic_services", "health"]}
    assert edited.respond_by == T0 + timedelta(hours=336)
    assert sorted(edited.theme_codes) == ["basic_services", "health"]


def test_status_change_audits_before_and_after(session: Session, world: World) -> None:
    action_id = _action(session, world, [_input(session, world)])
    before = last_event_id(session)
    set_action_status(session=session, actor=world.officer, action_id=action_id,
                      status="not_possible", reason="no_access", at=h(3))
    (event,) = events_since(session, before)
    assert event.before == {"status": "planned", "not_possible_reason": None, "closed_at": None,
                            "outcome": None}
    assert event.after == {"status": "not_possible", "not_possible_reason": "no_access",
                           "closed_at": h(3).isoformat(), "outcome": None}


def test_unlink_stores_its_reason(session: Session, world: World) -> None:
    item = _input(session, world)
    action_id = _action(session, world, [item])
    unlink_action(session=session, actor=world.officer, action_id=action_id, input_id=item,
                  reason=" duplicate ")
    event = history(session, entity="input", entity_id=item)[-1]
    assert (event.verb, event.reason, event.before) == (
        "unlink", "duplicate", {"action_id": action_id, "kind": "answers"})


# --- validation --------------------------------------------------------------------


def _bad_input(**overrides: Any) -> Callable[[Session, World], object]:
    return lambda s, w: make_input(s, w.officer, w.town, **overrides)


VALIDATION_CASES: dict[str, tuple[Callable[[Session, World], object], str]] = {
    "unknown channel": (_bad_input(channel_code="pigeon"), "channel_code"),
    "unknown type": (_bad_input(type_code="gossip"), "type_code"),
    "unknown theme": (_bad_input(theme_codes=["basic_services", "weather"]), "theme_codes"),
    "no theme": (_bad_input(theme_codes=[]), "theme_codes"),
    "only an empty theme": (_bad_input(theme_codes=[""]), "theme_codes"),
    "unknown locality": (lambda s, w: make_input(s, w.officer, w.town, locality_id=99999),
                         "locality_id"),
    "blank text": (_bad_input(original_text="   "), "original_text"),
    "future date": (lambda s, w: make_input(s, w.officer, w.town,
                                            received_at=utcnow() + timedelta(days=1)),
                    "received_at"),
    "naive datetime": (_bad_input(received_at=datetime(2026, 3, 2, 8, 0)), "received_at"),
    "phone number in source_group": (_bad_input(source_group="chef, +243 812 345 678"),
                                     "source_group"),
    "name-like source code": (_bad_input(source_code="Jean Mbala"), "source_code"),
    "phone number as source code": (_bad_input(source_code="0812345678"), "source_code"),
    "phone number with country code as source code": (_bad_input(source_code="243-812-345-678"),
                                                       "source_code"),
    "commitment without due date": (
        lambda s, w: create_action(session=s, actor=w.officer, data={
            "kind_code": "qip", "title": "Forage", "is_public_commitment": True}),
        "due_date"),
    "not possible without reason": (
        lambda s, w: create_action(session=s, actor=w.officer, data={
            "kind_code": "qip", "title": "Forage", "status": "not_possible"}),
        "not_possible_reason"),
    "status not possible without reason": (
        lambda s, w: set_action_status(session=s, actor=w.officer, status="not_possible",
                                       action_id=_action(s, w, [])),
        "not_possible_reason"),
    "unknown link kind": (
        lambda s, w: create_action(session=s, actor=w.officer, input_ids=[_input(s, w)],
                                   link_kind="inspired", data={"kind_code": "qip", "title": "t"}),
        "link_kind"),
    "report-back before its input": (
        lambda s, w: record_report_back(session=s, actor=w.officer,
                                        data=report_data([_input(s, w)], h(-1))),
        "reported_at"),
    "report-back without message": (
        lambda s, w: record_report_back(session=s, actor=w.officer,
                                        data=report_data([_input(s, w)], h(1), messages={"fr": " "})),
        "messages"),
    "edit input without reason": (
        lambda s, w: edit_input(session=s, actor=w.officer, input_id=_input(s, w),
                                changes={"summary": "x"}, reason="  "),
        "reason"),
    "edit action without reason": (
        lambda s, w: edit_action(session=s, actor=w.officer, action_id=_action(s, w, []),
                                 changes={"title": "x"}, reason=""),
        "reason"),
    "unlink without reason": (
        lambda s, w: unlink_action(session=s, actor=w.officer, action_id=_action(s, w, []),
                                   input_id=_input(s, w), reason=""),
        "reason"),
}


@pytest.mark.parametrize(("call", "field"), VALIDATION_CASES.values(), ids=VALIDATION_CASES.keys())
def test_validation_names_the_field(session: Session, world: World,
                                    call: Callable[[Session, World], object], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        call(session, world)
    assert info.value.field == field
    assert field in info.value.errors


def test_a_dated_serial_is_a_source_code_not_a_phone_number(session: Session, world: World) -> None:
    """Codes such as "AN-2026-0117" carry eight digits and separators: the phone rule
    for source codes must not refuse them, as the looser one for a group's words would."""
    for code in ("AN-2026-0117", "CAN-2024-0001", "SRC_20260117"):
        assert make_input(session, world.officer, world.town, source_code=code).id


def test_a_refused_write_changes_nothing(session: Session, world: World) -> None:
    item = _input(session, world)
    before = row_counts(session)
    with pytest.raises(ValidationError):
        record_report_back(session=session, actor=world.officer, data=report_data([item], h(-2)))
    with pytest.raises(ValidationError):
        make_input(session, world.officer, world.town, channel_code="pigeon")
    assert row_counts(session) == before
    assert session.get(Input, item).acknowledged_at is None  # type: ignore[union-attr]


# --- permissions -------------------------------------------------------------------

WRITES: dict[str, Callable[[Session, World, Any, int, int], object]] = {
    "record_input": lambda s, w, u, i, a: make_input(s, u, w.town),
    "acknowledge_input": lambda s, w, u, i, a: acknowledge_input(session=s, actor=u, input_id=i),
    "edit_input": lambda s, w, u, i, a: edit_input(session=s, actor=u, input_id=i,
                                                   changes={"summary": "x"}, reason="r"),
    "create_action": lambda s, w, u, i, a: create_action(
        session=s, actor=u, data={"kind_code": "qip", "title": "t"}, input_ids=[i]),
    "link_action": lambda s, w, u, i, a: link_action(session=s, actor=u, action_id=a, input_ids=[i]),
    "set_action_status": lambda s, w, u, i, a: set_action_status(session=s, actor=u, action_id=a,
                                                                 status="done"),
    "record_report_back": lambda s, w, u, i, a: record_report_back(
        session=s, actor=u, data=report_data([i], h(1))),
}


@pytest.mark.parametrize("who", ["viewer", "leader", "inactive officer"])
@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_readers_cannot_write(session: Session, world: World, who: str,
                              write: Callable[..., object]) -> None:
    item = _input(session, world)
    action_id = _action(session, world, [])
    if who == "inactive officer":  # a detached copy: the stored account stays active
        actor = User(**world.officer.model_dump(exclude={"active"}), active=False)
    else:
        actor = getattr(world, who)
    before = row_counts(session)
    with pytest.raises(PermissionDenied):
        write(session, world, actor, item, action_id)
    assert row_counts(session) == before


# --- derived defaults --------------------------------------------------------------


@pytest.mark.parametrize(("themes", "given", "expected"), [
    (["crsv"], None, "restricted"),
    (["conduct"], None, "restricted"),
    (["basic_services", "conduct"], None, "restricted"),
    (["security", "human_rights"], None, "internal"),
    (["security"], "confidential", "confidential"),
    (["security"], "public", "public"),
])
def test_sensitivity_defaults_from_themes(session: Session, world: World, themes: list[str],
                                          given: str | None, expected: str) -> None:
    extra = {"sensitivity": given} if given else {}
    item = make_input(session, world.officer, world.town, theme_codes=themes, **extra)
    assert item.sensitivity == expected
    assert session.get(Input, item.id).sensitivity == expected  # type: ignore[union-attr]


def test_only_an_admin_lowers_a_restricted_theme(session: Session, world: World) -> None:
    with pytest.raises(ValidationError) as err:
        make_input(session, world.officer, world.town, theme_codes=["crsv"], sensitivity="public")
    assert err.value.field == "sensitivity"
    item = make_input(session, world.officer, world.town, theme_codes=["security"])
    with pytest.raises(ValidationError):
        edit_input(session=session, actor=world.officer, input_id=item.id,
                   changes={"theme_codes": ["security", "conduct"], "sensitivity": "internal"},
                   reason="reclassified")
    edited = edit_input(session=session, actor=world.officer, input_id=item.id,
                        changes={"theme_codes": ["security", "conduct"]}, reason="reclassified")
    assert edited.sensitivity == "restricted"
    lowered = make_input(session, world.admin, world.town, theme_codes=["crsv"],
                         sensitivity="confidential")
    assert lowered.sensitivity == "confidential"


@pytest.mark.parametrize(("type_code", "urgency", "hours"), [
    ("alert", "critical", 6),
    ("alert", "medium", 24),
    ("question", "low", 336),
    ("complaint", "high", 168),
    ("request", "medium", 672),
])
def test_respond_by_follows_the_service_level_table(session: Session, world: World,
                                                    type_code: str, urgency: str, hours: int) -> None:
    item = make_input(session, world.officer, world.town, type_code=type_code, urgency=urgency)
    assert item.respond_by == T0 + timedelta(hours=hours)


def test_respond_by_reads_the_table_not_a_constant(session: Session, world: World) -> None:
    level = session.exec(select(ServiceLevel).where(
        ServiceLevel.type_code == "rumour", ServiceLevel.urgency == "medium")).scalars().one()  # type: ignore[call-overload]
    level.hours = 5
    session.add(level)
    session.commit()
    item = make_input(session, world.officer, world.town, type_code="rumour")
    assert item.respond_by == T0 + timedelta(hours=5)


# --- a failure midway leaves no trace ----------------------------------------------


def _boom(*_args: Any, **_kwargs: Any) -> None:
    raise RuntimeError("disk pulled out mid-write")


def _flush_then_boom(session: Session, *_args: Any, **_kwargs: Any) -> None:
    session.flush()  # the rows really reached the database before the failure
    raise RuntimeError("disk pulled out mid-write")


def test_record_input_failing_midway_leaves_nothing(session: Session, world: World,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    before = row_counts(session)
    monkeypatch.setattr("tracker.services.inputs.record_event", _flush_then_boom)
    with pytest.raises(RuntimeError):
        make_input(session, world.officer, world.town, theme_codes=["security", "health"])
    assert row_counts(session) == before
    monkeypatch.undo()
    assert make_input(session, world.officer, world.town).id is not None  # the session still works


def test_create_action_failing_midway_leaves_nothing(session: Session, world: World,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    ids = [_input(session, world, hours=i) for i in range(2)]
    before = row_counts(session)
    monkeypatch.setattr("tracker.services.actions.refresh_loop_facts", _flush_then_boom)
    with pytest.raises(RuntimeError):
        _action(session, world, ids)
    assert row_counts(session) == before
    for input_id in ids:
        row = session.get(Input, input_id)
        assert (row.acknowledged_at, row.actions_total) == (None, 0)  # type: ignore[union-attr]


def test_report_back_failing_midway_leaves_nothing(session: Session, world: World,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    item = _input(session, world)
    before = row_counts(session)
    assert (before["report_back"], before["report_back_message"]) == (0, 0)
    monkeypatch.setattr("tracker.services.report_backs.refresh_loop_facts", _flush_then_boom)
    with pytest.raises(RuntimeError):
        record_report_back(session=session, actor=world.officer, data=report_data(
            [item], h(1), messages={"fr": "Fait.", "ar": "تم."}))
    assert row_counts(session) == before
    assert session.exec(select(func.count()).select_from(ReportBack)).one()[0] == 0  # type: ignore[call-overload]
    row = session.get(Input, item)
    assert (row.acknowledged_at, row.first_report_back_at, row.closed_at) == (None, None, None)  # type: ignore[union-attr]
    assert [e.verb for e in history(session, entity="input", entity_id=item)] == ["record"]


def test_status_change_failing_midway_keeps_the_old_status(
        session: Session, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    action_id = _action(session, world, [_input(session, world)])
    before = row_counts(session)
    monkeypatch.setattr("tracker.services.actions.refresh_loop_facts", _boom)
    with pytest.raises(RuntimeError):
        set_action_status(session=session, actor=world.officer, action_id=action_id,
                          status="done", at=h(3))
    assert row_counts(session) == before
    action = session.get(Action, action_id)
    assert (action.status, action.closed_at) == ("planned", None)  # type: ignore[union-attr]


def test_an_account_is_switched_off_and_its_role_changed(session: Session, world: World) -> None:
    from tracker.access import can_read
    from tracker.models import User
    from tracker.services import create_user, update_user

    admin = create_user(session=session, actor=world.admin, data={"username": "ana", "role": "admin"})
    item = make_input(session, world.officer, world.town)
    assert can_read(world.officer, item)
    with pytest.raises(PermissionDenied):
        update_user(session=session, actor=world.officer, username=world.viewer.username, active=False)
    off = update_user(session=session, actor=admin, username=world.officer.username, active=False)
    assert off.active is False and not can_read(off, item)
    assert session.get(User, world.officer.id).active is False
    events = [e for e in history(session, entity="user", entity_id=world.officer.id) if e.verb == "update"]
    assert [(e.before["active"], e.after["active"]) for e in events] == [(True, False)]
    back = update_user(session=session, actor=admin, username=world.officer.username,
                       active=True, role="section_head", section_code="civil_affairs")
    assert (back.active, back.role, back.section_code) == (True, "section_head", "civil_affairs")
    with pytest.raises(ValidationError, match="no role"):
        update_user(session=session, actor=admin, username="ana", role="king")
    with pytest.raises(ValidationError, match="no active admin"):  # ana is the only one
        update_user(session=session, actor=admin, username="ana", role="viewer")
    with pytest.raises(ValidationError, match="no active admin"):
        update_user(session=session, actor=admin, username="ana", active=False)
    with pytest.raises(ValidationError, match="system account"):
        update_user(session=session, actor=admin, username=world.admin.username, active=False)
    assert session.get(User, admin.id).role == "admin"  # every refusal left it as it was
