"""Files as field offices really send them: the log saved as .xlsx with real date cells, a
CSV with a quote left open, a workbook renamed .csv."""

import csv
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from tests.io.conftest import Places, mapping, run
from tests.io.samples import EXAMPLES, csv_bytes, read_rows, xlsx_bytes
from tracker.io.readers import FileProblem, cell_text, open_table
from tracker.io.values import CellError, parse_date, parse_datetime
from tracker.models import Action, Input, ReportBack

LOG = EXAMPLES / "spreadsheet_log.csv"
DATES = ("Date", "Date closed", "Date of feedback")
KINSHASA = ZoneInfo("Africa/Kinshasa")


def _log_dates(column: str) -> list[datetime]:
    """A date column of the example CSV, each day's Kinshasa midnight in UTC, sorted."""
    head, *body = read_rows(LOG)
    i = head.index(column)
    return sorted(datetime.strptime(r[i], "%d/%m/%Y").replace(tzinfo=KINSHASA).astimezone(UTC)
                  for r in body if r[i])


def _log_workbook() -> bytes:
    """The example log as Excel saves it once its dates are real date cells."""
    head, *body = read_rows(LOG)
    columns = {head.index(c) for c in DATES}
    rows: list[list[object]] = [list(head)]
    for row in body:
        rows.append([datetime.strptime(v, "%d/%m/%Y") if i in columns and v else v
                     for i, v in enumerate(row)])
    return xlsx_bytes(rows)


# --- date cells of a workbook ---------------------------------------------------------------


def test_the_log_saved_as_xlsx_with_date_cells_goes_in(session: Session, places: Places) -> None:
    result = run(session, places.admin, _log_workbook(), mapping("spreadsheet_log"),
                 name="log.xlsx")
    assert (result.imported, result.rejected) == (8, 0), result.rejections
    assert sorted(session.exec(select(Input.received_at))) == _log_dates("Date")
    closed = session.exec(select(Action.closed_at).where(Action.closed_at.is_not(None)))  # type: ignore[union-attr]
    assert sorted(closed) == _log_dates("Date closed")
    assert sorted(session.exec(select(ReportBack.reported_at))) == _log_dates("Date of feedback")
    again = run(session, places.admin, LOG, mapping("spreadsheet_log"), name=LOG.name)
    assert (again.duplicates, again.rejected) == (8, 0)  # the same rows, the same values


@pytest.mark.parametrize(("text", "fmt", "expected"), [
    ("2026-02-03T00:00:00", "%d/%m/%Y", datetime(2026, 2, 2, 23, 0, tzinfo=UTC)),
    ("2026-02-03T08:30:00", "%d/%m/%Y %H:%M", datetime(2026, 2, 3, 7, 30, tzinfo=UTC)),
    ("2026-02-03T08:30:00.250000", "%d/%m/%Y", datetime(2026, 2, 3, 7, 30, 0, 250000,
                                                        tzinfo=UTC)),
    ("03/02/2026", "%d/%m/%Y", datetime(2026, 2, 2, 23, 0, tzinfo=UTC)),  # typed, as before
    ("2026-03-02", "%Y-%d-%m", datetime(2026, 2, 2, 23, 0, tzinfo=UTC)),  # the format wins
])
def test_a_workbook_date_cell_is_read_whatever_the_format(text: str, fmt: str,
                                                          expected: datetime) -> None:
    assert parse_datetime(text, fmt, KINSHASA) == expected


@pytest.mark.parametrize("text", ["2026-02-03", "2026-02-03 00:00", "3 Feb 2026",
                                  "2026-02-30T00:00:00", "٢٠٢٦-٠٢-٠٣T00:00:00"])
def test_other_text_must_still_follow_the_format(text: str) -> None:
    """A date typed by hand in another form than the mapping's is still refused: only the
    exact text a workbook's date cell becomes is let through."""
    with pytest.raises(CellError, match="in the format '%d/%m/%Y'"):
        parse_datetime(text, "%d/%m/%Y", KINSHASA)
    with pytest.raises(CellError, match="in the format '%d/%m/%Y'"):
        parse_date(text, "%d/%m/%Y")


def test_a_date_field_reads_a_workbook_date_cell() -> None:
    assert parse_date("2026-02-03T00:00:00", "%d/%m/%Y") == date(2026, 2, 3)
    assert cell_text(date(2026, 2, 3)) == cell_text(datetime(2026, 2, 3)) == "2026-02-03T00:00:00"


# --- a quote left open -----------------------------------------------------------------------

HEAD = ["id", "date", "text", "note"]


def _lines(*rows: str) -> bytes:
    return ("id,date,text,note\r\n" + "".join(r + "\r\n" for r in rows)).encode()


