"""Importing the shipped examples: what goes in, what is skipped the second time, and the
trail it leaves (audit events, loop facts, the ledger of external ids)."""

from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from tests.io.conftest import Places, count, mapping, run
from tests.io.samples import (
    EXAMPLES,
    csv_bytes,
    kobo_rows,
    kobo_split,
    kobo_xlsx,
    read_rows,
)
from tracker.errors import PermissionDenied
from tracker.io.importer import import_file, preview_import, rejects_csv, write_rejects
from tracker.io.mapping import MappingError
from tracker.io.readers import FileProblem
from tracker.io.writer import BatchWriter
from tracker.loop import facts_drift
from tracker.models import (
    Action,
    ActionInput,
    AuditEvent,
    ImportKey,
    ImportRun,
    Input,
    InputTheme,
    Locality,
    ReportBack,
)

LOG = EXAMPLES / "spreadsheet_log.csv"


def _texts(session: Session) -> dict[str, list[str]]:
    rows = session.execute(select(Input.original_text, InputTheme.theme_code)
                           .join(InputTheme, InputTheme.input_id == Input.id)).all()
    out: dict[str, list[str]] = {}
    for text, theme in rows:
        out.setdefault(text, []).append(theme)
    return {k: sorted(v) for k, v in out.items()}


def test_spreadsheet_log_goes_in_once(session: Session, places: Places) -> None:
    result = run(session, places.admin, LOG, mapping("spreadsheet_log"), name=LOG.name)
    assert (result.rows_read, result.imported, result.duplicates, result.rejected) == (8, 8, 0, 0)
    assert result.places_created == 1  # Kabala, under Kiravo > Mbuvi
    assert (count(session, Input), count(session, Action), count(session, ReportBack)) == (8, 6, 5)
    kabala = session.exec(select(Locality).where(Locality.name == "Kabala")).one()
    assert kabala.parent_id == places.mbuvi.id and kabala.level == "locality"
    item = session.exec(select(Input).where(Input.original_text.startswith("La route"))).one()  # type: ignore[attr-defined]
    assert item.locality_id == places.sakare.id  # the town, not the territory
    assert item.received_at == datetime(2026, 2, 8, 23, 0, tzinfo=UTC)  # Kinshasa midnight
    assert facts_drift(session) == []
    closed = session.exec(select(Input).where(Input.closed_at.is_not(None))).all()  # type: ignore[union-attr]
    assert len(closed) == 4  # told after every action closed (a not-possible one too)
    verbs = {v for (v,) in session.execute(select(AuditEvent.verb))}
    assert {"record", "create", "link", "report_back", "acknowledge", "import"} <= verbs
    assert count(session, ImportKey) == 8
    run_row = session.exec(select(ImportRun)).one()
    assert run_row.finished_at is not None and run_row.imported == 8

    again = run(session, places.admin, LOG, mapping("spreadsheet_log"), name=LOG.name)
    assert (again.rows_read, again.imported, again.duplicates, again.rejected) == (8, 0, 8, 0)
    assert (count(session, Input), count(session, Action), count(session, ReportBack)) == (8, 6, 5)
    assert count(session, ActionInput) == 6


