"""The rollups give the figures of the straightforward queries, and stay current.

Every figure read from the rollups is compared with ``tracker.metrics`` /
``tracker.breakdowns`` computed from the inputs, on the hand-worked fixture of
``tests/test_metrics.py`` and on demo data, for periods whose ends fall inside months
(day cells) and across whole months (month cells), per area and as of several times.
Counts must be equal; a percentile may differ by the width of its histogram bucket.
After each kind of write, ``rollup_drift`` (stored cells against a recomputation) is empty.
"""

from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, Float, func, literal, select, text
from sqlmodel import Session

import tests.test_metrics as metrics_fixture
from tests.utils.factories import T0, World, make_input
from tracker import breakdowns
from tracker.demo import generate_demo
from tracker.metrics import Filters, figures, scope
from tracker.models import Input, Locality, RollupCell
from tracker.overview import leadership_data
from tracker.rollups import hist
from tracker.rollups import read as R
from tracker.rollups.build import rebuild, rollup_drift
from tracker.services import edit_input, link_action, record_report_back, set_action_status
from tracker.sqltypes import hours_between

NOW = metrics_fixture.NOW
world = metrics_fixture.world
PERCENTILES = ("median_hours_to_acknowledge", "p90_hours_to_acknowledge",
               "median_days_to_first_action", "p90_days_to_first_action",
               "median_days_to_report_back", "p90_days_to_report_back")


DURATION = {"acknowledge": Input.acknowledged_at, "first_action": Input.first_action_at,
            "report_back": Input.first_report_back_at}


def _tolerance(session: Session, filters: Filters, name: str) -> float:
    """The widest bucket among those of the two values the percentile interpolates
    between (``tracker.rollups.hist``), in the figure's unit, plus float noise."""
    later = next(col for key, col in DURATION.items() if key in name)
    hours = hours_between(later, Input.received_at)  # type: ignore[arg-type]
    stmt = select(hours).select_from(Input).join(Locality).where(*scope(session, filters),
                                                                 later.is_not(None))  # type: ignore[union-attr]
    values = sorted(session.execute(stmt).scalars())
    pos = (0.5 if name.startswith("median") else 0.9) * (len(values) - 1)
    ends = [values[int(pos)], values[min(int(pos) + 1, len(values) - 1)]]
    _, width = hist.edges(np.array([hist.bucket_of(v) for v in ends]))
    return (float(width.max()) + hist.EPSILON_HOURS) / (1 if "hours" in name else 24)


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    """closure_by leaves ties in inputs unordered: compare by key."""
    if "key" not in frame:
        return frame
    return frame.sort_values("key", key=lambda s: s.astype(str)).reset_index(drop=True)


def assert_same(session: Session, filters: Filters, now: datetime) -> None:
    """Every rollup figure equals the straightforward one for ``filters`` as of ``now``."""
    got, want = R.figures(session, filters, now=now).as_dict(), figures(session, filters, now=now).as_dict()
    for name in want:
        if name in PERCENTILES and want[name] is not None:
            assert got[name] == pytest.approx(want[name], abs=_tolerance(session, filters, name)), name
        else:
            assert got[name] == want[name], name
    pairs: list[tuple[Any, Any]] = [
        (R.weekly_flow(session, filters), breakdowns.weekly_flow(session, filters)),
        (R.report_back_distribution(session, filters),
         breakdowns.report_back_distribution(session, filters)),
        (R.inclusion_over_time(session, filters), breakdowns.inclusion_over_time(session, filters)),
        (R.locality_map(session, filters), breakdowns.locality_map(session, filters)),
        (R.bottlenecks(session, filters, now), breakdowns.bottlenecks(session, filters, now)),
        *[(R.closure_by(session, filters, by, now=now), breakdowns.closure_by(session, filters, by, now=now))
          for by in ("region", "theme", "channel", "component")],
    ]
    for got_frame, want_frame in pairs:
        pd.testing.assert_frame_equal(_sorted(got_frame), _sorted(want_frame), check_dtype=False)


def _periods(w: World | None) -> list[Filters]:
    areas = [None] if w is None else [None, w.north.id, w.camp.id, w.mission.id]
    spans = [(None, None), (date(2026, 3, 12), date(2026, 3, 31)), (None, date(2026, 3, 10)),
             (date(2026, 3, 1), date(2026, 3, 31)), (date(2026, 2, 27), date(2026, 4, 2)),
             (date(2026, 3, 5), None), (date(2026, 3, 31), date(2026, 3, 31))]
    return [Filters(since=s, until=u, area_id=a) for a in areas for s, u in spans]


def test_rollups_equal_the_straightforward_figures(session: Session, world: World) -> None:
    assert rollup_drift(session) == []
    for filters in _periods(world):
        for now in (NOW, T0 + timedelta(hours=101), T0 + timedelta(days=20, minutes=30)):
            assert_same(session, filters, now)


