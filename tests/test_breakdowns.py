"""Every dashboard breakdown checked against values worked out by hand.

The fixture is the one of ``tests/test_metrics.py`` (its table lists inputs A–G);
T0 = Monday 2 March 2026 08:00 UTC, NOW = T0 + 30 days. The weeks that matter:
A, B, C arrive in the week of 2 March; D, E in the week of 9 March; F on Sunday
22 March (week of 16 March); G in the week of 23 March. A and B close on Saturday
14 March, E on Sunday 15 March (exactly 24 hours after it came), D on Sunday 22 March.
"""

from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import text
from sqlmodel import Session, select

import tests.test_metrics as metrics_fixture
from tests.utils.factories import T0, World, make_input
from tracker.breakdowns import (
    DIMENSIONS,
    bottlenecks,
    bucket_label,
    closure_by,
    inclusion_over_time,
    kpis_with_trend,
    locality_map,
    oldest_open,
    previous_period,
    report_back_distribution,
    weekly_flow,
)
from tracker.errors import ValidationError
from tracker.metrics import Filters
from tracker.models import Input

H = timedelta(hours=1)
NOW = metrics_fixture.NOW
world = metrics_fixture.world  # the hand-worked fixture of the figures, reused as is


def _ids(session: Session) -> dict[str, int]:
    """Inputs A–G by letter, in the order they were received."""
    ids = session.exec(select(Input.id).order_by(Input.received_at)).all()  # type: ignore[arg-type]
    return dict(zip("ABCDEFG", ids, strict=True))


def _rows(frame: pd.DataFrame, *cols: str) -> list[tuple]:
    return [tuple(r) for r in frame[list(cols)].itertuples(index=False)]


CLOSURE = {
    "region": lambda w: [(w.north.id, "North", 5, 2, 2), (w.south.id, "South", 2, 2, 0)],
    "territory": lambda w: [(w.town.parent_id, "Kivale", 5, 2, 2), (w.camp.parent_id, "Doruma", 2, 2, 0)],
    "locality": lambda w: [(w.town.id, "Mbeto", 3, 2, 0), (w.village.id, "Lisa", 2, 0, 2),
                           (w.camp.id, "Site Nord", 2, 2, 0)],
    "theme": lambda w: [("basic_services", "Basic services and quick-impact project needs", 3, 2, 0),
                        ("security", "Physical security and threats", 2, 0, 2),
                        ("conduct", "Conduct of UN personnel (incl. sexual exploitation and abuse)",
                         1, 1, 0),
                        ("rumours", "Information and rumours", 1, 1, 0)],
    "channel": lambda w: [("town_hall", "Community meeting / town hall", 5, 3, 1),
                          ("alert_network", "Alert network call (phone/radio/toll-free)", 1, 0, 1),
                          ("hotline_sms", "Hotline / SMS", 1, 1, 0)],
    "component": lambda w: [("civilian", "Civilian", 6, 4, 2), ("military", "Military", 1, 0, 0)],
    "type": lambda w: [("complaint", "Complaint", 2, 1, 1), ("request", "Request / need", 2, 2, 0),
                       ("alert", "Alert / threat (early warning)", 1, 0, 1),
                       ("question", "Question", 1, 1, 0), ("suggestion", "Suggestion", 1, 0, 0)],
    "language": lambda w: [("fr", None, 6, 3, 2), ("ar", None, 1, 1, 0)],
}


@pytest.mark.parametrize("by", DIMENSIONS)
def test_closure_by(session: Session, world: World, by: str) -> None:
    frame = closure_by(session, Filters(), by, now=NOW)
    assert list(frame.columns) == ["key", "label", "inputs", "closed", "closure_rate", "overdue_open"]
    assert _rows(frame, "key", "label", "inputs", "closed", "overdue_open") == CLOSURE[by](world)
    assert frame["closure_rate"].tolist() == pytest.approx(list(frame["closed"] / frame["inputs"]))


