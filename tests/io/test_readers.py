"""Reading files as missions keep them: every encoding Excel writes, any delimiter, XLSX
read safely, Kobo and ODK headers; no database involved."""

import io
import zipfile

import pytest

from tests.io.samples import (
    EXAMPLES,
    csv_bytes,
    excel_unicode_text,
    kobo_rows,
    kobo_split,
    kobo_xlsx,
    read_rows,
    xlsx_bytes,
)
from tracker.io.columns import ColumnIndex, bind
from tracker.io.mapping import MappingError, load_mapping
from tracker.io.readers import FileProblem, detect_encoding, open_table
from tracker.settings import PROJECT_ROOT

LOG = read_rows(EXAMPLES / "spreadsheet_log.csv")
ACCENTS = [["Date", "Lieu", "Texte"],
           ["02/03/2026", "Sakaré", "L’école a besoin d’un toit — œuvre urgente, « vite »"],
           ["03/03/2026", "Kasolima", "Déjà signalé à la MONUSCO ; pas de réponse"]]


def _rows(data: bytes, **kw: object) -> tuple[list[str], list[list[str]], str | None]:
    table = open_table(data, name=kw.pop("name", "f.csv"), **kw)  # type: ignore[arg-type]
    return table.headers, [r.cells for r in table.rows], table.encoding


@pytest.mark.parametrize(("data", "encoding"), [
    (csv_bytes(ACCENTS), "utf-8"),
    (csv_bytes(ACCENTS, bom=True), "utf-8-sig"),
    (excel_unicode_text(ACCENTS), "utf-16"),
    (csv_bytes(ACCENTS, delimiter="\t", encoding="utf-16-le"), "utf-16-le"),
    (csv_bytes(ACCENTS, delimiter=";", encoding="cp1252"), "cp1252"),
], ids=["utf-8", "utf-8-bom", "excel-utf-16", "utf-16-no-bom", "cp1252"])
def test_every_encoding_excel_writes(data: bytes, encoding: str) -> None:
    headers, rows, found = _rows(data)
    assert found == encoding
    assert [headers, *rows] == ACCENTS


def test_latin1_detected_when_cp1252_cannot_read_it_and_chosen_by_name() -> None:
    data = "Lieu,Texte\nSakaré,caf\x81 \xe9\n".encode("latin-1")
    assert detect_encoding(io.BytesIO(data)) == "latin-1"
    assert _rows(data)[1] == [["Sakaré", "caf\x81 é"]]
    plain = csv_bytes(ACCENTS[:2], encoding="cp1252").replace("’".encode("cp1252"), b"'")
    _headers, rows, found = _rows(plain, encoding="latin-1")
    assert found == "latin-1" and rows[0][1] == "Sakaré"


def test_a_wrong_encoding_is_refused_not_half_read() -> None:
    with pytest.raises(FileProblem, match="not utf-8 text"):
        open_table(csv_bytes(ACCENTS, encoding="cp1252"), name="f.csv", encoding="utf-8")
    with pytest.raises(FileProblem, match="unknown encoding"):
        open_table(csv_bytes(ACCENTS), name="f.csv", encoding="klingon")
    # "utf-16" needs a byte-order mark to know the byte order: without one it is refused
    # with the same message, not a decoder's traceback.
    for data in (csv_bytes(ACCENTS, encoding="cp1252"), csv_bytes(ACCENTS, encoding="utf-16-le")):
        with pytest.raises(FileProblem, match="not utf-16 text"):
            open_table(data, name="f.csv", encoding="utf-16")


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_the_delimiter_is_sniffed(delimiter: str) -> None:
    headers, rows, _ = _rows(csv_bytes(LOG, delimiter=delimiter))
    assert headers == LOG[0] and rows == LOG[1:]


def test_short_and_long_rows_are_flagged_with_their_line_never_padded() -> None:
    text = ('Date,Place,Text\n02/03/2026,Kasolima,"two\nlines"\n03/03/2026,Sakaré\n\n'
            "04/03/2026,Mbuvi,x,extra\n05/03/2026,Mbuvi,ok\n")
    rows = list(open_table(text.encode(), name="f.csv").rows)
    assert [(r.line, r.problem) for r in rows] == [
        (2, None),
        (4, "the row has 2 cells but the header has 3 (a short row is never padded)"),
        (6, "the row has 4 cells but the header has 3"),
        (7, None),
    ]
    assert rows[1].cells == ["03/03/2026", "Sakaré"]


def test_a_broken_quote_is_a_rejected_row_not_a_crash() -> None:
    data = b'a,b\n1,2\n"3,4\n5,6\n'
    rows = list(open_table(data, name="f.csv").rows)
    assert rows[0].cells == ["1", "2"]
    assert all(r.problem for r in rows[1:])