def test_a_log_updated_since_moves_its_actions_forward_never_back(session: Session,
                                                                  places: Places) -> None:
    """A field office keeps one log and imports it every week: a status changed in the
    log since ("In progress" now "Done") reaches the action; an older copy of the log
    never undoes what was done since."""
    from tracker.rollups.build import rollup_drift

    rows = read_rows(LOG)
    head = rows[0]
    status, closed = head.index("Status"), head.index("Date closed")
    run(session, places.admin, csv_bytes(rows), mapping("spreadsheet_log"), name=LOG.name)
    patrol = session.exec(select(Action).where(Action.title == "Night patrol")).one()
    assert (patrol.status, patrol.closed_at) == ("in_progress", None)
    rows[2][status], rows[2][closed] = "Done", "16/02/2026"
    later = run(session, places.admin, csv_bytes(rows), mapping("spreadsheet_log"), name=LOG.name)
    assert (later.imported, later.duplicates, later.rejected) == (1, 7, 0)
    session.refresh(patrol)
    assert patrol.status == "done" and patrol.closed_at is not None
    assert patrol.closed_at.date().isoformat() == "2026-02-15"  # Kinshasa midnight, in UTC
    (event,) = session.exec(select(AuditEvent).where(
        AuditEvent.verb == "status", AuditEvent.entity_id == patrol.id)).all()
    assert event.before["status"] == "in_progress" and event.after["status"] == "done"
    assert "line 3" in event.reason
    item = session.exec(select(Input).where(Input.original_text.startswith("Des hommes"))).one()
    assert (item.actions_open, item.last_action_closed_at) == (0, patrol.closed_at)
    assert facts_drift(session) == [] and rollup_drift(session) == []
    rows[2][status], rows[2][closed] = "In progress", ""  # last month's copy of the log
    old = run(session, places.admin, csv_bytes(rows), mapping("spreadsheet_log"), name=LOG.name)
    assert (old.imported, old.duplicates) == (0, 8)
    session.refresh(patrol)
    assert patrol.status == "done"


def test_dry_run_counts_the_same_and_writes_nothing(session: Session, places: Places) -> None:
    before = count(session, AuditEvent)
    dry = run(session, places.admin, LOG, mapping("spreadsheet_log"), dry_run=True)
    assert (dry.imported, dry.duplicates, dry.rejected, dry.places_created) == (8, 0, 0, 1)
    assert count(session, Input) == 0 and count(session, AuditEvent) == before
    assert count(session, ImportRun) == 0
    assert session.exec(select(Locality).where(Locality.name == "Kabala")).first() is None


def test_overlapping_later_export_adds_only_the_new_rows(session: Session, places: Places) -> None:
    rows = read_rows(LOG)
    first = run(session, places.admin, csv_bytes(rows[:5]), mapping("spreadsheet_log"))
    assert first.imported == 4
    later = run(session, places.admin, csv_bytes([rows[0], *rows[3:]]), mapping("spreadsheet_log"))
    assert (later.imported, later.duplicates) == (4, 2)
    assert count(session, Input) == 8


def test_no_id_column_uses_a_content_hash(session: Session, places: Places) -> None:
    m = mapping("spreadsheet_log").with_source(id_column=None)
    assert run(session, places.admin, LOG, m).imported == 8
    again = run(session, places.admin, LOG, m)
    assert (again.imported, again.duplicates) == (0, 8)


@pytest.mark.parametrize("variant", ["kobo-csv", "kobo-xlsx-split", "odk-csv-dashes"])
def test_kobo_and_odk_exports(session: Session, places: Places, variant: str) -> None:
    m = mapping("kobo_feedback")
    if variant == "kobo-csv":
        data, name = (EXAMPLES / "kobo_feedback.csv").read_bytes(), "kobo.csv"
    elif variant == "kobo-xlsx-split":
        data, name = kobo_xlsx(), "kobo.xlsx"
    else:
        rows = kobo_split(kobo_rows(), separator="-")
        rows[0] = ["KEY" if h == "_uuid" else h for h in rows[0]]
        data, name, m = csv_bytes(rows), "odk.csv", m.with_source(id_column="KEY", format="odk")
    result = run(session, places.admin, data, m, name=name)
    assert (result.imported, result.rejected) == (6, 0), result.rejections
    texts = _texts(session)
    assert texts["La route de l'école est impraticable; les enfants ne vont plus à l'école."] \
        == ["basic_services"]
    assert texts["Conflit entre éleveurs et agriculteurs autour des champs; des menaces ont "
                 "été proférées."] == ["land_conflict", "security"]
    women = session.exec(select(Input.women).where(Input.source_group == "Femmes du quartier Mission")).one()
    assert women == 23
    assert count(session, Action) == 3
    assert session.exec(select(Locality).where(Locality.name == "Nyamisoro")).one()
    assert run(session, places.admin, data, m, name=name).duplicates == 6