def test_closure_by_applies_filters(session: Session, world: World) -> None:
    north = closure_by(session, Filters(area_id=world.north.id), "theme", now=NOW)
    assert _rows(north, "key", "inputs", "closed") == [("basic_services", 3, 2), ("security", 2, 0)]
    # A theme filter keeps every theme of the matching inputs (the filter must not correlate
    # with the breakdown's own join on input_theme).
    make_input(session, world.officer, world.village, hours=700, theme_codes=["security", "land_conflict"])
    security = closure_by(session, Filters(theme_code="security"), "theme", now=NOW)
    assert _rows(security, "key", "inputs") == [("security", 3), ("land_conflict", 1)]
    before = Filters(theme_code="security", until=date(2026, 3, 30))
    by_region = closure_by(session, before, "region", now=NOW)
    assert _rows(by_region, "key", "inputs", "overdue_open") == [(world.north.id, 2, 2)]


def test_closure_by_unknown_dimension(session: Session) -> None:
    with pytest.raises(ValidationError):
        closure_by(session, Filters(), "colour")


def test_weekly_flow(session: Session, world: World) -> None:
    frame = weekly_flow(session, Filters())
    assert list(frame.columns) == ["week", "received", "closed"]
    assert [(w.date(), r, c) for w, r, c in frame.itertuples(index=False)] == [
        (date(2026, 3, 2), 3, 0), (date(2026, 3, 9), 2, 3), (date(2026, 3, 16), 1, 1),
        (date(2026, 3, 23), 1, 0),
    ]
    # Closures count in the period whenever the input came; D closes on 22 March, outside it.
    period = weekly_flow(session, Filters(since=date(2026, 3, 10), until=date(2026, 3, 21)))
    assert [(w.date(), r, c) for w, r, c in period.itertuples(index=False)] == [(date(2026, 3, 9), 2, 3)]


def test_weekly_flow_fills_empty_weeks(session: Session, world: World) -> None:
    frame = weekly_flow(session, Filters(area_id=world.camp.id))
    # D, E received the week of 9 March; E closes that week, D the week of 16 March.
    assert [(w.date(), r, c) for w, r, c in frame.itertuples(index=False)] == [
        (date(2026, 3, 9), 2, 1), (date(2026, 3, 16), 0, 1)]
    make_input(session, world.officer, world.camp, received_at=datetime(2026, 4, 6, 23, 59, tzinfo=UTC))
    weeks = weekly_flow(session, Filters(area_id=world.camp.id))
    assert [w.date() for w in weeks["week"]] == [date(2026, 3, 9), date(2026, 3, 16), date(2026, 3, 23),
                                                date(2026, 3, 30), date(2026, 4, 6)]
    assert weeks["received"].tolist() == [2, 0, 0, 0, 1]


def test_weeks_and_months_are_utc(session: Session, world: World) -> None:
    late_sunday = datetime(2026, 3, 29, 22, 30, tzinfo=UTC)  # already Monday 30 March at UTC+14
    month_end = datetime(2026, 4, 30, 23, 0, tzinfo=UTC)  # already 1 May at UTC+14
    for at in (late_sunday, month_end):
        make_input(session, world.officer, world.camp, received_at=at)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL TIME ZONE 'Pacific/Kiritimati'"))  # until the rollback below
    scoped = Filters(area_id=world.camp.id, since=date(2026, 3, 23))
    weeks = weekly_flow(session, scoped)
    assert [(w.date(), r) for w, r in zip(weeks["week"], weeks["received"], strict=True) if r] == [
        (date(2026, 3, 23), 1), (date(2026, 4, 27), 1)]
    months = inclusion_over_time(session, scoped)
    assert [m.date() for m in months["month"]] == [date(2026, 3, 1), date(2026, 4, 1)]
    session.rollback()