@pytest.mark.parametrize(("data", "name", "message"), [
    (b"", "f.csv", "no header row"),
    (b"\n\n", "f.csv", "no header row"),
    (b"PK\x03\x04 not really a zip", "f.xlsx", "not a valid .xlsx workbook"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "upload", "old .xls workbook"),
    (b"x", "log.xls", "save the sheet as .xlsx or CSV"),
])
def test_files_that_cannot_be_used(data: bytes, name: str, message: str) -> None:
    with pytest.raises(FileProblem, match=message):
        open_table(data, name=name)


def test_xlsx_cells_stay_text() -> None:
    from datetime import date, datetime

    data = xlsx_bytes([["id", "date", "when", "count", "ratio", "flag", "text"],
                       ["007", date(2026, 3, 2), datetime(2026, 3, 2, 8, 30), 12, 12.0, True,
                        "- pas de réponse"],
                       ["008", None, None, 3.5, None, False, None, None],
                       [None, None, None, None, None, None, None],
                       ["009"]])
    table = open_table(data, name="f.xlsx")
    rows = list(table.rows)
    assert table.headers[0] == "id" and table.format == "xlsx"
    assert rows[0].cells == ["007", "2026-03-02T00:00:00", "2026-03-02T08:30:00", "12", "12",
                             "true", "- pas de réponse"]
    assert rows[1].cells == ["008", "", "", "3.5", "", "false", ""] and rows[1].problem is None
    assert (rows[2].line, rows[2].cells[0]) == (5, "009")  # the blank row 4 is skipped


def test_xlsx_values_beyond_the_header_reject_the_row() -> None:
    rows = list(open_table(xlsx_bytes([["a", "b"], ["1", "2", "3"]]), name="f.xlsx").rows)
    assert rows[0].problem == "the row has values beyond the 2 header columns"


def test_xlsx_sheet_is_chosen_by_name_or_number() -> None:
    data = xlsx_bytes([["a"], ["1"]], sheets=("first", "second"))
    assert open_table(data, name="f.xlsx").sheet == "first"
    assert open_table(data, name="f.xlsx", sheet="second").headers == ["note"]
    assert open_table(data, name="f.xlsx", sheet=2).headers == ["note"]
    with pytest.raises(FileProblem, match=r"no sheet 'third'.*first, second"):
        open_table(data, name="f.xlsx", sheet="third")
    with pytest.raises(FileProblem, match="there is no sheet 5"):
        open_table(data, name="f.xlsx", sheet=5)


def _with_sheet_xml(workbook: bytes, sheet_xml: str) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(workbook))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = sheet_xml.encode()
            dst.writestr(item, data)
    return out.getvalue()


def test_an_xml_bomb_is_refused() -> None:
    lol = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    bomb = ('<?xml version="1.0"?><!DOCTYPE lolz [' + lol + ']>'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
            '</sheetData></worksheet>')
    data = _with_sheet_xml(xlsx_bytes([["a"], ["1"]]), bomb)
    with pytest.raises(FileProblem, match="XML entities"):
        table = open_table(data, name="bomb.xlsx")
        list(table.rows)


def test_kobo_headers_group_paths_and_split_choices() -> None:
    rows = kobo_split(kobo_rows())
    index = ColumnIndex(rows[0])
    assert index.find("date_retour") == [rows[0].index("group_contexte/date_retour")]
    get = index.getter("themes", "test")
    chosen = [get(r).split("\n") for r in rows[1:]]
    assert chosen[0] == ["eau", "sante"] and chosen[5] == ["securite", "terres"]
    odk = ColumnIndex(kobo_split(kobo_rows(), separator="-")[0])
    assert odk.headers[odk.find("localite")[0]] == "group_contexte-localite"
    assert odk.getter("themes", "test")(rows[2]).split("\n") == ["securite"]


def test_kobo_xlsx_export_reads_like_the_csv() -> None:
    table = open_table(kobo_xlsx(), name="kobo.xlsx")
    assert table.sheets == ["retours_communautaires", "group_suivi_repeat"]
    rows = list(table.rows)
    head = table.headers
    assert rows[0].cells[head.index("group_contexte/date_retour")] == "2026-03-02T00:00:00"
    assert rows[0].cells[head.index("group_source/femmes")] == "23"
    assert rows[0].cells[head.index("_uuid")] == kobo_rows()[1][kobo_rows()[0].index("_uuid")]


def test_missing_and_ambiguous_columns_stop_the_run() -> None:
    m = load_mapping(PROJECT_ROOT / "data" / "mappings" / "spreadsheet_log.toml")
    with pytest.raises(MappingError, match=r"no column 'Issue raised' \(\[input\] original_text\)"):
        bind(m, [h for h in LOG[0] if h != "Issue raised"])
    with pytest.raises(MappingError, match="matches several headers"):
        ColumnIndex(["a/date", "b/date"]).getter("date", "test")
    assert ColumnIndex(["DATE "]).find("date") == [0]
