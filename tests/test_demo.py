"""The demo generator: a realistic, deterministic mission on SQLite and (if set) PostgreSQL."""

import hashlib
import os
import runpy
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, Table, func, inspect, select
from sqlmodel import Session

import tracker.demo
from tracker import codes
from tracker.db import make_engine, scratch_schema
from tracker.demo import DemoSummary, generate_demo
from tracker.errors import HearbackError, ValidationError
from tracker.loop import facts_drift
from tracker.migrate import check, upgrade
from tracker.models import (
    Action,
    ActionInput,
    AuditEvent,
    Input,
    InputTheme,
    Locality,
    ReportBack,
    ReportBackInput,
    ReportBackMessage,
    ServiceLevel,
    User,
)
from tracker.seed import ACTION_KINDS, CHANNELS, INPUT_TYPES, THEMES
from tracker.settings import normalise_url

AS_OF = datetime(2026, 6, 30, 12, tzinfo=UTC)
N = 1500
SEED = 3
PG_URL = os.environ.get("TEST_DATABASE_URL")


def _fresh_sqlite(path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    return engine


@contextmanager
def _fresh(backend: str, folder: Path) -> Iterator[Engine]:
    """A migrated, empty database: a SQLite file, or a PostgreSQL schema dropped afterwards."""
    if backend == "sqlite":
        engine = _fresh_sqlite(folder / "demo.db")
        yield engine
        engine.dispose()
        return
    assert PG_URL
    with scratch_schema(normalise_url(PG_URL), "hb_demo") as engine:
        upgrade(engine)
        yield engine


BACKENDS = ["sqlite", pytest.param(
    "postgresql", marks=pytest.mark.skipif(not PG_URL, reason="TEST_DATABASE_URL is not set"))]


@pytest.fixture(scope="module", params=BACKENDS)
def demo(request: pytest.FixtureRequest,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, DemoSummary]]:
    """One demo data set per backend, shared by the read-only checks below."""
    with _fresh(request.param, tmp_path_factory.mktemp("demo")) as engine:
        yield engine, generate_demo(engine, inputs=N, seed=SEED, as_of=AS_OF)


def rows(engine: Engine, model: Any, *names: str) -> list[tuple[Any, ...]]:
    table: Table = model.__table__
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(*(table.c[n] for n in names)))]


def count(engine: Engine, model: Any) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(model.__table__))


def test_summary_matches_the_tables(demo: tuple[Engine, DemoSummary]) -> None:
    engine, summary = demo
    assert summary.inputs == count(engine, Input) == N
    assert summary.actions == count(engine, Action) > 0
    assert summary.report_backs == count(engine, ReportBack) > 0
    assert summary.localities == count(engine, Locality)
    assert summary.users == 20 and count(engine, User) == 21  # plus the system account
    assert summary.seed == SEED and summary.as_of == AS_OF and summary.elapsed > 0


@pytest.mark.parametrize(("model", "column", "expected"), [
    (Input, "channel_code", [c for c, _ in CHANNELS]),
    (Input, "type_code", [c for c, _ in INPUT_TYPES]),
    (InputTheme, "theme_code", [c for c, _, _ in THEMES]),
    (Input, "urgency", list(codes.Urgency)),
    (Input, "sensitivity", list(codes.Sensitivity)),
    (Input, "consent_public", list(codes.ConsentPublic)),
    (Action, "kind_code", [c for c, _ in ACTION_KINDS]),
    (Action, "status", list(codes.ActionStatus)),
    (Action, "not_possible_reason", [*codes.NotPossibleReason, None]),
    (ActionInput, "kind", list(codes.LinkKind)),
    (ReportBack, "audience", list(codes.Audience)),
    (ReportBack, "method", list(codes.ReportMethod)),
    (Locality, "level", list(codes.LocalityLevel)),
    (Locality, "setting", [*codes.Setting, None]),
])
def test_every_code_is_used_and_nothing_else(demo: tuple[Engine, DemoSummary], model: Any,
                                             column: str, expected: list[Any]) -> None:
    engine, _ = demo
    assert {r[0] for r in rows(engine, model, column)} == {str(e) if e else e for e in expected}