def test_the_same_form_as_csv_then_xlsx_is_one_set_of_inputs(session: Session, places: Places) -> None:
    m = mapping("kobo_feedback")
    run(session, places.admin, EXAMPLES / "kobo_feedback.csv", m)
    again = run(session, places.admin, EXAMPLES / "kobo_feedback.xlsx", m)
    assert (again.imported, again.duplicates) == (0, 6)


def test_strict_rejects_unknown_places(session: Session, places: Places) -> None:
    result = run(session, places.admin, LOG, mapping("spreadsheet_log"), strict=True)
    assert (result.imported, result.rejected) == (7, 1)
    assert result.rejections[0].column == "Place"
    assert "unknown place 'Kabala'" in result.rejections[0].reason
    assert session.exec(select(Locality).where(Locality.name == "Kabala")).first() is None


def test_rejects_file_can_be_fixed_and_imported(session: Session, places: Places, tmp_path) -> None:  # type: ignore[no-untyped-def]
    rows = read_rows(LOG)
    rows[2][1] = "31/02/2026"
    result = run(session, places.admin, csv_bytes(rows), mapping("spreadsheet_log"))
    assert (result.imported, result.rejected) == (7, 1)
    path = tmp_path / "rejects.csv"
    assert write_rejects(result, path) == 1
    written = read_rows(path)
    assert written[0][:3] == ["rejected_line", "rejected_column", "rejected_reason"]
    assert written[1][:2] == ["3", "Date"] and "'31/02/2026' is not a date" in written[1][2]
    assert written[0][3:] == rows[0] and written[1][3:] == rows[2]
    assert rejects_csv(result).startswith(b"\xef\xbb\xbfrejected_line")
    written[1][4] = "04/02/2026"
    path.write_bytes(csv_bytes(written, bom=True))
    fixed = run(session, places.admin, path, mapping("spreadsheet_log"))
    assert (fixed.imported, fixed.rejected) == (1, 0)


