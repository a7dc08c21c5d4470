"""The access matrix, enforced by the library on every read model (roles × sensitivity)."""

from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import Session

from tests.utils.factories import T0, World, build_world, make_input
from tracker.access import can_read, visible_inputs
from tracker.codes import Role
from tracker.errors import NotFoundError
from tracker.models import Input, User
from tracker.queries import earlier_open_asks, follow_up_queue, input_detail, locality_history
from tracker.services import create_user, edit_input
from tracker.services.inputs import to_public

ALL = {"public", "internal", "confidential", "own_restricted", "other_restricted", "crsv"}
STANDARD = {"public", "internal", "confidential"}

# Which of the fixture's inputs each reader may read (DESIGN.md, "Do no harm").
MATRIX: dict[str, set[str]] = {
    "admin": ALL,
    "section_head": STANDARD,
    "officer": STANDARD | {"own_restricted"},
    "other_officer": STANDARD | {"other_restricted", "crsv"},
    "leader": STANDARD,
    "viewer": {"public", "internal"},
    "inactive": set(),
}


@pytest.fixture
def world(session: Session) -> World:
    return build_world(session)


@pytest.fixture
def inputs(session: Session, world: World) -> dict[str, int]:
    """One open input per sensitivity in Mbeto, all on the same theme."""
    o, other = world.officer, world.other_officer
    ids = {
        name: make_input(session, o, world.town, hours=i, sensitivity=name,
                         original_text=f"texte {name}").id
        for i, name in enumerate(["public", "internal", "confidential"])
    }
    ids["own_restricted"] = make_input(session, o, world.town, hours=3, sensitivity="restricted",
                                       original_text="texte restreint A").id
    ids["other_restricted"] = make_input(session, other, world.town, hours=4,
                                         sensitivity="restricted",
                                         original_text="texte restreint B").id
    ids["crsv"] = make_input(session, other, world.town, hours=5,
                             theme_codes=["basic_services", "crsv"],
                             original_text="texte protégé").id
    return ids


def reader(session: Session, world: World, who: str) -> User:
    if who == "section_head":
        return create_user(session=session, actor=world.admin, data={
            "username": "head", "role": Role.SECTION_HEAD, "section_code": "civil_affairs"})
    if who == "inactive":  # a detached copy: the stored account stays active
        return User(**world.admin.model_dump(exclude={"active"}), active=False)
    return getattr(world, who)  # type: ignore[no-any-return]


def names(ids: dict[str, int], found: Any) -> set[str]:
    by_id = {v: k for k, v in ids.items()}
    return {by_id[i] for i in found}


@pytest.mark.parametrize(("who", "readable"), MATRIX.items(), ids=MATRIX.keys())
def test_detail_follows_the_matrix(session: Session, world: World, inputs: dict[str, int],
                                   who: str, readable: set[str]) -> None:
    user = reader(session, world, who)
    for name, input_id in inputs.items():
        if name in readable:
            detail = input_detail(session=session, actor=user, input_id=input_id)
            assert detail.input.original_text is not None
            assert detail.input.original_text.startswith("texte")
        else:
            with pytest.raises(NotFoundError):
                input_detail(session=session, actor=user, input_id=input_id)


@pytest.mark.parametrize(("who", "readable"), MATRIX.items(), ids=MATRIX.keys())
def test_lists_follow_the_matrix(session: Session, world: World, inputs: dict[str, int],
                                 who: str, readable: set[str]) -> None:
    user = reader(session, world, who)
    queue = follow_up_queue(session=session, actor=user, locality_id=world.town.id)
    assert names(inputs, [r.id for r in queue]) == readable
    history = locality_history(session=session, actor=user, locality_id=world.town.id)
    assert names(inputs, [r.id for r in history.recent]) == readable
    assert history.total == len(inputs)  # existence counts in totals, for every reader
    asked = earlier_open_asks(session=session, actor=user, locality_id=world.town.id,
                              theme_codes=["basic_services"], before=T0.replace(year=2027))
    assert asked.count == len(inputs)
    assert names(inputs, [i.id for i in asked.items]) == readable


@pytest.mark.parametrize(("who", "readable"), MATRIX.items(), ids=MATRIX.keys())
def test_python_and_sql_rules_agree(session: Session, world: World, inputs: dict[str, int],
                                    who: str, readable: set[str]) -> None:
    user = reader(session, world, who)
    by_sql = session.exec(select(Input.id).where(visible_inputs(user))).all()  # type: ignore[call-overload]
    assert names(inputs, [row[0] for row in by_sql]) == readable
    for name, input_id in inputs.items():
        item = session.get(Input, input_id)
        assert item is not None
        assert can_read(user, item) is (name in readable)
        shown = to_public(session, user, item)
        assert (shown.original_text is not None) is (name in readable)
        if name not in readable:
            assert (shown.summary, shown.translation, shown.source_group) == (None, None, None)


def test_raising_sensitivity_hides_an_input_from_a_viewer(session: Session, world: World) -> None:
    item = make_input(session, world.officer, world.town).id
    assert input_detail(session=session, actor=world.viewer, input_id=item).input.id == item
    edit_input(session=session, actor=world.officer, input_id=item,
               changes={"sensitivity": "confidential"}, reason="names a local official")
    with pytest.raises(NotFoundError):
        input_detail(session=session, actor=world.viewer, input_id=item)
    assert input_detail(session=session, actor=world.leader, input_id=item).input.id == item


def test_an_officer_cannot_see_another_officers_restricted_input_in_their_queue(
        session: Session, world: World) -> None:
    """Even when it is assigned to their own section."""
    hidden = make_input(session, world.other_officer, world.town, theme_codes=["conduct"],
                        section_code="civil_affairs").id
    mine = make_input(session, world.officer, world.town, theme_codes=["conduct"]).id
    queue = follow_up_queue(session=session, actor=world.officer)
    assert [r.id for r in queue] == [mine]
    admin_queue = follow_up_queue(session=session, actor=world.admin, section_code="civil_affairs")
    assert [r.id for r in admin_queue] == [hidden, mine]
