"""The access matrix, enforced by the library on every read model (roles × sensitivity)."""

import csv
import io
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import Session

from tests.utils.factories import T0, World, build_world, make_input
from tracker.access import can_read, visible_inputs
from tracker.breakdowns import oldest_open
from tracker.codes import Role
from tracker.errors import NotFoundError, PermissionDenied
from tracker.io.exporter import export_bytes
from tracker.metrics import Filters, figures
from tracker.models import Input, User
from tracker.queries import earlier_open_asks, follow_up_queue, input_detail, locality_history
from tracker.services import create_user, edit_input, share_input, unshare_input
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


NOW = T0.replace(year=2027)


@pytest.mark.parametrize(("who", "readable"), MATRIX.items(), ids=MATRIX.keys())
def test_figures_count_every_input_for_every_reader(session: Session, world: World,
                                                   inputs: dict[str, int], who: str,
                                                   readable: set[str]) -> None:
    """Restricted inputs exist as part of totals; the figures do not depend on the reader."""
    assert figures(session, Filters(), now=NOW).inputs_total == len(ALL)
    user = reader(session, world, who)
    listed = oldest_open(session, Filters(), NOW, 50, viewer=user)
    by_id = {v: k for k, v in inputs.items()}
    assert {by_id[i] for i in listed["id"]} == readable


@pytest.mark.parametrize(("who", "readable"), MATRIX.items(), ids=MATRIX.keys())
@pytest.mark.parametrize("what", ["inputs", "all"])
def test_exports_carry_only_what_the_reader_may_read(session: Session, world: World,
                                                     inputs: dict[str, int], who: str,
                                                     readable: set[str], what: str) -> None:
    user = reader(session, world, who)
    text = export_bytes(session, user, what=what, format="csv").decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    texts = {r.get("original_text") for r in rows if r.get("original_text")}
    expected = {"public": "texte public", "internal": "texte internal",
                "confidential": "texte confidential", "own_restricted": "texte restreint A",
                "other_restricted": "texte restreint B", "crsv": "texte protégé"}
    assert texts == {expected[name] for name in readable}
    for name in ALL - readable:  # nothing of an unreadable input, anywhere in the file
        assert expected[name] not in text


def test_history_is_read_only_through_a_readable_input(session: Session, world: World,
                                                       inputs: dict[str, int]) -> None:
    detail = input_detail(session=session, actor=world.officer, input_id=inputs["own_restricted"])
    assert [e.verb for e in detail.timeline][:1] == ["record"]
    with pytest.raises(NotFoundError):  # the timeline would show its text: it stays hidden
        input_detail(session=session, actor=world.viewer, input_id=inputs["own_restricted"])


def test_sharing_a_restricted_input_with_one_colleague(session: Session, world: World,
                                                       inputs: dict[str, int]) -> None:
    crsv = inputs["crsv"]  # recorded by other_officer
    with pytest.raises(NotFoundError):
        input_detail(session=session, actor=world.leader, input_id=crsv)
    with pytest.raises((PermissionDenied, NotFoundError)):  # not theirs to share
        share_input(session=session, actor=world.officer, input_id=crsv, user_id=world.leader.id)
    share_input(session=session, actor=world.other_officer, input_id=crsv, user_id=world.leader.id)
    shown = input_detail(session=session, actor=world.leader, input_id=crsv)
    assert shown.input.original_text == "texte protégé"
    assert input_detail(session=session, actor=world.admin, input_id=crsv)
    with pytest.raises(NotFoundError):  # shared with one person, not with their role
        input_detail(session=session, actor=world.officer, input_id=crsv)
    unshare_input(session=session, actor=world.admin, input_id=crsv, user_id=world.leader.id)
    with pytest.raises(NotFoundError):
        input_detail(session=session, actor=world.leader, input_id=crsv)
    verbs = [e.verb for e in input_detail(session=session, actor=world.admin,
                                          input_id=crsv).timeline]
    assert "share" in verbs and "unshare" in verbs


def test_a_shared_input_is_listed_for_its_reader(session: Session, world: World) -> None:
    item = make_input(session, world.officer, world.village, theme_codes=["conduct"]).id
    assert item not in [r.id for r in follow_up_queue(session=session, actor=world.viewer,
                                                      locality_id=world.village.id)]
    share_input(session=session, actor=world.officer, input_id=item, user_id=world.viewer.id)
    assert item in [r.id for r in follow_up_queue(session=session, actor=world.viewer,
                                                  locality_id=world.village.id)]


def test_the_written_matrix_is_the_one_applied() -> None:
    """docs/access.md says who reads what; it must say what tracker/access.py does."""
    from tracker.access import _READS, _WRITERS
    from tracker.codes import Sensitivity
    from tracker.settings import PROJECT_ROOT

    lines = (PROJECT_ROOT / "docs" / "access.md").read_text(encoding="utf-8").splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("| role | public"))
    rows = {}
    for line in lines[header + 2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows[cells[0]] = cells[1:]
    assert set(rows) == {r.value for r in Role}
    for role, cells in rows.items():
        reads = {s for s, cell in zip(Sensitivity, cells[:4], strict=True) if cell == "text"}
        assert reads == set(_READS[Role(role)]), role
        assert (cells[5] == "yes") is (Role(role) in _WRITERS), role
        assert cells[4] == "all"
