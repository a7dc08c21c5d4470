"""Real-looking files for the importer tests, built from the shipped examples."""

import csv
import io
from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook

from tracker.settings import PROJECT_ROOT

EXAMPLES = PROJECT_ROOT / "data" / "examples"
MAPPINGS = PROJECT_ROOT / "data" / "mappings"
NUMBERS = ("_id", "_index", "group_source/femmes", "group_source/hommes")
KOBO_THEMES = ["securite", "eau", "sante", "education", "routes", "humanitaire", "terres",
               "justice", "rumeurs"]


def read_rows(path: Path, delimiter: str = ",") -> list[list[str]]:
    """The rows of a shipped example CSV (header first)."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f, delimiter=delimiter))


def csv_bytes(rows: list[list[str]], *, encoding: str = "utf-8", delimiter: str = ",",
              bom: bool = False) -> bytes:
    """Rows as the bytes a spreadsheet program would save."""
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    data = buf.getvalue().encode(encoding)
    if bom and encoding == "utf-8":
        data = b"\xef\xbb\xbf" + data
    return data


def excel_unicode_text(rows: list[list[str]]) -> bytes:
    """Excel's "Unicode Text" (and its UTF-16 CSV): UTF-16 LE with a BOM, tab-separated."""
    return b"\xff\xfe" + csv_bytes(rows, delimiter="\t").decode().encode("utf-16-le")


def kobo_rows() -> list[list[str]]:
    return read_rows(EXAMPLES / "kobo_feedback.csv", delimiter=";")


def kobo_split(rows: list[list[str]], separator: str = "/") -> list[list[str]]:
    """The Kobo export with the multiple choice split into 0/1 columns, one per option
    (Kobo's "separate columns" option); ``separator`` "-" gives ODK Central's group paths."""
    head = rows[0]
    col = head.index("group_retour/themes")
    out = []
    for i, row in enumerate(rows):
        if i == 0:
            extra = [f"group_retour/themes/{t}" for t in KOBO_THEMES]
        else:
            chosen = row[col].split()
            extra = ["1" if t in chosen else "0" for t in KOBO_THEMES]
        new = row[:col] + extra + row[col + 1:]
        if i == 0 and separator != "/":
            new = [h.replace("group_contexte/", f"group_contexte{separator}")
                   .replace("group_retour/", f"group_retour{separator}")
                   .replace("group_source/", f"group_source{separator}")
                   .replace("group_suivi/", f"group_suivi{separator}") for h in new]
        out.append(new)
    return out


def xlsx_bytes(rows: list[list[object]], sheets: tuple[str, ...] = ("data",)) -> bytes:
    """A workbook whose first named sheet holds ``rows``; other sheets get a stub row."""
    book = Workbook()
    book.remove(book.active)
    for n, name in enumerate(sheets):
        ws = book.create_sheet(name)
        for row in (rows if n == 0 else [["note"], ["another sheet"]]):
            ws.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def kobo_xlsx() -> bytes:
    """The Kobo form as its XLSX export: split choices, dates and numbers as typed cells."""
    rows: list[list[object]] = []
    split = kobo_split(kobo_rows())
    head = split[0]
    for i, row in enumerate(split):
        if i == 0:
            rows.append(row)
            continue
        typed: list[object] = []
        for h, v in zip(head, row, strict=True):
            if h.endswith(("date_retour", "today")) and v:
                typed.append(date.fromisoformat(v))
            elif h == "_submission_time":
                typed.append(datetime.fromisoformat(v))
            elif (h in NUMBERS and v) or h.startswith("group_retour/themes/"):
                typed.append(int(v))
            else:
                typed.append(v)
        rows.append(typed)
    return xlsx_bytes(rows, sheets=("retours_communautaires", "group_suivi_repeat"))


def log_rows(n: int, *, start: date = date(2019, 1, 1), per_day: int = 8) -> list[list[str]]:
    """``n`` rows like the example log, ids 00001..., dates moving on one day every
    ``per_day`` rows (an office's log over years, in the order it was kept)."""
    from datetime import timedelta

    head, *body = read_rows(EXAMPLES / "spreadsheet_log.csv")
    cols = [head.index(c) for c in ("Date", "Date closed", "Date of feedback")]

    def day(text: str) -> date:
        d, m, y = text.split("/")
        return date(int(y), int(m), int(d))

    rows = [head]
    for i in range(n):
        row = list(body[i % len(body)])
        base = day(row[cols[0]])
        when = start + timedelta(days=i // per_day)
        for c in cols:
            if row[c]:
                row[c] = (when + (day(row[c]) - base)).strftime("%d/%m/%Y")
        row[0] = f"{i + 1:05d}"
        rows.append(row)
    return rows