def test_every_write_keeps_the_rollups_current(session: Session, world: World) -> None:
    w = world
    first = session.execute(text("SELECT min(id) FROM input WHERE locality_id = :p"),
                            {"p": w.town.id}).scalar_one()  # A: not restricted
    moved = edit_input(session=session, actor=w.officer, input_id=first, reason="wrong place",
                       changes={"locality_id": w.village.id, "received_at": T0 - timedelta(days=40)})
    assert rollup_drift(session) == []
    late = make_input(session, w.officer, w.camp, hours=-24 * 60, theme_codes=["rumours"])
    assert rollup_drift(session) == []
    record_report_back(session=session, actor=w.officer, data={
        "input_ids": [late.id, moved.id], "audience": "community", "method": "radio",
        "reported_at": T0 + timedelta(days=29), "messages": {"fr": "Merci."}})
    assert rollup_drift(session) == []
    action_id = session.execute(text("SELECT min(id) FROM action")).scalar_one()
    link_action(session=session, actor=w.officer, action_id=action_id, input_ids=[late.id],
                at=T0 + timedelta(days=29))
    set_action_status(session=session, actor=w.officer, action_id=action_id, status="in_progress",
                      at=T0 + timedelta(days=29, hours=1))
    assert rollup_drift(session) == []
    for filters in _periods(w)[:7]:
        assert_same(session, filters, NOW)


def test_drift_is_found(session: Session, world: World) -> None:
    """The check can fail: a cell changed behind the rollups' back is reported."""
    session.execute(RollupCell.__table__.update().where(RollupCell.__table__.c.dim == "all")
                    .values(inputs=RollupCell.__table__.c.inputs + 1))
    assert rollup_drift(session)
    rebuild(session)
    assert rollup_drift(session) == []


@pytest.mark.parametrize("hours", [0.0, 0.2, 0.25, 23.999, 24.0, 47.9, 48.0, 100.5, 335.99, 336.0,
                                   337.0, 2000.25])
def test_buckets_in_sql_and_python_agree(session: Session, hours: float) -> None:
    expr = hist.bucket_expr(literal(hours, Float()))
    assert session.execute(select(expr)).scalar_one() == hist.bucket_of(hours)
    low, width = hist.edges(np.array([hist.bucket_of(hours)]))
    assert low[0] <= hours < low[0] + width[0]


def test_histogram_percentiles_stay_within_a_bucket() -> None:
    rng = np.random.default_rng(3)
    values = np.concatenate([rng.exponential(30, 500), rng.uniform(0, 900, 200)])
    index = np.array([hist.bucket_of(v) for v in values])
    keys, counts = np.unique(index, return_counts=True)
    merged = hist.merge([hist.encode(keys[:50], counts[:50]), hist.encode(keys[50:], counts[50:])])
    assert (merged[0] == keys).all() and (merged[1] == counts).all()
    for q, got in zip((0.1, 0.5, 0.9), hist.percentiles(keys, counts, (0.1, 0.5, 0.9)), strict=True):
        want = float(np.percentile(values, q * 100))
        assert got == pytest.approx(want, abs=2.0)


def test_merging_histograms_sums_every_bucket() -> None:
    """Cells of any size, empty ones, buckets far past the first thousand and (never
    written, but kept exact) negative ones; from a list or read once from a cursor."""
    from collections import Counter

    rng = np.random.default_rng(5)
    for trial in range(300):
        cells, want = [], Counter()
        for _ in range(int(rng.integers(0, 7))):
            low = -3 if trial % 5 == 0 else 0
            keys = np.unique(rng.integers(low, 5000 if trial % 3 else 300, int(rng.integers(0, 12))))
            counts = rng.integers(1, 60, len(keys))
            cells.append(hist.encode(keys, counts))
            want.update(dict(zip(keys.tolist(), counts.tolist(), strict=True)))
        for blobs in (cells, iter(cells)):
            keys, counts = hist.merge(blobs)
            assert keys.tolist() == sorted(want), trial
            assert counts.tolist() == [want[k] for k in sorted(want)], trial


@pytest.fixture
def demo(engine: Engine) -> Engine:
    generate_demo(engine, inputs=3000, seed=5, as_of=datetime(2026, 5, 20, tzinfo=UTC))
    return engine


def test_demo_rollups(demo: Engine) -> None:
    now = datetime(2026, 5, 20, 7, tzinfo=UTC)
    with Session(demo) as session:
        assert rollup_drift(session) == []
        loc = Locality.__table__.c
        region, territory, place = (session.execute(select(func.min(loc.id)).where(loc.level == lvl))
                                    .scalar_one() for lvl in ("region", "territory", "locality"))
        spans = [(None, None), (date(2026, 4, 21), date(2026, 5, 20)), (date(2025, 11, 3), None),
                 (date(2026, 1, 1), date(2026, 2, 28))]
        for area in (None, region, territory, place):
            for since, until in spans:
                assert_same(session, Filters(since=since, until=until, area_id=area), now)
    data = leadership_data(demo, Filters(area_id=region), now)
    with Session(demo) as session:
        want = figures(session, Filters(area_id=region), now=now)
        by_theme = breakdowns.closure_by(session, Filters(area_id=region), "theme", now=now)
    assert data.trends["overdue_open"].current == want.overdue_open
    assert data.trends["repeat_asks"].current == want.repeat_asks
    pd.testing.assert_frame_equal(_sorted(data.closure_by["theme"]), _sorted(by_theme), check_dtype=False)