def test_report_back_distribution(session: Session, world: World) -> None:
    frame = report_back_distribution(session, Filters())
    assert frame["label"].tolist() == ["<1 day", "1–3 days", "3–7 days", "7–14 days", "14–30 days",
                                       "30–60 days", "60–90 days", "90+ days"]
    # E took exactly 24 hours; B 10 days, D 11.7, A 12.
    assert frame["inputs"].tolist() == [0, 1, 0, 3, 0, 0, 0, 0]
    assert frame["low_days"].tolist()[:2] == [0, 1]
    assert frame["high_days"].tolist()[-1] is None
    custom = report_back_distribution(session, Filters(), bins=(1, 11))
    assert _rows(custom, "label", "inputs") == [("<1 day", 0), ("1–11 days", 2), ("11+ days", 2)]
    camp = report_back_distribution(session, Filters(area_id=world.camp.id), bins=(2,))
    assert camp["inputs"].tolist() == [1, 1]


@pytest.mark.parametrize("bins", [(), (3, 1), (0, 5), (1, 1)])
def test_report_back_distribution_refuses_bad_bins(session: Session, bins: tuple[int, ...]) -> None:
    with pytest.raises(ValidationError):
        report_back_distribution(session, Filters(), bins=bins)


def test_bucket_label() -> None:
    assert [bucket_label(0, 1), bucket_label(0, 3), bucket_label(3, 7), bucket_label(1, None)] == [
        "<1 day", "<3 days", "3–7 days", "1+ day"]


def test_inclusion_over_time(session: Session, world: World) -> None:
    make_input(session, world.officer, world.camp, received_at=NOW)  # 1 April, no participants
    frame = inclusion_over_time(session, Filters())
    assert [m.date() for m in frame["month"]] == [date(2026, 3, 1), date(2026, 4, 1)]
    march, april = frame.to_dict("records")
    assert {k: march[k] for k in ("inputs", "participants", "women", "youth", "rural_inputs",
                                  "displaced_inputs")} == {
        "inputs": 7, "participants": 25, "women": 13, "youth": 5, "rural_inputs": 4, "displaced_inputs": 1}
    assert (march["share_women"], march["share_youth"]) == pytest.approx((13 / 25, 5 / 25))
    assert (march["share_rural"], march["share_displaced"]) == pytest.approx((4 / 7, 1 / 7))
    assert april["inputs"] == 1 and april["share_rural"] == 1.0
    assert pd.isna(april["share_women"]) and pd.isna(april["share_youth"])
    north = inclusion_over_time(session, Filters(area_id=world.north.id))
    assert north["share_rural"].tolist() == pytest.approx([2 / 5])


def test_locality_map(session: Session, world: World) -> None:
    frame = locality_map(session, Filters())
    assert list(frame.columns) == ["id", "name", "region", "latitude", "longitude", "setting", "inputs",
                                   "closed", "closure_rate"]
    w = world
    assert _rows(frame, "id", "name", "region", "latitude", "longitude", "setting", "inputs", "closed") == [
        (w.town.id, "Mbeto", "North", 1.0, 2.0, "urban", 3, 2),
        (w.village.id, "Lisa", "North", 1.1, 2.1, "rural", 2, 0),
        (w.camp.id, "Site Nord", "South", 0.5, 2.5, "remote", 2, 2),
    ]
    assert frame["closure_rate"].tolist() == pytest.approx([2 / 3, 0.0, 1.0])
    # Places with no input in scope stay on the map (silence is a signal), with no rate.
    security = locality_map(session, Filters(theme_code="security"))
    assert _rows(security, "name", "inputs") == [("Lisa", 2), ("Mbeto", 0), ("Site Nord", 0)]
    assert pd.isna(security["closure_rate"].iloc[1])
    north = locality_map(session, Filters(area_id=w.north.id))
    assert north["name"].tolist() == ["Mbeto", "Lisa"]


