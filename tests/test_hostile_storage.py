"""Hostile text goes through the services and comes back exactly as typed, on SQLite and
PostgreSQL: nothing is executed, stripped, cut or reinterpreted on the way."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from tests.utils.factories import T0, World, build_world, make_input
from tests.utils.hostile import HOSTILE, LONG, SHORT
from tracker.errors import HearbackError
from tracker.i18n import LOCALES
from tracker.models import Action, Input, Locality, ReportBackMessage, Term, User
from tracker.reference import people, places, terms
from tracker.services import (
    create_action,
    create_locality,
    create_user,
    record_report_back,
    save_term,
    set_action_status,
)


@pytest.fixture
def world(session: Session) -> World:
    return build_world(session)


@pytest.mark.parametrize("name", list(HOSTILE))
def test_input_texts_round_trip(session: Session, world: World, name: str) -> None:
    text = HOSTILE[name]
    group = SHORT.get(name, "women's group")
    created = make_input(session, world.officer, world.town, original_text=text,
                         translation=text, source_group=group)
    session.expire_all()
    stored = session.get(Input, created.id)
    assert stored is not None
    assert (stored.original_text, stored.translation, stored.source_group) == (text, text, group)
    assert (created.original_text, created.translation) == (text, text)  # what the service returns
    # "DROP TABLE input" was data, not SQL: the table is there and holds the row.
    assert session.execute(select(func.count()).select_from(Input)).scalar_one() == 1


def test_a_long_source_group_is_refused_not_cut(session: Session, world: World) -> None:
    with pytest.raises(HearbackError):
        make_input(session, world.officer, world.town, source_group=LONG)
    assert session.execute(select(func.count()).select_from(Input)).scalar_one() == 0


@pytest.mark.parametrize("name", list(HOSTILE))
def test_action_title_and_outcome_round_trip(session: Session, world: World, name: str) -> None:
    text = HOSTILE[name]
    title = SHORT.get(name, "Réparer le forage")
    item = make_input(session, world.officer, world.town)
    action = create_action(session=session, actor=world.officer, input_ids=[item.id], data={
        "kind_code": "qip", "title": title, "description": text,
        "is_public_commitment": True, "due_date": (T0 + timedelta(days=30)).date()})
    set_action_status(session=session, actor=world.officer, action_id=action.id,
                      status="done", outcome=text)
    session.expire_all()
    stored = session.get(Action, action.id)
    assert stored is not None
    assert (stored.title, stored.description, stored.outcome) == (title, text, text)


def test_a_long_action_title_is_refused(session: Session, world: World) -> None:
    item = make_input(session, world.officer, world.town)
    with pytest.raises(HearbackError):
        create_action(session=session, actor=world.officer, input_ids=[item.id],
                      data={"kind_code": "qip", "title": LONG})


def test_report_back_versions_round_trip_in_every_language(session: Session, world: World) -> None:
    item = make_input(session, world.officer, world.town)
    texts = list(HOSTILE.values())
    messages = {lang: texts[i % len(texts)] for i, lang in enumerate(LOCALES)}
    report = record_report_back(session=session, actor=world.officer, data={
        "input_ids": [item.id], "audience": "community", "method": "town_hall",
        "reported_at": T0 + timedelta(days=2), "messages": messages, "approved_public": True})
    session.expire_all()
    rows = session.execute(select(ReportBackMessage.language, ReportBackMessage.text)
                           .where(ReportBackMessage.report_back_id == report.id)).all()
    assert dict(rows) == messages


@pytest.mark.parametrize("name", list(SHORT))
def test_place_term_and_person_names_round_trip(session: Session, world: World, name: str) -> None:
    text = SHORT[name]
    place = create_locality(session=session, actor=world.admin, data={
        "name": text, "level": "locality", "parent_id": world.town.parent_id})
    save_term(session=session, actor=world.admin, kind="theme", code="health", label=text)
    user = create_user(session=session, actor=world.admin, data={
        "username": "hostile.user", "display_name": text, "role": "officer"})
    session.expire_all()
    assert {p.id: p.name for p in places(session)}[place.id] == text
    assert {t.code: t.label for t in terms(session, "theme")}["health"] == text
    assert {p.id: p.display_name for p in people(session)}[user.id] == text


@pytest.mark.parametrize(("model", "create"), [
    (Locality, lambda s, w: create_locality(session=s, actor=w.admin, data={
        "name": LONG, "level": "locality", "parent_id": w.town.parent_id})),
    (Term, lambda s, w: save_term(session=s, actor=w.admin, kind="theme", code="long",
                                  label=LONG)),
    (User, lambda s, w: create_user(session=s, actor=w.admin, data={
        "username": "long.name", "display_name": LONG, "role": "officer"})),
], ids=["locality", "term", "user"])
def test_long_names_are_refused_the_same_way_on_every_backend(session: Session, world: World,
                                                             model: type, create) -> None:  # type: ignore[no-untyped-def]
    """A 20,000-character name: a validation error on SQLite and PostgreSQL alike (SQLite
    would keep it; PostgreSQL would fail on the column length with a driver error)."""
    before = session.execute(select(func.count()).select_from(model)).scalar_one()
    with pytest.raises(HearbackError) as caught:
        create(session, world)
    assert "200" in str(caught.value) or "long" in str(caught.value).lower()
    session.rollback()
    assert session.execute(select(func.count()).select_from(model)).scalar_one() == before
