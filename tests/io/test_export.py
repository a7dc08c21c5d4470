"""Exports: only what the role may see, safe in a spreadsheet, dates in UTC; and the
exchange format imports back into an empty database with the same figures."""

import csv
import io
import shutil
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from tests.conftest import _truncate_pg
from tests.io.conftest import Places, count, mapping, run
from tracker.db import make_engine
from tracker.demo import generate_demo
from tracker.io.exporter import ALL_COLUMNS, export, export_bytes, rows
from tracker.loop import facts_drift
from tracker.metrics import Filters, figures
from tracker.models import (
    Action,
    ActionInput,
    Input,
    Locality,
    ReportBack,
    ReportBackInput,
    ReportBackMessage,
)
from tracker.services import create_action, ensure_system_user, record_input

AS_OF = datetime(2026, 6, 30, tzinfo=UTC)
NOW = datetime(2026, 7, 1, 12, tzinfo=UTC)


def _csv(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def _state(session: Session) -> dict[str, object]:
    """Everything the figures are made of, by uid, to compare two databases."""
    def uids(model: type) -> set[str]:
        return set(session.execute(select(model.uid)).scalars())  # type: ignore[attr-defined]

    links = session.execute(select(func.count()).select_from(ActionInput)).scalar_one()
    told = session.execute(select(func.count()).select_from(ReportBackInput)).scalar_one()
    inputs = {r.uid: (r.received_at, r.acknowledged_at, r.first_action_at, r.closed_at,
                      r.respond_by, r.sensitivity) for r in session.execute(select(Input.__table__))}
    actions = {r.uid: (r.status, r.created_at, r.started_at, r.closed_at, r.due_date,
                       r.is_public_commitment) for r in session.execute(select(Action.__table__))}
    return {"inputs": inputs, "actions": actions, "reports": uids(ReportBack), "links": links,
            "told": told, "messages": count(session, ReportBackMessage),
            "places": sorted(session.execute(select(Locality.name, Locality.level,
                                                    Locality.setting)).all())}


def _second_database(engine: Engine, tmp_path: Path, sqlite_template: Path) -> Engine:
    """An empty, migrated, seeded database on the same backend."""
    if engine.dialect.name == "sqlite":
        path = tmp_path / "second.db"
        shutil.copy(sqlite_template, path)
        return make_engine(f"sqlite:///{path}")
    _truncate_pg(engine)
    return engine


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_all_imports_back_with_the_same_figures(
        engine: Engine, tmp_path: Path, sqlite_template: Path, fmt: str) -> None:
    generate_demo(engine, inputs=300, seed=3, as_of=AS_OF)
    out = tmp_path / f"all.{fmt}"
    with Session(engine) as session:
        before = figures(session, now=NOW).as_dict()
        state = _state(session)
        summary = export(session, ensure_system_user(session), what="all", format=fmt, out=out)
    assert summary.rows > 300
    target = _second_database(engine, tmp_path, sqlite_template)
    batch = 37 if fmt == "csv" else 1000  # small batches: actions shared across batches
    with Session(target) as session:
        actor = ensure_system_user(session)
        dry = run(session, actor, out, mapping("hearback_export"), dry_run=True, batch_size=batch)
        assert (dry.imported, dry.rejected, count(session, Input)) == (summary.rows, 0, 0)
        result = run(session, actor, out, mapping("hearback_export"), batch_size=batch)
        assert result.rejected == 0, result.rejections[:3]
        assert result.imported == summary.rows
        assert figures(session, now=NOW).as_dict() == before
        assert _state(session) == state
        assert facts_drift(session) == []
        again = run(session, ensure_system_user(session), out, mapping("hearback_export"))
        assert (again.imported, again.duplicates) == (0, summary.rows)
    if target is not engine:
        target.dispose()


@pytest.mark.slow
def test_round_trip_at_scale(engine: Engine, tmp_path: Path, sqlite_template: Path) -> None:
    """20,000 demo inputs out and back in: the same figures (HEARBACK_SLOW=1 only)."""
    generate_demo(engine, inputs=20_000, seed=5, as_of=AS_OF)
    out = tmp_path / "all.csv"
    with Session(engine) as session:
        before = figures(session, now=NOW).as_dict()
        export(session, ensure_system_user(session), what="all", format="csv", out=out)
    target = _second_database(engine, tmp_path, sqlite_template)
    with Session(target) as session:
        result = run(session, ensure_system_user(session), out, mapping("hearback_export"))
        assert result.rejected == 0
        assert figures(session, now=NOW).as_dict() == before
    if target is not engine:
        target.dispose()


def test_the_shipped_example_export_imports(session: Session) -> None:
    from tests.io.samples import EXAMPLES

    result = run(session, ensure_system_user(session), EXAMPLES / "hearback_export.csv",
                 mapping("hearback_export"))
    assert result.rejected == 0 and count(session, Input) == 30


def _mixed(session: Session, places: Places) -> dict[str, str]:
    """One input per sensitivity (the restricted one recorded by the officer), each with
    an action; returns sensitivity -> uid."""
    made = {}
    for who, sensitivity, theme in ((places.admin, "public", "basic_services"),
                                    (places.admin, "internal", "health"),
                                    (places.admin, "confidential", "security"),
                                    (places.officer, "restricted", "crsv"),
                                    (places.admin, "admin-restricted", "conduct")):
        item = record_input(session=session, actor=who, data={
            "received_at": datetime(2026, 3, 2, 8, tzinfo=UTC), "channel_code": "town_hall",
            "locality_id": places.kasolima.id, "type_code": "request", "theme_codes": [theme],
            "sensitivity": sensitivity.replace("admin-", ""), "language": "fr",
            "original_text": f"texte {sensitivity}"})
        create_action(session=session, actor=who, input_ids=[item.id], data={
            "kind_code": "other", "title": f"action {sensitivity}",
            "created_at": datetime(2026, 3, 3, tzinfo=UTC)})
        made[sensitivity] = item.uid
    return made


@pytest.mark.parametrize(("who", "seen"), [
    ("admin", {"public", "internal", "confidential", "restricted", "admin-restricted"}),
    ("officer", {"public", "internal", "confidential", "restricted"}),
    ("viewer", {"public", "internal"}),
])
def test_an_export_holds_only_what_the_role_may_see(session: Session, places: Places, who: str,
                                                    seen: set[str]) -> None:
    made = _mixed(session, places)
    actor = getattr(places, who)
    inputs = _csv(export_bytes(session, actor, what="inputs"))
    assert {r["input_uid"] for r in inputs} == {made[s] for s in seen}
    actions = _csv(export_bytes(session, actor, what="actions"))
    assert {r["action_title"] for r in actions} == {f"action {s}" for s in seen}
    everything = _csv(export_bytes(session, actor, what="all"))
    texts = {r["original_text"] for r in everything if r["record"] == "input"}
    assert texts == {f"texte {s}" for s in seen}
    assert not any("restricted" in r["action_title"] for r in everything) or "restricted" in str(seen)


FORMULAS = ["=HYPERLINK(\"http://x.example\",\"clic\")", "+243 calls", "- pas de réponse",
            "@SUM(A1)", "\tindent", "'=already quoted", "''=twice", "'plain apostrophe"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_formulas_are_neutralised_and_come_back_exactly(session: Session, places: Places,
                                                        tmp_path: Path, fmt: str) -> None:
    for i, text in enumerate(FORMULAS):
        record_input(session=session, actor=places.admin, data={
            "received_at": datetime(2026, 3, 2, 8, i, tzinfo=UTC), "channel_code": "town_hall",
            "locality_id": places.kasolima.id, "type_code": "request",
            "theme_codes": ["basic_services"], "language": "fr", "original_text": "x",
            "translation": text})
    out = tmp_path / f"x.{fmt}"
    export(session, places.admin, what="all", format=fmt, out=out)
    if fmt == "csv":
        cells = [r["translation"] for r in _csv(out.read_bytes()) if r["record"] == "input"]
    else:
        sheet = load_workbook(out).active
        col = ALL_COLUMNS.index("translation")
        values = [row[col] for row in sheet.iter_rows(min_row=2) if row[0].value == "input"]
        assert all(c.data_type == "s" for c in values)  # text, never a formula
        cells = [c.value for c in values]
    assert cells[:5] == ["'" + t for t in FORMULAS[:5]]
    assert cells[5:] == ["''=already quoted", "'''=twice", "'plain apostrophe"]
    _truncate_everything(session)
    run(session, places.admin, out, mapping("hearback_export"))
    back = session.execute(select(Input.translation).order_by(Input.received_at)).scalars().all()
    assert back == FORMULAS


def _truncate_everything(session: Session) -> None:
    for model in (ReportBackInput, ReportBackMessage, ReportBack, ActionInput, Action):
        session.execute(model.__table__.delete())  # type: ignore[attr-defined]
    from tracker.models import ImportKey, InputTheme

    # The audit trail stays: the database refuses to delete it, and it names no live row.
    for model in (ImportKey, InputTheme, Input):
        session.execute(model.__table__.delete())  # type: ignore[attr-defined]
    session.commit()


def test_dates_are_iso_8601_utc(session: Session, places: Places) -> None:
    east = timezone(timedelta(hours=3))
    record_input(session=session, actor=places.admin, data={
        "received_at": datetime(2026, 3, 2, 11, 30, tzinfo=east), "channel_code": "town_hall",
        "locality_id": places.kasolima.id, "type_code": "request",
        "theme_codes": ["basic_services"], "language": "fr", "original_text": "x"})
    row = _csv(export_bytes(session, places.admin, what="inputs"))[0]
    assert row["received_at"] == "2026-03-02T08:30:00Z"
    assert row["respond_by"] == "2026-03-30T08:30:00Z"
    assert row["locality"].endswith("Kiravo > Mbuvi > Kasolima")
    assert row["themes"] == "basic_services" and row["loop_state"] == "received"


def test_filters_narrow_the_export(session: Session, places: Places) -> None:
    for day, place in ((2, places.kasolima), (10, places.sakare), (20, places.kasolima)):
        record_input(session=session, actor=places.admin, data={
            "received_at": datetime(2026, 3, day, tzinfo=UTC), "channel_code": "town_hall",
            "locality_id": place.id, "type_code": "request", "theme_codes": ["health"],
            "language": "fr", "original_text": f"jour {day}"})
    from datetime import date

    def texts(filters: Filters) -> list[str]:
        _columns, data = rows(session, places.admin, "inputs", filters)
        return [r["original_text"] for r in data]

    assert texts(Filters(since=date(2026, 3, 5))) == ["jour 10", "jour 20"]
    assert texts(Filters(until=date(2026, 3, 10))) == ["jour 2", "jour 10"]
    assert texts(Filters(area_id=places.mbuvi.id)) == ["jour 2", "jour 20"]
    assert texts(Filters(theme_code="security")) == []
    everything = list(rows(session, places.admin, "all", Filters(area_id=places.mbuvi.id))[1])
    assert sum(r["record"] == "locality" for r in everything) == 8  # places are not filtered


def test_report_backs_export(session: Session, places: Places) -> None:
    from tracker.services import record_report_back

    item = record_input(session=session, actor=places.admin, data={
        "received_at": datetime(2026, 3, 2, tzinfo=UTC), "channel_code": "town_hall",
        "locality_id": places.kasolima.id, "type_code": "request", "theme_codes": ["health"],
        "language": "fr", "original_text": "x"})
    record_report_back(session=session, actor=places.admin, data={
        "input_ids": [item.id], "audience": "community", "method": "radio",
        "reported_at": datetime(2026, 3, 5, tzinfo=UTC),
        "messages": {"fr": "Bonjour", "sw": "Habari"}})
    (row,) = _csv(export_bytes(session, places.admin, what="report-backs", format="csv"))
    assert row["input_uids"] == item.uid and row["report_back_method"] == "radio"
    assert row["report_back_messages"] == '{"fr": "Bonjour", "sw": "Habari"}'
    assert _csv(export_bytes(session, places.viewer, what="report-backs")) == [row]
    data = export_bytes(session, places.admin, what="report-backs", format="xlsx")
    assert load_workbook(io.BytesIO(data)).sheetnames == ["report-backs"]


@pytest.mark.parametrize("importer", ["admin", "officer"])
def test_a_merge_keeps_who_recorded_each_input(session: Session, importer: str) -> None:
    """Who recorded an input decides who reads it when restricted: an admin's merge keeps
    the accounts that exist here; an officer's import cannot say someone else recorded."""
    import csv

    from tests.io.samples import EXAMPLES, csv_bytes
    from tracker.services import create_user

    system = ensure_system_user(session)
    ca1 = create_user(session=session, actor=system, data={"username": "officer.ca1",
                                                           "role": "officer"})
    actor = system if importer == "admin" else create_user(
        session=session, actor=system, data={"username": "amina", "role": "officer"})
    path = EXAMPLES / "hearback_export.csv"
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    record, uid, name = (rows[0].index(c) for c in ("record", "input_uid", "recorded_by"))
    by = {r[uid]: r[name] for r in rows[1:] if r[record] == "input"}
    assert "officer.ca1" in by.values() and len(set(by.values())) > 1
    places = [rows[0], *(r for r in rows[1:] if r[record] == "locality")]
    assert run(session, system, csv_bytes(places), mapping("hearback_export")).rejected == 0
    result = run(session, actor, path, mapping("hearback_export"))
    assert result.rejected == 0, result.rejections[:2]
    got = dict(session.execute(select(Input.uid, Input.recorded_by_id)).all())
    expected = {u: ca1.id if n == "officer.ca1" else system.id for u, n in by.items()}
    assert got == (expected if importer == "admin" else dict.fromkeys(by, actor.id))


def test_a_record_named_by_rows_either_side_of_a_new_place(
        engine: Engine, tmp_path: Path, sqlite_template: Path) -> None:
    """A place the import creates has a stand-in id until its batch is written: one
    report-back, named by a row of that batch and by a row of the next, is still one
    report-back (the rows are compared on what they give, not on the ids they resolve to)."""
    from tests.utils.factories import T0, build_world, make_input
    from tracker.services import record_report_back

    with Session(engine) as session:
        w = build_world(session)
        first, second = make_input(session, w.officer, w.town), make_input(session, w.officer, w.town)
        record_report_back(session=session, actor=w.officer, data={
            "input_ids": [first.id, second.id], "audience": "community", "method": "radio",
            "reported_at": T0 + timedelta(days=1), "locality_id": w.town.id,
            "messages": {"fr": "Le forage est réparé."}})
        data = export_bytes(session, ensure_system_user(session), what="all", format="csv")
    places = sum(r["record"] == "locality" for r in _csv(data))
    target = _second_database(engine, tmp_path, sqlite_template)
    with Session(target) as session:
        result = run(session, ensure_system_user(session), data, mapping("hearback_export"),
                     batch_size=places + 1)  # the places and the first input, then the second
        assert result.rejected == 0, result.rejections
        assert (count(session, ReportBack), count(session, ReportBackInput)) == (1, 2)
    if target is not engine:
        target.dispose()
