"""The stored "repeats an open ask" flag always equals a recomputation, whatever the writes."""

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from tests.utils.factories import T0, build_world, make_input
from tracker.models import Input
from tracker.repeats import refresh_repeat_flags, repeat_drift
from tracker.services import (
    create_action,
    edit_input,
    record_report_back,
    set_action_status,
)


def flags(session: Session) -> dict[int, bool]:
    session.expire_all()
    return {i.id: i.repeats_open_ask for i in session.exec(select(Input))}  # type: ignore[misc]


@pytest.mark.parametrize("row_by_row_limit", [200, 0], ids=["lookups", "window"])
def test_flag_follows_every_kind_of_write(session: Session, row_by_row_limit: int,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tracker.repeats.ROW_BY_ROW_LIMIT", row_by_row_limit)
    w = build_world(session)
    o = w.officer
    a = make_input(session, o, w.town)
    b = make_input(session, o, w.town, hours=24)
    c = make_input(session, o, w.town, hours=48, theme_codes=["health"])
    d = make_input(session, o, w.village, hours=48)
    assert flags(session) == {a.id: False, b.id: True, c.id: False, d.id: False}

    # A report-back dated before B was received closes A then: B no longer repeats it.
    record_report_back(session=session, actor=o, data={
        "input_ids": [a.id], "audience": "community", "method": "radio",
        "reported_at": T0 + timedelta(hours=12), "messages": {"fr": "Réponse donnée."}})
    assert flags(session)[b.id] is False

    # An action linked to A reopens its loop (in action): B repeats an open ask again.
    x = create_action(session=session, actor=o, input_ids=[a.id], data={
        "kind_code": "qip", "title": "Forage", "created_at": T0 + timedelta(hours=13)})
    assert flags(session)[b.id] is True
    set_action_status(session=session, actor=o, action_id=x.id, status="done",
                      at=T0 + timedelta(hours=20))
    assert flags(session)[b.id] is True  # closed only once people are told again

    # A late entry received before everything makes the town's later inputs repeats.
    early = make_input(session, o, w.town, hours=-10, theme_codes=["health"])
    assert flags(session)[c.id] is True and flags(session)[early.id] is False

    # Moving D to the town puts it after B (open) on the same theme.
    edit_input(session=session, actor=o, input_id=d.id, changes={"locality_id": w.town.id},
               reason="wrong place")
    assert flags(session)[d.id] is True
    assert repeat_drift(session) == []


def test_full_refresh_matches_the_row_by_row_definition(session: Session) -> None:
    w = build_world(session)
    for n in range(12):
        make_input(session, w.officer, w.town if n % 3 else w.village, hours=n * 5,
                   theme_codes=["basic_services", "security"][: 1 + n % 2])
    session.execute(Input.__table__.update().values(repeats_open_ask=False))
    refresh_repeat_flags(session)
    session.commit()
    assert repeat_drift(session) == []
    assert sum(flags(session).values()) > 0


def test_demo_data_flags_equal_the_definition(engine) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    from tracker.demo import generate_demo

    generate_demo(engine, inputs=600, seed=5, as_of=datetime(2026, 6, 30, tzinfo=UTC))
    with Session(engine) as session:
        assert repeat_drift(session) == []
        assert 0 < sum(flags(session).values()) < 600