def test_place_tree(demo: tuple[Engine, DemoSummary]) -> None:
    engine, _ = demo
    nodes = {r[0]: r for r in rows(engine, Locality, "id", "level", "parent_id", "region_id",
                                   "place_type", "setting", "latitude", "longitude")}
    by_level = Counter(n[1] for n in nodes.values())
    assert by_level["mission"] == 1 and by_level["region"] >= 3 and by_level["locality"] >= 30
    for node_id, level, parent, region, place_type, setting, lat, lon in nodes.values():
        if level == "mission":
            assert parent is None and region is None
            continue
        assert nodes[parent][1] == list(codes.LocalityLevel)[codes.LEVEL_DEPTH[level] - 1]
        assert region == (node_id if level == "region" else nodes[parent][3])
        if level == "locality":
            assert place_type and setting and lat is not None and lon is not None
    territories = Counter(nodes[n[2]][0] for n in nodes.values() if n[1] == "territory")
    assert set(territories.values()) <= {2, 3}
    places = Counter(n[4] for n in nodes.values() if n[1] == "locality")
    assert places["poc_site"] >= 1 and places["idp_site"] >= 3 and places["village"] >= 10
    settings = Counter(n[5] for n in nodes.values() if n[1] == "locality")
    assert settings["rural"] > settings["urban"] > 0 and settings["remote"] > 0


def test_languages_and_texts(demo: tuple[Engine, DemoSummary]) -> None:
    engine, _ = demo
    found = rows(engine, Input, "language", "original_text", "translation", "summary")
    languages = Counter(r[0] for r in found)
    assert {"fr", "en", "ar", "sw", "ln", "sg"} <= set(languages)
    assert languages.most_common(1)[0][0] == "fr"
    assert all(r[1] for r in found)
    assert any(r[2] for r in found if r[0] != "en") and not any(r[2] for r in found if r[0] == "en")
    assert 0.1 < sum(r[3] is not None for r in found) / N < 0.5
    arabic = next(r[1] for r in found if r[0] == "ar")
    assert any("\u0600" <= ch <= "\u06ff" for ch in arabic)


def test_sensitive_themes_are_restricted_and_rare(demo: tuple[Engine, DemoSummary]) -> None:
    engine, _ = demo
    sensitivity = dict(rows(engine, Input, "id", "sensitivity"))
    consent = dict(rows(engine, Input, "id", "consent_public"))
    themes = defaultdict(set)
    for input_id, theme in rows(engine, InputTheme, "input_id", "theme_code"):
        themes[input_id].add(theme)
    restricted = {i for i, s in sensitivity.items() if s == "restricted"}
    assert restricted == {i for i, t in themes.items() if t & {"crsv", "conduct"}}
    assert 0 < len(restricted) < 0.05 * N
    assert all(consent[i] == "none" for i in restricted)
    assert {len(t) for t in themes.values()} == {1, 2}


def test_alerts_come_urgent_through_the_alert_network(demo: tuple[Engine, DemoSummary]) -> None:
    engine, _ = demo
    found = rows(engine, Input, "channel_code", "type_code", "urgency", "source_code",
                 "source_group", "women", "men")
    alerts = [r for r in found if r[1] == "alert"]
    assert Counter(r[0] for r in alerts).most_common(1)[0][0] == "alert_network"
    assert sum(r[2] in ("high", "critical") for r in alerts) > 0.8 * len(alerts)
    for channel, _, _, source_code, group, women, men in found:
        assert (source_code is not None) == (channel == "alert_network")
        if source_code:
            assert source_code.startswith("CAN-") and len(source_code) == 7
        assert group  # a group, never a person
        if channel in ("alert_network", "hotline_sms", "radio_call_in", "remote"):
            assert women is None and men is None
        if channel in ("town_hall", "protection_committee"):
            assert women is not None and men is not None


def test_respond_by_follows_the_service_levels(demo: tuple[Engine, DemoSummary]) -> None:
    engine, _ = demo
    hours = {(t, u): h for t, u, h in rows(engine, ServiceLevel, "type_code", "urgency", "hours")}
    for received, respond_by, type_code, urgency in rows(
            engine, Input, "received_at", "respond_by", "type_code", "urgency"):
        assert respond_by - received == timedelta(hours=hours[(type_code, urgency)])


@pytest.mark.parametrize(("model", "columns"), [
    (Input, ["received_at", "recorded_at", "acknowledged_at", "first_action_at",
             "last_action_closed_at", "first_report_back_at", "closed_at", "updated_at"]),
    (Action, ["created_at", "started_at", "closed_at", "updated_at"]),
    (ActionInput, ["linked_at"]),
    (ReportBack, ["reported_at", "created_at"]),
    (Locality, ["created_at"]),
])
def test_times_are_aware_and_within_the_period(demo: tuple[Engine, DemoSummary], model: Any,
                                               columns: list[str]) -> None:
    engine, _ = demo
    values = [v for r in rows(engine, model, *columns) for v in r if v is not None]
    assert values and all(v.tzinfo is not None for v in values)
    assert max(values) <= AS_OF
    assert min(values) >= AS_OF - timedelta(days=590)