def test_a_rejects_file_opens_inert_and_imports_back_exactly(session: Session, places: Places,
                                                             tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Rejects are opened in a spreadsheet to be fixed: no cell may run as a formula there,
    and the apostrophes that stop them are taken off again when the file comes back."""
    rows = read_rows(LOG)
    text = rows[0].index("Issue raised")
    rows[2][1] = '=HYPERLINK("http://x.example/","31/02/2026")'
    rows[2][text] = "-- la route est coupée, +3 ponts"
    result = run(session, places.admin, csv_bytes(rows), mapping("spreadsheet_log"))
    assert (result.imported, result.rejected) == (7, 1)
    path = tmp_path / "rejects.csv"
    write_rejects(result, path)
    written = read_rows(path)
    assert not [c for row in written for c in row if c.startswith(("=", "+", "-", "@"))]
    assert written[1][3 + text] == "'-- la route est coupée, +3 ponts"
    written[1][4] = "04/02/2026"
    path.write_bytes(csv_bytes(written, bom=True))
    assert run(session, places.admin, path, mapping("spreadsheet_log")).imported == 1
    stored = session.exec(select(Input.original_text).where(
        Input.original_text.startswith("-- la route"))).all()  # type: ignore[attr-defined]
    assert stored == ["-- la route est coupée, +3 ponts"]


def test_an_officer_cannot_create_places(session: Session, places: Places) -> None:
    result = run(session, places.officer, LOG, mapping("spreadsheet_log"))
    assert result.rejected == 1 and "only an admin may add places" in result.rejections[0].reason
    inputs = session.exec(select(Input)).all()
    assert {i.recorded_by_id for i in inputs} == {places.officer.id}
    assert {i.section_code for i in inputs} == {"civil_affairs"}


def test_a_viewer_cannot_import(session: Session, places: Places) -> None:
    with pytest.raises(PermissionDenied):
        run(session, places.viewer, LOG, mapping("spreadsheet_log"))


@pytest.mark.parametrize(("change", "message"), [
    ({"id_column": "Number"}, "the file has no column 'Number'"),
    ({"parent": "Atlantis"}, "[source] parent 'Atlantis' is not a known place"),
    ({"parent": "Kasolima"}, "new places cannot sit under it"),
])
def test_a_mapping_the_file_cannot_use_stops_the_run(session: Session, places: Places,
                                                     change: dict, message: str) -> None:
    with pytest.raises(MappingError, match=message.replace("[", r"\[").replace("]", r"\]")):
        run(session, places.admin, LOG, mapping("spreadsheet_log").with_source(**change))
    assert count(session, ImportRun) == 0


def test_a_file_that_cannot_be_read_stops_the_run(session: Session, places: Places) -> None:
    with pytest.raises(FileProblem, match="no header row"):
        run(session, places.admin, b"", mapping("spreadsheet_log"))
    with pytest.raises(FileProblem, match="cannot open"):
        import_file(session, places.admin, "/nonexistent/log.csv", mapping("spreadsheet_log"))


def test_preview_shows_rows_as_they_will_be_stored(session: Session, places: Places) -> None:
    rows = read_rows(LOG)
    rows[3][4] = "Blah"
    preview = preview_import(session, places.admin, csv_bytes(rows), mapping("spreadsheet_log"),
                             rows=5)
    assert [p.status for p in preview] == ["imported", "imported", "rejected", "imported",
                                           "imported"]
    assert preview[2].column == "Type" and "'Blah' is not in the map" in preview[2].reason
    first = preview[0]
    assert first.input and first.input["theme_codes"] == ["basic_services"]
    assert first.input["locality"].endswith("Mbuvi > Kasolima")
    assert first.action and first.action["status"] == "done"
    assert first.report_back and first.report_back["messages"]["fr"].startswith("Le forage")
    assert preview[4].input and preview[4].input["locality"].endswith("Kabala (new)")
    assert count(session, Input) == 0


def test_a_batch_the_database_refuses_is_written_row_by_row(
        session: Session, places: Places, monkeypatch: pytest.MonkeyPatch) -> None:
    """One row the database refuses is rejected with the database's reason; the rest of
    its batch goes in."""
    from sqlalchemy.exc import IntegrityError

    real = BatchWriter._insert_actions

    def refuse(self, plans, now):  # type: ignore[no-untyped-def]
        if any(p.action.values["title"] == "Night patrol" for p in plans):
            raise IntegrityError("INSERT INTO action", {}, Exception("constraint failed"))
        return real(self, plans, now)

    monkeypatch.setattr(BatchWriter, "_insert_actions", refuse)
    result = run(session, places.admin, LOG, mapping("spreadsheet_log"), batch_size=4)
    assert (result.imported, result.rejected) == (7, 1)
    assert result.rejections[0].line == 3
    assert "the database refused the change" in result.rejections[0].reason
    assert count(session, Input) == 7 and facts_drift(session) == []
    assert session.exec(select(ImportRun)).one().rejected == 1


def test_an_interrupted_import_resumes_exactly(session: Session, places: Places,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """A crash in the middle of a batch leaves the batches before it, whole; the re-run
    adds exactly the rest."""
    real = BatchWriter._link
    calls = {"n": 0}

    def crash(self, *args, **kw):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt  # after the inputs of the second batch were inserted
        return real(self, *args, **kw)

    monkeypatch.setattr(BatchWriter, "_link", crash)
    with pytest.raises(KeyboardInterrupt):
        run(session, places.admin, LOG, mapping("spreadsheet_log"), batch_size=3)
    session.rollback()
    assert count(session, Input) == 3 and count(session, ImportKey) == 3
    assert session.exec(select(ImportRun)).one().finished_at is None
    monkeypatch.undo()
    result = run(session, places.admin, LOG, mapping("spreadsheet_log"), batch_size=3)
    assert (result.imported, result.duplicates) == (5, 3)
    assert (count(session, Input), count(session, Action), count(session, ReportBack)) == (8, 6, 5)
    assert facts_drift(session) == []
