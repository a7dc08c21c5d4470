"""Imports keep the rollups current: new inputs, and follow-ups of inputs already there."""

from sqlmodel import Session

from tests.io.conftest import Places, mapping, run
from tests.io.samples import EXAMPLES, csv_bytes, read_rows
from tracker.rollups.build import rollup_drift

LOG = EXAMPLES / "spreadsheet_log.csv"


def test_imports_keep_the_rollups_current(session: Session, places: Places) -> None:
    rows = read_rows(LOG)
    first = run(session, places.admin, csv_bytes([rows[0], *rows[1:5]]), mapping("spreadsheet_log"))
    assert first.imported == 4
    assert rollup_drift(session) == []
    later = run(session, places.admin, csv_bytes([rows[0], *rows[3:]]), mapping("spreadsheet_log"))
    assert later.imported == 4
    assert rollup_drift(session) == []
