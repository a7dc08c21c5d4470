"""The public display from the rollups equals the public display counted from the inputs.

On the fixture of ``tests/test_public_content.py`` and on demo data, for every area
level and several periods, ``public_content`` (rollups) and ``public_content(exact=True)``
(the inputs) give the same screen, but for the median wait, which may differ by one
histogram bucket; also after a theme becomes sensitive, and after an action is unlinked.
"""

from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session

import tests.test_public_content as public_fixture
from tests.utils.factories import World
from tracker.demo import generate_demo
from tracker.metrics import Filters, scope
from tracker.models import ActionInput, Locality
from tracker.public.content import public_content
from tracker.public.sources import sensitive_codes, tree_from_inputs
from tracker.public.tree import load_tree
from tracker.rollups.build import rollup_drift
from tracker.rollups.public import tree_from_rollups
from tracker.services import save_term, unlink_action

NOW = public_fixture.NOW
world = public_fixture.world
PERIODS = [(None, None), (date(2026, 3, 5), date(2026, 3, 20)), (date(2026, 3, 1), None),
           (None, date(2026, 3, 31)), (date(2025, 12, 20), date(2026, 5, 10))]


def assert_same(session: Session, area_id: int | None, since: date | None, until: date | None,
                now: datetime) -> None:
    kw = {"area_id": area_id, "since": since, "until": until, "lang": "fr", "now": now}
    got, want = asdict(public_content(session, **kw)), asdict(public_content(session, exact=True, **kw))
    median, exact = got.pop("median_days_to_report_back"), want.pop("median_days_to_report_back")
    assert got == want
    assert (median is None) == (exact is None)
    if exact is not None:
        assert median == pytest.approx(exact, abs=2 / 24 + 1e-6)  # the widest bucket: 2 hours


def assert_same_tree(session: Session, since: date | None, until: date | None) -> None:
    """Every place's raw counts for the period, before suppression, alike both ways."""
    tree, sensitive = load_tree(session), sensitive_codes(session)
    period = Filters(since=since, until=until)
    got = tree_from_rollups(session, period, tree, sensitive)
    want = tree_from_inputs(session, scope(session, period), tree, sensitive)
    assert got.keys() == want.keys()
    for node, tally in got.items():
        other = want[node]
        assert ((tally.total, tally.answered, tally.with_report_back, tally.themes, tally.sensitive)
                == (other.total, other.answered, other.with_report_back, other.themes,
                    other.sensitive)), node
        listed = sorted(tally.themes)[:1]
        assert tally.outside(listed) == other.outside(listed), node


def _areas(session: Session) -> list[int | None]:
    loc = Locality.__table__.c
    return [None, *(session.execute(select(func.min(loc.id)).where(loc.level == level)).scalar_one()
                    for level in ("mission", "region", "locality"))]


def test_fixture(session: Session, world: World) -> None:
    assert rollup_drift(session) == []
    for area in [*_areas(session), world.town.id, world.north.id]:
        for since, until in PERIODS:
            assert_same(session, area, since, until, NOW)
    for since, until in PERIODS:
        assert_same_tree(session, since, until)


def test_a_theme_made_sensitive_and_an_unlinked_action(session: Session, world: World) -> None:
    save_term(session=session, actor=world.admin, kind="theme", code="security",
              label="Physical security", restricted=True)
    assert rollup_drift(session) == []
    link = session.execute(select(ActionInput.action_id, ActionInput.input_id)).first()
    assert link is not None
    unlink_action(session=session, actor=world.admin, action_id=link[0], input_id=link[1],
                  reason="linked by mistake")
    assert rollup_drift(session) == []
    for area in (None, world.town.id, world.north.id):
        assert_same(session, area, None, None, NOW)


def test_demo(engine: Engine) -> None:
    as_of = datetime(2026, 5, 20, tzinfo=UTC)
    generate_demo(engine, inputs=3000, seed=7, as_of=as_of)
    with Session(engine) as session:
        for area in _areas(session):
            for since, until in PERIODS:
                assert_same(session, area, since, until, as_of + timedelta(hours=3))
        for since, until in PERIODS:
            assert_same_tree(session, since, until)
