"""The read models: follow-up queue, earlier asks, locality history, input detail."""

from dataclasses import FrozenInstanceError
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session

from tests.utils.factories import T0, World, build_world, make_input
from tracker.codes import LoopState
from tracker.errors import NotFoundError, ValidationError
from tracker.queries import (
    ActionDone,
    CodeCount,
    NotPossible,
    Promise,
    ThemeAsked,
    earlier_open_asks,
    follow_up_count,
    follow_up_queue,
    input_detail,
    locality_history,
)
from tracker.services import (
    acknowledge_input,
    create_action,
    link_action,
    record_report_back,
    set_action_status,
)


def h(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def report(session: Session, world: World, input_ids: list[int], at: datetime,
           messages: dict[str, str] | None = None) -> None:
    record_report_back(session=session, actor=world.officer, data={
        "input_ids": input_ids, "audience": "community", "method": "radio", "reported_at": at,
        "messages": messages or {"fr": "Voici la réponse."}})


def close(session: Session, world: World, input_id: int, at: datetime) -> None:
    """Close an input with no action: the question was answered."""
    report(session, world, [input_id], at)


@pytest.fixture
def world(session: Session) -> World:
    return build_world(session)


# --- follow-up queue ---------------------------------------------------------------


@pytest.fixture
def queue(session: Session, world: World) -> dict[str, int]:
    """Five open inputs of the officer's section, one closed, one from another section.

    With ``now = T0 + 3 days`` the alerts (24 h) are overdue; the request (28 days)
    and the question (7 days) are not.
    """
    o = world.officer
    ids = {
        "request": make_input(session, o, world.town, hours=0, type_code="request").id,
        "alert_1": make_input(session, o, world.village, hours=1, type_code="alert",
                              theme_codes=["security"], summary="Hommes armés vus").id,
        "question": make_input(session, o, world.camp, hours=2, type_code="question",
                               original_text="Q" * 300).id,
        "alert_2": make_input(session, o, world.town, hours=3, type_code="alert",
                              theme_codes=["security", "land_conflict"]).id,
        # recorded by someone else but assigned to the officer's section
        "assigned": make_input(session, world.other_officer, world.town, hours=4,
                               section_code="civil_affairs").id,
        "closed": make_input(session, o, world.town, hours=5, type_code="alert").id,
        "elsewhere": make_input(session, world.other_officer, world.town, hours=6).id,
    }
    close(session, world, ids["closed"], h(7))
    acknowledge_input(session=session, actor=o, input_id=ids["request"], at=h(8))
    return ids


NOW = T0 + timedelta(days=3)


def names(rows: list[Any], ids: dict[str, int]) -> list[str]:
    by_id = {v: k for k, v in ids.items()}
    return [by_id[r.id] for r in rows]


def test_queue_is_overdue_first_then_oldest(session: Session, world: World,
                                            queue: dict[str, int]) -> None:
    rows = follow_up_queue(session=session, actor=world.officer, now=NOW)
    assert names(rows, queue) == ["alert_1", "alert_2", "request", "question", "assigned"]
    assert [r.overdue for r in rows] == [True, True, False, False, False]
    first = rows[0]
    assert (first.locality_name, first.type_code, first.theme_codes, first.urgency) == (
        "Lisa", "alert", ("security",), "medium")
    assert (first.summary, first.respond_by, first.loop_state) == (
        "Hommes armés vus", h(1 + 24), LoopState.RECEIVED)
    assert rows[1].theme_codes == ("land_conflict", "security")
    assert rows[2].loop_state == LoopState.ACKNOWLEDGED
    assert rows[3].summary == "Q" * 120
    assert rows[2].summary == "Nous demandons un forage pour le quartier."
    with pytest.raises(FrozenInstanceError):
        first.overdue = False  # type: ignore[misc]


def test_queue_moves_items_as_time_passes(session: Session, world: World,
                                          queue: dict[str, int]) -> None:
    early = follow_up_queue(session=session, actor=world.officer, now=h(2))
    assert not any(r.overdue for r in early)
    assert names(early, queue) == ["request", "alert_1", "question", "alert_2", "assigned"]
    late = follow_up_queue(session=session, actor=world.officer, now=T0 + timedelta(days=8))
    assert names(late, queue)[:3] == ["alert_1", "question", "alert_2"]


def test_queue_pages_and_counts(session: Session, world: World, queue: dict[str, int]) -> None:
    pages = [follow_up_queue(session=session, actor=world.officer, now=NOW, limit=2, offset=o)
             for o in (0, 2, 4, 6)]
    assert [names(p, queue) for p in pages] == [
        ["alert_1", "alert_2"], ["request", "question"], ["assigned"], []]
    assert follow_up_count(session=session, actor=world.officer, now=NOW) == 5
    with pytest.raises(ValidationError) as info:
        follow_up_queue(session=session, actor=world.officer, offset=-1)
    assert info.value.field == "offset"
    with pytest.raises(ValidationError) as info:
        follow_up_queue(session=session, actor=world.officer, now=NOW.replace(tzinfo=None))
    assert info.value.field == "now"


@pytest.mark.parametrize(("filters", "expected"), [
    ({"section_code": "human_rights"}, ["elsewhere"]),
    ({"section_code": "civil_affairs"}, ["alert_1", "alert_2", "request", "question", "assigned"]),
    ({"officer_id": "other"}, ["assigned", "elsewhere"]),
    ({"locality_id": "north"}, ["alert_1", "alert_2", "request", "assigned", "elsewhere"]),
    ({"locality_id": "camp"}, ["question"]),
    ({"locality_id": "village", "section_code": "civil_affairs"}, ["alert_1"]),
    ({"section_code": "fpu"}, []),
])
def test_queue_filters(session: Session, world: World, queue: dict[str, int],
                       filters: dict[str, Any], expected: list[str]) -> None:
    resolved = dict(filters)
    if resolved.get("officer_id") == "other":
        resolved["officer_id"] = world.other_officer.id
    if "locality_id" in resolved:
        resolved["locality_id"] = getattr(world, resolved["locality_id"]).id
    rows = follow_up_queue(session=session, actor=world.officer, now=NOW, **resolved)
    assert names(rows, queue) == expected
    assert follow_up_count(session=session, actor=world.officer, **resolved) == len(expected)


def test_queue_default_is_own_work_and_own_section(session: Session, world: World,
                                                   queue: dict[str, int]) -> None:
    rows = follow_up_queue(session=session, actor=world.other_officer, now=NOW)
    # other_officer (human_rights) recorded "assigned" and "elsewhere".
    assert names(rows, queue) == ["assigned", "elsewhere"]


def test_queue_unknown_locality_is_not_found(session: Session, world: World) -> None:
    with pytest.raises(NotFoundError):
        follow_up_queue(session=session, actor=world.officer, locality_id=424242)


# --- asked before ------------------------------------------------------------------


@pytest.fixture
def asks(session: Session, world: World) -> dict[str, int]:
    o = world.officer
    ids = {
        "open": make_input(session, o, world.town, hours=0).id,
        "closed_before": make_input(session, o, world.town, hours=1,
                                    theme_codes=["basic_services", "health"]).id,
        "closed_after": make_input(session, o, world.town, hours=2).id,
        "other_theme": make_input(session, o, world.town, hours=3, theme_codes=["security"]).id,
        "other_place": make_input(session, o, world.village, hours=4).id,
        "restricted": make_input(session, world.other_officer, world.town, hours=5,
                                 theme_codes=["basic_services", "crsv"]).id,
        "second_theme": make_input(session, o, world.town, hours=6,
                                   theme_codes=["health"]).id,
        "later": make_input(session, o, world.town, hours=11).id,
    }
    close(session, world, ids["closed_before"], h(8))
    close(session, world, ids["closed_after"], h(20))
    return ids


@pytest.mark.parametrize(("who", "themes", "count", "listed"), [
    ("viewer", ["basic_services"], 3, ["closed_after", "open"]),
    ("admin", ["basic_services"], 3, ["restricted", "closed_after", "open"]),
    ("other_officer", ["basic_services"], 3, ["restricted", "closed_after", "open"]),
    ("officer", ["basic_services"], 3, ["closed_after", "open"]),
    ("officer", ["basic_services", "health"], 4, ["second_theme", "closed_after", "open"]),
    ("officer", ["security"], 1, ["other_theme"]),
    ("officer", ["justice"], 0, []),
    ("officer", [], 0, []),
])
def test_earlier_open_asks(session: Session, world: World, asks: dict[str, int], who: str,
                           themes: list[str], count: int, listed: list[str]) -> None:
    result = earlier_open_asks(session=session, actor=getattr(world, who),
                               locality_id=world.town.id, theme_codes=themes, before=h(10))
    assert result.count == count
    assert names(list(result.items), asks) == listed


def test_earlier_open_asks_after_recording(session: Session, world: World,
                                           asks: dict[str, int]) -> None:
    """The "asked N times before" shown right after a new input is saved."""
    new = make_input(session, world.officer, world.town, hours=10)
    result = earlier_open_asks(session=session, actor=world.officer, locality_id=world.town.id,
                               theme_codes=new.theme_codes, before=new.received_at,
                               exclude_input_id=new.id, limit=1)
    assert result.count == 3
    assert [i.id for i in result.items] == [asks["closed_after"]]
    item = result.items[0]
    assert (item.received_at, item.loop_state, item.locality_id) == (
        h(2), LoopState.CLOSED, world.town.id)


# --- locality history --------------------------------------------------------------


@pytest.fixture
def brief(session: Session, world: World) -> dict[str, int]:
    """A small, hand-counted history for the North region (and one input in the South)."""
    o, other = world.officer, world.other_officer
    ids: dict[str, int] = {}
    ids["borehole"] = make_input(session, o, world.town, hours=0).id
    ids["clinic"] = make_input(session, o, world.town, hours=1, channel_code="patrol",
                               theme_codes=["basic_services", "health"]).id
    ids["checkpoint"] = make_input(session, other, world.town, hours=2,
                                   theme_codes=["security"]).id
    ids["conduct"] = make_input(session, other, world.town, hours=3, channel_code="alert_network",
                                theme_codes=["conduct"]).id
    ids["road"] = make_input(session, o, world.village, hours=4).id
    ids["south"] = make_input(session, o, world.camp, hours=5, theme_codes=["security"]).id

    def action(input_id: int, actor: Any, at: float, **data: Any) -> int:
        data = {"kind_code": "qip", "created_at": h(at)} | data
        return create_action(session=session, actor=actor, data=data, input_ids=[input_id]).id

    ids["a_borehole"] = action(ids["borehole"], o, 6, title="Forage réparé")
    set_action_status(session=session, actor=o, action_id=ids["a_borehole"], status="done",
                      outcome="Eau disponible", at=h(7))
    report(session, world, [ids["borehole"]], h(8), {"fr": "Le forage marche.", "ln": "Libulu."})
    ids["c_clinic"] = action(ids["clinic"], o, 9, title="Dispensaire", is_public_commitment=True,
                             due_date=date(2026, 3, 10))
    ids["a_checkpoint"] = action(ids["checkpoint"], other, 10, kind_code="patrol",
                                 title="Patrouille", status="not_possible",
                                 not_possible_reason="no_access")
    ids["a_conduct"] = action(ids["conduct"], other, 11, kind_code="investigation",
                              title="Enquête", status="done", outcome="Transmis")
    return ids


def test_locality_history_of_a_region(session: Session, world: World, brief: dict[str, int]) -> None:
    got = locality_history(session=session, actor=world.admin, locality_id=world.north.id,
                           now=T0 + timedelta(days=20))
    assert (got.locality_name, got.level, got.total, got.open, got.closed) == (
        "North", "region", 5, 4, 1)
    assert got.asked == (
        ThemeAsked("basic_services", 3, 2, 1), ThemeAsked("conduct", 1, 1, 0),
        ThemeAsked("health", 1, 1, 0), ThemeAsked("security", 1, 1, 0))
    assert got.channels == (CodeCount("town_hall", 3), CodeCount("alert_network", 1),
                            CodeCount("patrol", 1))
    assert got.sections == (CodeCount("civil_affairs", 3), CodeCount("human_rights", 2))
    assert got.done == (
        ActionDone(brief["a_conduct"], "Enquête", "investigation", h(11), "Transmis"),
        ActionDone(brief["a_borehole"], "Forage réparé", "qip", h(7), "Eau disponible"))
    assert got.promised == (
        Promise(brief["c_clinic"], "Dispensaire", "qip", "planned", date(2026, 3, 10), True),)
    assert got.not_possible == (
        NotPossible(brief["a_checkpoint"], "Patrouille", "patrol", "no_access", h(10)),)
    assert [r.id for r in got.recent] == [brief[k] for k in
                                          ("road", "conduct", "checkpoint", "clinic", "borehole")]
    assert [r.locality_name for r in got.recent] == ["Lisa", "Mbeto", "Mbeto", "Mbeto", "Mbeto"]
    assert [r.loop_state for r in got.recent] == [
        LoopState.RECEIVED, LoopState.ACTIONED, LoopState.ACTIONED, LoopState.IN_ACTION,
        LoopState.CLOSED]
    # Enough to act on in the handover list: themes, urgency, deadline, overdue.
    assert [r.theme_codes for r in got.recent] == [
        ("basic_services",), ("conduct",), ("security",), ("basic_services", "health"),
        ("basic_services",)]
    assert {r.urgency for r in got.recent} == {"medium"}
    assert all(r.respond_by is not None for r in got.recent)
    assert not any(r.overdue for r in got.recent)  # 20 days on: within the service level
    later = locality_history(session=session, actor=world.admin, locality_id=world.north.id,
                             now=T0 + timedelta(days=400))
    assert [r.overdue for r in later.recent] == [True, True, True, True, False]  # one closed
    (rb,) = got.report_backs
    assert (rb.reported_at, rb.method, rb.languages) == (h(8), "radio", ("fr", "ln"))


def test_locality_history_hides_text_of_what_the_reader_cannot_see(
        session: Session, world: World, brief: dict[str, int]) -> None:
    got = locality_history(session=session, actor=world.viewer, locality_id=world.north.id,
                           now=T0 + timedelta(days=5))
    # Totals still count the restricted input...
    assert (got.total, got.open) == (5, 4)
    assert ThemeAsked("conduct", 1, 1, 0) in got.asked
    # ...but its action and the input itself are not listed.
    assert [d.id for d in got.done] == [brief["a_borehole"]]
    assert brief["conduct"] not in [r.id for r in got.recent]
    assert len(got.recent) == 4
    assert got.promised[0].overdue is False  # due 10 March, read on 7 March


@pytest.mark.parametrize(("place", "total", "open_"), [
    ("mission", 6, 5), ("north", 5, 4), ("south", 1, 1), ("town", 4, 3), ("village", 1, 1),
    ("camp", 1, 1),
])
def test_locality_history_covers_the_places_below(session: Session, world: World,
                                                  brief: dict[str, int], place: str, total: int,
                                                  open_: int) -> None:
    got = locality_history(session=session, actor=world.admin,
                           locality_id=getattr(world, place).id)
    assert (got.total, got.open, got.closed) == (total, open_, total - open_)
    assert len(got.recent) == total


def test_locality_history_of_a_territory_and_limits(session: Session, world: World,
                                                    brief: dict[str, int]) -> None:
    territory = session.get(type(world.town), world.town.parent_id)
    assert territory is not None and territory.level == "territory"
    got = locality_history(session=session, actor=world.admin, locality_id=territory.id,
                           recent=2)
    assert got.total == 5
    assert [r.id for r in got.recent] == [brief["road"], brief["conduct"]]
    assert len(got.done) == 2
    with pytest.raises(NotFoundError):
        locality_history(session=session, actor=world.admin, locality_id=987654)


# --- input detail ------------------------------------------------------------------


def test_input_detail(session: Session, world: World) -> None:
    o = world.officer
    earlier = make_input(session, o, world.town, hours=0).id
    item = make_input(session, o, world.town, hours=1, summary="Forage").id
    patrol = create_action(session=session, actor=o, input_ids=[item],
                           data={"kind_code": "patrol", "title": "Patrouille", "created_at": h(2)},
                           link_kind="informed_by").id
    borehole = create_action(session=session, actor=o,
                             data={"kind_code": "qip", "title": "Forage", "created_at": h(3)}).id
    link_action(session=session, actor=o, action_id=borehole, input_ids=[item], at=h(4))
    set_action_status(session=session, actor=o, action_id=borehole, status="done", at=h(5))
    report(session, world, [item], h(6), {"fr": "Fait.", "sw": "Imefanyika."})

    got = input_detail(session=session, actor=world.viewer, input_id=item)
    assert (got.input.id, got.input.summary, got.locality_name) == (item, "Forage", "Mbeto")
    assert got.input.loop_state == LoopState.IN_ACTION
    assert [(a.id, a.link_kind, a.status) for a in got.actions] == [
        (patrol, "informed_by", "planned"), (borehole, "answers", "done")]
    (rb,) = got.report_backs
    assert rb.messages == (("fr", "Fait."), ("sw", "Imefanyika."))
    assert [(e.entity, e.verb) for e in got.timeline] == [
        ("input", "record"), ("action", "create"), ("input", "acknowledge"), ("input", "link"),
        ("action", "create"), ("input", "link"), ("action", "status"), ("input", "report_back")]
    assert {e.username for e in got.timeline} == {"officer.a"}
    assert got.timeline[-2].after["status"] == "done"  # type: ignore[index]
    assert (got.earlier.count, [i.id for i in got.earlier.items]) == (1, [earlier])


def test_input_detail_not_found(session: Session, world: World) -> None:
    with pytest.raises(NotFoundError):
        input_detail(session=session, actor=world.admin, input_id=31337)
