"""The one-pass breakdowns equal the straightforward queries, frame for frame."""

from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session

import tests.test_metrics as metrics_fixture
from tests.utils.factories import T0, World
from tracker import breakdowns
from tracker.breakdowns_pass import CLOSURES, leadership_breakdowns
from tracker.demo import generate_demo
from tracker.metrics import Filters
from tracker.models import Locality

NOW = metrics_fixture.NOW
world = metrics_fixture.world


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    """Equal inputs leave a closure table's order open: compare by key."""
    if "key" not in frame:
        return frame
    return frame.sort_values("key", key=lambda s: s.astype(str)).reset_index(drop=True)


def assert_same(session: Session, filters: Filters, now: datetime) -> None:
    got = leadership_breakdowns(session, filters, now)
    want = {
        "weekly_flow": breakdowns.weekly_flow(session, filters),
        "report_back_distribution": breakdowns.report_back_distribution(session, filters),
        "inclusion": breakdowns.inclusion_over_time(session, filters),
        "locality_map": breakdowns.locality_map(session, filters),
        "bottlenecks": breakdowns.bottlenecks(session, filters, now),
        **{f"by_{d}": breakdowns.closure_by(session, filters, d, now=now) for d in CLOSURES},
    }
    assert set(got) == set(want)
    for name, frame in want.items():
        pd.testing.assert_frame_equal(_sorted(got[name]), _sorted(frame), check_dtype=False,
                                      obj=f"{name} for {filters}")


def _filters(w: World) -> list[Filters]:
    narrow = [{}, {"theme_code": "security"}, {"channel_code": "hotline_sms"},
              {"component_code": "military"}, {"area_id": w.north.id, "theme_code": "conduct"}]
    spans = [(None, None), (date(2026, 3, 12), date(2026, 3, 31)), (None, date(2026, 3, 10)),
             (date(2026, 3, 5), None)]
    return [Filters(since=s, until=u, **n) for n in narrow for s, u in spans]  # type: ignore[arg-type]


def test_one_pass_equals_the_straightforward_breakdowns(session: Session, world: World) -> None:
    for filters in _filters(world):
        for now in (NOW, T0 + timedelta(hours=101)):
            assert_same(session, filters, now)


def test_nothing_in_scope(session: Session, world: World) -> None:
    got = leadership_breakdowns(session, Filters(theme_code="no_such_theme"), NOW)
    assert got["weekly_flow"].empty and got["by_region"].empty and got["bottlenecks"].empty
    assert got["report_back_distribution"]["inputs"].sum() == 0
    assert (got["locality_map"]["inputs"] == 0).all() and len(got["locality_map"]) > 0


@pytest.fixture
def demo(engine: Engine) -> Engine:
    generate_demo(engine, inputs=2000, seed=8, as_of=datetime(2026, 5, 20, tzinfo=UTC))
    return engine


def test_one_pass_on_the_demo_mission(demo: Engine) -> None:
    now = datetime(2026, 5, 20, 7, tzinfo=UTC)
    with Session(demo) as session:
        region = session.execute(select(func.min(Locality.id)).where(
            Locality.level == "region")).scalar_one()
        for filters in (Filters(theme_code="security"),
                        Filters(since=date(2026, 2, 20), until=date(2026, 5, 20),
                                component_code="civilian"),
                        Filters(area_id=region, channel_code="town_hall",
                                since=date(2025, 11, 3))):
            assert_same(session, filters, now)


@pytest.mark.parametrize(("narrow", "one_pass"), [({"theme_code": "security"}, True),
                                                  ({"component_code": "civilian"}, False)])
def test_the_dashboard_reads_a_filter_the_rollups_do_not_cover(
        demo: Engine, narrow: dict[str, str], one_pass: bool) -> None:
    """``leadership_data`` for a filter the rollups do not cover: every frame as the
    straightforward queries give it, in one pass (a theme: a minority of the inputs) or
    a query each (the civilian component: most of them)."""
    from tracker.overview import ONE_PASS_SHARE, leadership_data
    from tracker.rollups.read import narrowed_share

    now = datetime(2026, 5, 20, 7, tzinfo=UTC)
    filters = Filters(since=date(2026, 2, 20), until=date(2026, 5, 20), **narrow)  # type: ignore[arg-type]
    with Session(demo) as session:
        assert (narrowed_share(session, filters) <= ONE_PASS_SHARE) is one_pass
    data = leadership_data(demo, filters, now)
    with Session(demo) as session:
        want = leadership_breakdowns(session, filters, now)
        by_theme = breakdowns.closure_by(session, filters, "theme", now=now)
    got = {"weekly_flow": data.weekly_flow, "inclusion": data.inclusion,
           "report_back_distribution": data.report_back_distribution,
           "locality_map": data.locality_map, "bottlenecks": data.bottlenecks,
           **{f"by_{d}": data.closure_by[d] for d in CLOSURES}}
    for name, frame in want.items():
        pd.testing.assert_frame_equal(got[name], frame, obj=name)
    pd.testing.assert_frame_equal(_sorted(data.closure_by["theme"]), _sorted(by_theme))
