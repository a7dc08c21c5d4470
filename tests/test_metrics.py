"""Every figure checked against values worked out by hand on a small fixture.

The fixture (dates as offsets from T0 = 2 March 2026 08:00 UTC; NOW = T0 + 30 days):

- A (town; request, basic services; received +0h): acknowledged +2h; action X created +1d
  (public commitment due 20 March, done +10d); report-back +12d.
- B (town; request, basic services; +2d): linked to X at +3d; the same report-back at +12d
  (a repeat of A).
- C (village; alert, security, critical; +100h): acknowledged +1h; nothing else (overdue).
- D (camp; complaint, conduct; +200h): acknowledged +12h; action Y +9d (not possible
  +15d); commitment W +10d (due 15 March, done 18 March, late); report-back +20d.
- E (camp; question, rumours, in Arabic; +300h): report-back +24h, no action.
- F (village; complaint, security, high; +20d): nothing (overdue; a repeat of C).
- G (town; suggestion, basic services; +25d): action Z +27d (commitment due 30 March,
  in progress).
"""

from datetime import date, timedelta

import pytest
from sqlmodel import Session

from tests.utils.factories import T0, World, build_world, make_input
from tracker.metrics import Figures, Filters, figures, scope, silent_localities
from tracker.models import Input
from tracker.percentiles import percentiles, percentiles_of
from tracker.services import (
    acknowledge_input,
    create_action,
    link_action,
    record_report_back,
    set_action_status,
)
from tracker.sqltypes import hours_between

NOW = T0 + timedelta(days=30)
D = timedelta(days=1)
H = timedelta(hours=1)


def _report(session: Session, w: World, ids: list[int], at, actor=None) -> None:  # type: ignore[no-untyped-def]
    record_report_back(session=session, actor=actor or w.officer, data={
        "input_ids": ids, "audience": "community", "method": "town_hall", "reported_at": at,
        "messages": {"fr": "Voici ce que la mission a fait."}})


def _action(session: Session, w: World, ids: list[int], at, actor=None, **kw):  # type: ignore[no-untyped-def]
    data = {"kind_code": "qip", "title": "Action", "created_at": at} | kw
    return create_action(session=session, actor=actor or w.officer, data=data, input_ids=ids)


@pytest.fixture
def world(session: Session) -> World:
    w = build_world(session)
    o = w.officer
    a = make_input(session, o, w.town, women=10, men=5, source_women=True)
    acknowledge_input(session=session, actor=o, input_id=a.id, at=T0 + 2 * H)
    x = _action(session, w, [a.id], T0 + D, is_public_commitment=True, due_date=date(2026, 3, 20))
    b = make_input(session, o, w.town, hours=48)
    link_action(session=session, actor=o, action_id=x.id, input_ids=[b.id], at=T0 + 3 * D)
    set_action_status(session=session, actor=o, action_id=x.id, status="done", at=T0 + 10 * D)
    _report(session, w, [a.id, b.id], T0 + 12 * D)

    c = make_input(session, o, w.village, hours=100, type_code="alert", urgency="critical",
                   theme_codes=["security"], channel_code="alert_network", girls=2, boys=3,
                   young_women=1, young_men=4, source_youth=True)
    acknowledge_input(session=session, actor=o, input_id=c.id, at=T0 + 101 * H)

    d = make_input(session, w.other_officer, w.camp, hours=200, type_code="complaint",
                   theme_codes=["conduct"], source_displaced=True)
    acknowledge_input(session=session, actor=w.other_officer, input_id=d.id, at=T0 + 212 * H)
    # D is restricted (conduct): only its recorder (or an admin) may act on it.
    o2 = w.other_officer
    y = _action(session, w, [d.id], T0 + 9 * D, actor=o2, kind_code="investigation")
    w_ = _action(session, w, [d.id], T0 + 10 * D, actor=o2, is_public_commitment=True,
                 due_date=date(2026, 3, 15))
    set_action_status(session=session, actor=o2, action_id=y.id, status="not_possible",
                      reason="no_access", at=T0 + 15 * D)
    set_action_status(session=session, actor=o2, action_id=w_.id, status="done", at=T0 + 16 * D)
    _report(session, w, [d.id], T0 + 20 * D, actor=o2)

    e = make_input(session, o, w.camp, hours=300, type_code="question", theme_codes=["rumours"],
                   language="ar", channel_code="hotline_sms", original_text="هل ستغادر البعثة؟")
    _report(session, w, [e.id], T0 + 324 * H)

    make_input(session, o, w.village, hours=480, type_code="complaint", urgency="high",
               theme_codes=["security"])
    g = make_input(session, o, w.town, hours=600, type_code="suggestion",
                   component_code="military")
    z = _action(session, w, [g.id], T0 + 27 * D, is_public_commitment=True,
                due_date=date(2026, 3, 30))
    set_action_status(session=session, actor=o, action_id=z.id, status="in_progress",
                      at=T0 + 28 * D)
    return w