def test_bottlenecks(session: Session, world: World) -> None:
    make_input(session, world.other_officer, world.camp, received_at=NOW - 48 * H)
    frame = bottlenecks(session, Filters(), NOW)
    assert _rows(frame, "section", "label", "open", "overdue", "oldest_received_at") == [
        ("civil_affairs", "Civil Affairs", 3, 2, T0 + 100 * H),  # C, F overdue; G not yet
        ("human_rights", "Human Rights", 1, 0, NOW - 48 * H),
    ]
    assert frame["oldest_days"].tolist() == pytest.approx([(720 - 100) / 24, 2.0])
    assert len(bottlenecks(session, Filters(), NOW, limit=1)) == 1
    assert bottlenecks(session, Filters(area_id=world.south.id), NOW)["section"].tolist() == ["human_rights"]


def test_oldest_open(session: Session, world: World) -> None:
    ids = _ids(session)
    frame = oldest_open(session, Filters(), NOW)
    assert not {"original_text", "translation", "summary", "source_group"} & set(frame.columns)
    assert _rows(frame, "id", "locality", "section", "type", "type_label", "loop_state", "overdue") == [
        (ids["C"], "Lisa", "civil_affairs", "alert", "Alert / threat (early warning)", "acknowledged", True),
        (ids["F"], "Lisa", "civil_affairs", "complaint", "Complaint", "received", True),
        (ids["G"], "Mbeto", "civil_affairs", "suggestion", "Suggestion", "in_action", False),
    ]
    assert frame["section_label"].tolist() == ["Civil Affairs"] * 3
    assert frame["days_open"].tolist() == pytest.approx([620 / 24, 10.0, 5.0])
    assert frame["received_at"].tolist()[0] == T0 + 100 * H
    assert oldest_open(session, Filters(), NOW, limit=1)["id"].tolist() == [ids["C"]]
    assert oldest_open(session, Filters(area_id=world.south.id), NOW).empty


def test_oldest_open_hides_restricted_inputs(session: Session, world: World) -> None:
    secret = make_input(session, world.other_officer, world.camp, hours=-24, theme_codes=["conduct"])
    assert secret.id not in oldest_open(session, Filters(), NOW)["id"].tolist()
    assert secret.id not in oldest_open(session, Filters(), NOW, viewer=world.leader)["id"].tolist()
    assert oldest_open(session, Filters(), NOW, viewer=world.admin)["id"].iloc[0] == secret.id
    assert oldest_open(session, Filters(), NOW, viewer=world.other_officer)["id"].iloc[0] == secret.id


def _trend(trends, name: str) -> tuple:  # type: ignore[no-untyped-def]
    k = trends[name]
    return k.current, k.previous, k.delta


def test_kpis_with_trend_for_all_time_has_no_previous_period(session: Session,
                                                            world: World) -> None:
    trends = kpis_with_trend(session, Filters(), NOW)
    assert trends.previous is None
    assert _trend(trends, "closure_rate") == (pytest.approx(4 / 7), None, None)
    assert _trend(trends, "overdue_open") == (2, None, None)


def test_kpis_with_trend_last_30_days(session: Session, world: World) -> None:
    trends = kpis_with_trend(session, Filters(since=date(2026, 3, 3), until=date(2026, 4, 1)), NOW)
    assert trends.current == Filters(since=date(2026, 3, 3), until=date(2026, 4, 1))
    assert trends.previous == Filters(since=date(2026, 2, 1), until=date(2026, 3, 2))
    assert [k.name for k in trends.kpis] == [
        "closure_rate", "median_days_to_report_back", "overdue_open", "commitments_kept_rate",
        "repeat_asks", "share_women", "share_rural"]
    # Current: B–G; previous: A alone (received 2 March).
    assert _trend(trends, "closure_rate") == pytest.approx((0.5, 1.0, -0.5))
    assert _trend(trends, "median_days_to_report_back") == pytest.approx((10.0, 12.0, -2.0))
    assert _trend(trends, "overdue_open") == (2, 0, 2)
    assert _trend(trends, "commitments_kept_rate") == (pytest.approx(1 / 3), None, None)
    assert _trend(trends, "repeat_asks") == (2, 0, 2)
    assert _trend(trends, "share_women") == pytest.approx((0.3, 2 / 3, 0.3 - 2 / 3))
    assert _trend(trends, "share_rural") == pytest.approx((4 / 6, 0.0, 4 / 6))
    assert not trends["overdue_open"].higher_is_better and trends["closure_rate"].higher_is_better