def test_loop_facts_are_exact(demo: tuple[Engine, DemoSummary]) -> None:
    engine, _ = demo
    with Session(engine) as session:
        assert facts_drift(session) == []


def test_loop_states_are_realistic(demo: tuple[Engine, DemoSummary]) -> None:
    engine, _ = demo
    found = rows(engine, Input, "received_at", "acknowledged_at", "actions_total",
                 "actions_open", "first_report_back_at", "closed_at", "respond_by", "type_code")
    handled = sum(r[2] > 0 or r[4] is not None for r in found) / N
    assert 0.55 <= handled <= 0.70
    assert sum(r[1] is not None for r in found) > 0.8 * N
    assert all(r[1] >= r[0] for r in found if r[1])
    assert sum(r[5] is not None for r in found) > 0.4 * N  # closed loops
    assert any(r[3] > 0 for r in found) and any(r[4] and not r[5] for r in found)
    recent_overdue = [r for r in found if r[5] is None and r[6] < AS_OF
                      and r[0] > AS_OF - timedelta(days=30)]
    assert any(r[7] == "alert" for r in recent_overdue)


def test_many_to_many_links(demo: tuple[Engine, DemoSummary]) -> None:
    engine, _ = demo
    links = rows(engine, ActionInput, "action_id", "input_id")
    per_action, per_input = Counter(a for a, _ in links), Counter(i for _, i in links)
    kinds = dict(rows(engine, Action, "id", "kind_code"))
    assert max(n for a, n in per_action.items() if kinds[a] == "qip") >= 5
    assert max(per_input.values()) == 2
    received = dict(rows(engine, Input, "id", "received_at"))
    linked = rows(engine, ActionInput, "input_id", "linked_at")
    assert all(at >= received[i] for i, at in linked)


def test_public_commitments_kept_late_and_overdue(demo: tuple[Engine, DemoSummary]) -> None:
    engine, _ = demo
    found = rows(engine, Action, "status", "due_date", "closed_at", "started_at",
                 "not_possible_reason", "is_public_commitment")
    commitments = [r for r in found if r[5]]
    assert all(r[1] is not None for r in commitments)
    assert not any(r[1] for r in found if not r[5])
    kept = [r for r in commitments if r[0] == "done" and r[2].date() <= r[1]]
    late = [r for r in commitments if r[0] == "done" and r[2].date() > r[1]]
    overdue = [r for r in commitments if r[0] in ("planned", "in_progress") and r[1] < AS_OF.date()]
    assert kept and late and overdue
    for status, _, closed, started, reason, _ in found:
        assert (closed is not None) == (status in ("done", "not_possible"))
        assert (started is not None) == (status in ("in_progress", "done"))
        assert (reason is not None) == (status == "not_possible")


def test_report_backs(demo: tuple[Engine, DemoSummary]) -> None:
    engine, _ = demo
    versions = defaultdict(list)
    for rb, language in rows(engine, ReportBackMessage, "report_back_id", "language"):
        versions[rb].append(language)
    reported = dict(rows(engine, ReportBack, "id", "reported_at"))
    assert set(versions) == set(reported)
    assert {len(v) for v in versions.values()} == {1, 2, 3}
    assert all(len(set(v)) == len(v) for v in versions.values())
    received = dict(rows(engine, Input, "id", "received_at"))
    links = rows(engine, ReportBackInput, "report_back_id", "input_id")
    assert {rb for rb, _ in links} == set(reported)
    assert all(reported[rb] >= received[i] for rb, i in links)
    approved = rows(engine, ReportBack, "approved_public", "audience")
    assert any(a for a, _ in approved) and not any(a for a, aud in approved if aud == "person")


def test_silent_localities(demo: tuple[Engine, DemoSummary]) -> None:
    engine, _ = demo
    last: dict[int, datetime] = {}
    for locality, received in rows(engine, Input, "locality_id", "received_at"):
        last[locality] = max(received, last.get(locality, received))
    places = [i for i, level in rows(engine, Locality, "id", "level") if level == "locality"]
    silent = [p for p in places if last.get(p, AS_OF - timedelta(days=999))
              < AS_OF - timedelta(days=90)]
    assert 1 <= len(silent) <= 5


def test_audit_event_records_the_run(demo: tuple[Engine, DemoSummary]) -> None:
    engine, _ = demo
    events = [r for r in rows(engine, AuditEvent, "verb", "entity", "after")
              if r[0] == "demo_generated"]
    assert len(events) == 1 and events[0][1] == "database"
    assert events[0][2]["seed"] == SEED and events[0][2]["input"] == N