def test_headline_figures(session: Session, world: World) -> None:
    f = figures(session, now=NOW)
    assert (f.inputs_total, f.inputs_closed) == (7, 4)
    assert f.closure_rate == pytest.approx(4 / 7)
    # acknowledge hours: C 1, A 2, D 12, B 24, E 24, G 48
    assert f.median_hours_to_acknowledge == pytest.approx(18)
    assert f.p90_hours_to_acknowledge == pytest.approx(36)
    # first action hours: D 16, A 24, B 24, G 48
    assert f.median_days_to_first_action == pytest.approx(1.0)
    assert f.p90_days_to_first_action == pytest.approx(40.8 / 24)
    # report-back days: E 1, B 10, D 280h = 11.667, A 12
    assert f.median_days_to_report_back == pytest.approx((10 + 280 / 24) / 2)
    assert f.p90_days_to_report_back == pytest.approx(280 / 24 + 0.7 * (12 - 280 / 24))
    assert f.overdue_open == 2  # C (alert, 6 h) and F (high complaint, 7 days)
    assert (f.commitments_due, f.commitments_kept) == (3, 1)  # X kept; W late; Z open
    assert f.repeat_asks == 2  # B repeats A; F repeats C
    assert f.share_women == pytest.approx(13 / 25)
    assert f.share_youth == pytest.approx(5 / 25)
    assert f.participants == 25
    assert f.share_inputs_women == pytest.approx(1 / 7)
    assert f.share_inputs_youth == pytest.approx(1 / 7)
    assert f.share_inputs_displaced == pytest.approx(1 / 7)
    assert f.share_inputs_minority == 0
    assert f.share_rural == pytest.approx(4 / 7)
    assert f.languages == {"fr": 6, "ar": 1}


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (lambda w: Filters(area_id=w.north.id),
         {"inputs_total": 5, "inputs_closed": 2, "commitments_due": 2, "commitments_kept": 1,
          "repeat_asks": 2, "overdue_open": 2}),
        (lambda w: Filters(area_id=w.camp.id),
         {"inputs_total": 2, "inputs_closed": 2, "commitments_due": 1, "commitments_kept": 0,
          "repeat_asks": 0, "overdue_open": 0}),
        (lambda w: Filters(area_id=w.mission.id),
         {"inputs_total": 7, "inputs_closed": 4, "commitments_due": 3}),
        (lambda w: Filters(theme_code="security"),
         {"inputs_total": 2, "inputs_closed": 0, "overdue_open": 2, "repeat_asks": 1,
          "commitments_due": 0}),
        (lambda w: Filters(since=date(2026, 3, 12), until=date(2026, 3, 31)),
         {"inputs_total": 3, "inputs_closed": 1, "commitments_due": 3, "commitments_kept": 1}),
        (lambda w: Filters(until=date(2026, 3, 10)),
         {"inputs_total": 4, "inputs_closed": 3, "commitments_due": 0}),
        (lambda w: Filters(channel_code="hotline_sms"),
         {"inputs_total": 1, "inputs_closed": 1, "median_days_to_report_back": 1.0}),
        (lambda w: Filters(component_code="military"),
         {"inputs_total": 1, "inputs_closed": 0, "commitments_due": 1, "commitments_kept": 0}),
    ],
    ids=["north", "camp", "mission", "theme", "period", "until", "channel", "component"],
)
def test_filtered_figures(session: Session, world: World, filters, expected) -> None:  # type: ignore[no-untyped-def]
    f = figures(session, filters(world), now=NOW).as_dict()
    assert {k: f[k] for k in expected} == pytest.approx(expected)


def test_a_theme_narrows_the_commitments_and_the_languages(session: Session, world: World) -> None:
    conduct = figures(session, Filters(theme_code="conduct"), now=NOW)
    assert (conduct.inputs_total, conduct.commitments_due, conduct.commitments_kept) == (1, 1, 0)  # D, W late
    rumours = figures(session, Filters(theme_code="rumours"), now=NOW)
    assert (rumours.inputs_total, rumours.languages) == (1, {"ar": 1})  # E
    assert figures(session, Filters(theme_code="conduct", area_id=world.town.id),
                   now=NOW).commitments_due == 0


@pytest.mark.parametrize("filters", [Filters(), Filters(theme_code="security"),
                                     Filters(since=date(2026, 3, 4)), Filters(theme_code="none")],
                         ids=["all", "theme", "period", "empty"])
def test_percentiles_of_several_values_are_each_ones_own(session: Session, world: World,
                                                         filters: Filters) -> None:
    c = Input.__table__.c
    values = [hours_between(later, c.received_at)
              for later in (c.acknowledged_at, c.first_action_at, c.first_report_back_at)]
    where = scope(session, filters)
    qs = (0.1, 0.5, 0.9)
    assert percentiles_of(session, values, where, qs) == [
        percentiles(session, v, where, qs) for v in values]


def test_silent_localities(session: Session, world: World) -> None:
    silent = silent_localities(session, Filters(), NOW, days=7)
    assert [name for _, name, _ in silent] == ["Lisa", "Site Nord"]
    assert figures(session, now=NOW, silence_days=7).silent_localities == 2
    assert figures(session, now=NOW).silent_localities == 0


def test_empty_database_gives_nulls(session: Session) -> None:
    f: Figures = figures(session, now=NOW)
    assert f.inputs_total == 0
    assert f.closure_rate is None
    assert f.median_days_to_report_back is None
    assert f.share_women is None
    assert f.commitments_kept_rate is None