def test_kpis_with_trend_for_a_period(session: Session, world: World) -> None:
    trends = kpis_with_trend(session, Filters(since=date(2026, 3, 16), until=date(2026, 3, 31)), NOW)
    assert trends.previous == Filters(since=date(2026, 2, 28), until=date(2026, 3, 15))
    # Current: F, G. Previous: A–E, read as of 16 March 08:00 (C overdue; W due 15 March, late).
    assert _trend(trends, "closure_rate") == pytest.approx((0.0, 0.8, -0.8))
    assert _trend(trends, "median_days_to_report_back") == (None, pytest.approx((10 + 280 / 24) / 2), None)
    assert _trend(trends, "overdue_open") == (1, 1, 0)
    assert _trend(trends, "commitments_kept_rate") == pytest.approx((0.5, 0.0, 0.5))
    assert _trend(trends, "repeat_asks") == (1, 1, 0)
    assert _trend(trends, "share_women") == (None, pytest.approx(0.52), None)
    assert _trend(trends, "share_rural") == pytest.approx((0.5, 0.6, -0.1))
    north = kpis_with_trend(session, Filters(area_id=world.north.id, since=date(2026, 3, 16),
                                             until=date(2026, 3, 31)), NOW)
    assert _trend(north, "closure_rate") == pytest.approx((0.0, 2 / 3, -2 / 3))  # A, B of A, B, C


@pytest.mark.parametrize(
    ("filters", "current", "previous"),
    [
        (Filters(), ("2026-03-03", "2026-04-01"), ("2026-02-01", "2026-03-02")),
        (Filters(since=date(2026, 3, 20)), ("2026-03-20", "2026-04-01"), ("2026-03-07", "2026-03-19")),
        (Filters(until=date(2026, 3, 10)), ("2026-02-09", "2026-03-10"), ("2026-01-10", "2026-02-08")),
        (Filters(since=date(2026, 3, 1), until=date(2026, 3, 1)), ("2026-03-01", "2026-03-01"),
         ("2026-02-28", "2026-02-28")),
        (Filters(area_id=7, theme_code="security"), ("2026-03-03", "2026-04-01"),
         ("2026-02-01", "2026-03-02")),
    ],
    ids=["default", "since", "until", "one-day", "keeps-other-filters"],
)
def test_previous_period(filters: Filters, current: tuple[str, str], previous: tuple[str, str]) -> None:
    now, before = previous_period(filters, date(2026, 4, 1))
    assert (now.since, now.until) == tuple(map(date.fromisoformat, current))
    assert (before.since, before.until) == tuple(map(date.fromisoformat, previous))
    assert (before.area_id, before.theme_code) == (filters.area_id, filters.theme_code)


def test_previous_period_refuses_a_reversed_period(session: Session) -> None:
    with pytest.raises(ValidationError):
        previous_period(Filters(since=date(2026, 3, 10), until=date(2026, 3, 1)), date(2026, 4, 1))
    with pytest.raises(KeyError):
        kpis_with_trend(session, Filters(), NOW)["no_such_figure"]


def test_empty_database(session: Session) -> None:
    f = Filters()
    assert closure_by(session, f, "region", now=NOW).empty
    assert weekly_flow(session, f).empty
    assert report_back_distribution(session, f)["inputs"].sum() == 0
    assert inclusion_over_time(session, f).empty
    assert locality_map(session, f).empty
    assert bottlenecks(session, f, NOW).empty
    assert oldest_open(session, f, NOW).empty
    trends = kpis_with_trend(session, Filters(since=date(2026, 3, 1)), NOW)
    assert trends["closure_rate"].delta is None and trends["overdue_open"].delta == 0