def test_later_inserts_do_not_collide(demo: tuple[Engine, DemoSummary]) -> None:
    engine, _ = demo
    highest = max(r[0] for r in rows(engine, Locality, "id"))
    with Session(engine) as session:
        place = Locality(name="Test place", level="region")
        session.add(place)
        session.flush()
        assert place.id == highest + 1
        session.rollback()


def test_refuses_a_database_that_holds_inputs(demo: tuple[Engine, DemoSummary]) -> None:
    engine, _ = demo
    with pytest.raises(HearbackError, match="already holds inputs"):
        generate_demo(engine, inputs=200, seed=SEED, as_of=AS_OF)
    assert count(engine, Input) == N


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"inputs": 0}, "inputs"),
    ({"as_of": datetime(2026, 1, 1)}, "as_of"),  # naive on purpose
])
def test_rejects_bad_arguments(tmp_path: Path, kwargs: dict[str, Any], field: str) -> None:
    engine = _fresh_sqlite(tmp_path / "bad.db")
    with pytest.raises(ValidationError) as err:
        generate_demo(engine, **kwargs)
    assert err.value.field == field
    assert count(engine, Input) == 0


def _fingerprint(engine: Engine) -> str:
    """A hash of every demo row (the system account and the audit trail aside)."""
    digest = hashlib.sha256()
    for model in (Locality, User, Input, InputTheme, Action, ActionInput, ReportBack,
                  ReportBackMessage, ReportBackInput):
        table = model.__table__
        stmt = select(table).order_by(*table.primary_key.columns)
        if model is User:
            stmt = stmt.where(table.c.username != "system")
        with engine.connect() as conn:
            for row in conn.execute(stmt):
                digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def test_same_seed_same_data(tmp_path: Path) -> None:
    prints = []
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        engine = _fresh_sqlite(tmp_path / f"{name}.db")
        generate_demo(engine, inputs=400, seed=seed, as_of=AS_OF)
        prints.append(_fingerprint(engine))
        engine.dispose()
    assert prints[0] == prints[1] != prints[2]


def test_default_as_of_is_the_current_hour(tmp_path: Path) -> None:
    engine = _fresh_sqlite(tmp_path / "now.db")
    summary = generate_demo(engine, inputs=150)
    now = datetime.now(UTC)
    assert summary.as_of.minute == summary.as_of.second == 0
    assert timedelta(0) <= now - summary.as_of < timedelta(hours=1, minutes=1)
    assert max(r[0] for r in rows(engine, Input, "updated_at")) <= summary.as_of


@pytest.mark.parametrize("backend", BACKENDS)
def test_big_loads_rebuild_the_indexes_they_drop(backend: str, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tracker.demo, "_REBUILD_ABOVE", 1)  # as for a million inputs
    with _fresh(backend, tmp_path) as engine:
        def indexes() -> dict[str, list[Any]]:
            found = inspect(engine)
            return {t: sorted(found.get_indexes(t), key=str) for t in found.get_table_names()}
        before = indexes()
        generate_demo(engine, inputs=300, seed=SEED, as_of=AS_OF)
        assert indexes() == before
        check(engine)  # the schema still matches the models and migrations
        with Session(engine) as session:
            assert facts_drift(session) == []


def test_places_and_accounts_already_there_are_kept(tmp_path: Path) -> None:
    engine = _fresh_sqlite(tmp_path / "kept.db")
    with Session(engine) as session:
        session.add(Locality(name="Head office", level="mission"))
        session.add(User(username="someone", role="officer"))
        session.commit()
    generate_demo(engine, inputs=200, seed=SEED, as_of=AS_OF)
    places = rows(engine, Locality, "id", "name")
    assert (1, "Head office") in places and len(places) == 50
    assert "someone" in {r[0] for r in rows(engine, User, "username")}
    with Session(engine) as session:
        assert facts_drift(session) == []


@pytest.mark.parametrize("inputs", [1, 7, 50])
def test_tiny_data_sets_still_hold_together(tmp_path: Path, inputs: int) -> None:
    engine = _fresh_sqlite(tmp_path / "tiny.db")
    assert generate_demo(engine, inputs=inputs, seed=SEED, as_of=AS_OF).inputs == inputs
    assert count(engine, Input) == inputs
    with Session(engine) as session:
        assert facts_drift(session) == []


def test_benchmark_script_runs(capsys: pytest.CaptureFixture[str]) -> None:
    script = runpy.run_path(str(Path(__file__).parents[1] / "benchmarks" / "bench_demo.py"))
    assert script["main"](["--inputs", "300"]) == 0
    out = capsys.readouterr().out
    assert "generate_demo(300 inputs" in out and "input " in out