def test_an_unclosed_quote_names_its_line_and_the_lines_it_swallowed() -> None:
    data = _lines('1,03/02/2026,"line one\r\nline two",x', "", "2,03/02/2026,fine,x",
                  '3,03/02/2026,"never closed,x', "4,03/02/2026,swallowed,x")
    rows = list(open_table(data, name="f.csv").rows)
    assert [(r.line, r.problem is None) for r in rows] == [(2, True), (5, True), (6, False)]
    assert rows[0].cells[2] == "line one\r\nline two"  # a real multi-line cell is fine
    assert rows[2].problem == (
        "lines 6–7 were read as one row of 3 cells (the header has 4): a quote opened on "
        'line 6 is never closed, or closes in the wrong place; close it (a quote inside a '
        'quoted cell is written twice: "")')


def test_a_quote_closed_by_the_next_rows_quote_is_not_taken_for_a_row() -> None:
    """The reader runs on to the next quote, and the row it stitches can have just the
    header's width: it must be refused, not imported with the next row inside its text."""
    data = _lines('1,03/02/2026,"open,x', '2,03/02/2026,"quoted",x', "3,03/02/2026,after,x")
    rows = list(open_table(data, name="f.csv").rows)
    assert len(rows[0].cells) == len(HEAD)
    assert rows[0].problem is not None
    assert rows[0].problem.startswith("lines 2–3 were read as one row: a quote opened on line 2")
    assert (rows[1].line, rows[1].cells, rows[1].problem) == (4, ["3", "03/02/2026", "after",
                                                                  "x"], None)


def test_an_unclosed_quote_on_the_last_line() -> None:
    rows = list(open_table(_lines('1,03/02/2026,"open'), name="f.csv").rows)
    assert rows[0].problem is not None and rows[0].problem.startswith(
        "the row has 3 cells but the header has 4 (a short row is never padded): a quote "
        "opened on line 2 is never closed")


def test_a_cell_past_the_size_limit_suggests_an_unclosed_quote(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tracker.io.readers._MAX_FIELD", 40)
    data = _lines('1,03/02/2026,"open,x', *[f"{n},03/02/2026,row {n},x" for n in range(2, 9)])
    limit = csv.field_size_limit()
    try:
        problem = next(iter(open_table(data, name="f.csv").rows)).problem
    finally:
        csv.field_size_limit(limit)  # the limit is the csv module's, for every reader
    assert problem is not None and "field limit" in problem
    assert "a quote opened on line 2 or soon after is probably never closed" in problem


def test_the_import_counts_lines_as_the_file_has_them(session: Session, places: Places) -> None:
    """A quote left open before "La route" (line 5) runs on to the quote of line 7: rows
    004 to 006 become one rejected row, and the rows after keep their own line numbers."""
    lines = csv_bytes(read_rows(LOG)).decode().split("\r\n")
    lines[4] = lines[4].replace(",La route", ',"La route', 1)
    result = run(session, places.admin, "\r\n".join(lines).encode(), mapping("spreadsheet_log"))
    assert (result.rows_read, result.imported, result.rejected) == (6, 5, 1)
    rejection = result.rejections[0]
    assert rejection.line == 5 and rejection.reason.startswith(
        "lines 5–7 were read as one row of 15 cells (the header has 14): a quote opened on "
        "line 5 is never closed")
    after = session.exec(select(Input).where(Input.original_text.startswith("On dit"))).one()  # type: ignore[attr-defined]
    assert after.received_at == _log_dates("Date")[6]  # row 007, line 8, read as written


# --- a workbook renamed .csv ----------------------------------------------------------------


@pytest.mark.parametrize(("name", "asked"), [("log.csv", None), ("log.csv", "csv"),
                                             ("log.txt", None), ("log.xls", None),
                                             ("upload", None)])
def test_a_workbook_is_read_as_one_whatever_its_name(name: str, asked: str | None) -> None:
    table = open_table(_log_workbook(), name=name, format=asked)
    assert table.format == "xlsx"
    assert table.headers == read_rows(LOG)[0]
    assert next(iter(table.rows)).cells[1] == "2026-02-03T00:00:00"


def test_the_log_workbook_renamed_csv_goes_in(session: Session, places: Places) -> None:
    result = run(session, places.admin, _log_workbook(), mapping("spreadsheet_log"),
                 name="log.csv")
    assert (result.imported, result.rejected) == (8, 0), result.rejections


def test_an_ods_sheet_is_still_refused_by_name() -> None:
    with pytest.raises(FileProblem, match=r"save the sheet as \.xlsx or CSV"):
        open_table(b"PK\x03\x04 an OpenDocument sheet", name="log.ods")
