"""Reading the files missions keep feedback in: CSV in any encoding Excel writes, and XLSX.

A file becomes a ``Table``: its header and a stream of ``RawRow``s, each with the line
(CSV) or sheet row (XLSX) it came from, so every rejection can point at it. Cells are
always text: an id such as ``007`` keeps its zeros, and a date cell of a workbook
becomes ISO 8601 text (``2026-02-03T00:00:00``, which a date field reads whatever format
its mapping gives for typed dates). A CSV row with fewer or more cells than the header is
not padded or cut: it carries a ``problem`` and the importer rejects it; so does a row an
unclosed quote stitched across lines, saying where the quote opened.
"""

import codecs
import csv
import hashlib
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import IO, Any

from tracker.errors import HearbackError
from tracker.io.csv_rows import RawRow, csv_rows, no_bom

XLSX_SUFFIXES = (".xlsx", ".xlsm")
DELIMITERS = (",", ";", "\t", "|")
# Bytes that cp1252 leaves undefined: a file holding them is Latin-1 (ISO 8859-1).
_CP1252_HOLES = frozenset(b"\x81\x8d\x8f\x90\x9d")
_HOLE_BYTES = tuple(bytes([b]) for b in sorted(_CP1252_HOLES))
_MAX_FIELD = 10 * 1024 * 1024
_ZIP = b"PK\x03\x04"  # an .xlsx workbook is a zip archive
_OLE2 = b"\xd0\xcf\x11\xe0"  # an old .xls workbook
# A workbook part that inflates past this, or by more than this ratio, is refused.
_MAX_PART_BYTES = 2 * 1024**3
_MAX_RATIO = 1000


class FileProblem(HearbackError):
    """The file cannot be read at all (wrong format, broken workbook, no header)."""


Source = str | Path | bytes | IO[bytes]


@dataclass
class Table:
    """A file opened for import: what was detected, the header, and the rows (read once)."""

    name: str
    format: str  # "csv" or "xlsx"
    headers: list[str]
    rows: Iterator[RawRow]
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    sheets: list[str] = field(default_factory=list)
    sha256: str = ""


def open_table(source: Source, *, name: str | None = None, format: str | None = None,
               encoding: str | None = None, delimiter: str | None = None,
               sheet: str | int | None = None, header_row: int = 1) -> Table:
    """Open ``source`` (a path, bytes or a binary file) as a ``Table``."""
    data = _binary(source)
    name = name or (str(source) if isinstance(source, str | Path) else "upload")
    digest = _sha256(data)
    kind = detect_format(data, name, format)
    if kind == "xlsx":
        table = _open_xlsx(data, name, sheet, header_row)
    else:
        table = _open_csv(data, name, encoding, delimiter, header_row)
    table.sha256 = digest
    return table


def detect_format(data: IO[bytes], name: str, asked: str | None = None) -> str:
    """"csv" or "xlsx": a workbook's own first bytes first (an .xlsx renamed .csv is still a
    workbook, and reading its zip bytes as text would list them as headers), then the
    mapping, then the file name."""
    lower = name.lower()
    if lower.endswith(".ods"):  # an OpenDocument sheet is a zip archive too
        raise FileProblem(f"{Path(name).name}: save the sheet as .xlsx or CSV first "
                          "(old .xls and .ods workbooks are not read)")
    head = data.read(8)
    data.seek(0)
    if head.startswith(_ZIP):
        return "xlsx"
    if head.startswith(_OLE2):
        raise FileProblem("this is an old .xls workbook: save it as .xlsx or CSV first")
    if lower.endswith(".xls"):
        raise FileProblem(f"{Path(name).name}: save the sheet as .xlsx or CSV first "
                          "(old .xls and .ods workbooks are not read)")
    if asked in ("csv", "xlsx"):
        return asked
    return "xlsx" if lower.endswith(XLSX_SUFFIXES) else "csv"


def _binary(source: Source) -> IO[bytes]:
    if isinstance(source, bytes):
        return io.BytesIO(source)
    if isinstance(source, str | Path):
        try:
            return open(source, "rb")
        except OSError as exc:
            raise FileProblem(f"cannot open {source}: {exc.strerror}") from exc
    return source


def _sha256(data: IO[bytes]) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: data.read(1 << 20), b""):
        digest.update(chunk)
    data.seek(0)
    return digest.hexdigest()


# --- CSV -------------------------------------------------------------------------------------


def detect_encoding(data: IO[bytes]) -> str:
    """The file's encoding: a BOM says it; else UTF-8 if every byte decodes; else cp1252
    (what Excel writes on Windows), or Latin-1 when bytes cp1252 leaves undefined occur."""
    head = data.read(4)
    data.seek(0)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    sample = data.read(4096)
    data.seek(0)
    if len(sample) >= 4 and sample[1::2].count(0) > len(sample) // 4:
        return "utf-16-le"  # UTF-16 without a BOM: every other byte of ASCII text is zero
    if len(sample) >= 4 and sample[0::2].count(0) > len(sample) // 4:
        return "utf-16-be"
    decoder = codecs.getincrementaldecoder("utf-8")()
    holes = False
    try:
        for chunk in iter(lambda: data.read(1 << 20), b""):
            holes = holes or _has_holes(chunk)
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
        return "utf-8"
    except UnicodeDecodeError:
        if not holes:
            holes = any(_has_holes(c) for c in iter(lambda: data.read(1 << 20), b""))
        return "latin-1" if holes else "cp1252"
    finally:
        data.seek(0)


def _has_holes(chunk: bytes) -> bool:
    """Whether ``chunk`` holds a byte cp1252 leaves undefined (a substring search per byte
    value: a set test would turn every byte of a large file into an int)."""
    return any(b in chunk for b in _HOLE_BYTES)


def _check_decodes(data: IO[bytes], encoding: str) -> None:
    """An encoding the mapping names must decode the whole file (never a half-read file)."""
    try:
        decoder = codecs.getincrementaldecoder(encoding)()
    except LookupError as exc:
        raise FileProblem(f"unknown encoding {encoding!r}") from exc
    try:
        for chunk in iter(lambda: data.read(1 << 20), b""):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeError as exc:  # a decode error, or UTF-16 with no byte-order mark
        raise FileProblem(f"the file is not {encoding} text ({_why(exc)}); "
                          "fix [source] encoding or leave it out to detect it") from exc
    finally:
        data.seek(0)


def _why(exc: UnicodeError) -> str:
    return exc.reason if isinstance(exc, UnicodeDecodeError) else str(exc)


def sniff_delimiter(lines: list[str]) -> str:
    """The delimiter that splits the first lines into the most, and most even, columns."""
    best, best_score = ",", (0, 0)
    for delim in DELIMITERS:
        try:
            widths = [len(r) for r in csv.reader(lines, delimiter=delim) if r]
        except csv.Error:
            continue
        if not widths or widths[0] < 2:
            continue
        same = sum(1 for w in widths if w == widths[0])
        score = (same, widths[0])
        if score > best_score:
            best, best_score = delim, score
    return best


def _open_csv(data: IO[bytes], name: str, encoding: str | None, delimiter: str | None,
              header_row: int) -> Table:
    if encoding is None:
        encoding = detect_encoding(data)
    else:
        _check_decodes(data, encoding)
    text = io.TextIOWrapper(data, encoding=encoding, errors="strict", newline="")
    try:
        sample = text.read(65536)
        text.seek(0)
    except UnicodeError as exc:
        raise FileProblem(f"the file is not {encoding} text ({_why(exc)}); "
                          "set [source] encoding") from exc
    if encoding.startswith("utf-16") and sample.startswith("\ufeff"):
        sample = sample[1:]
    lines = sample.splitlines()[:50]
    if delimiter is None:
        delimiter = "\t" if encoding.startswith("utf-16") and "\t" in sample else sniff_delimiter(lines)
    csv.field_size_limit(_MAX_FIELD)
    seen: list[str] = []
    reader = csv.reader(no_bom(text, seen), delimiter=delimiter)
    headers: list[str] | None = None
    line = 0
    try:
        for _ in range(header_row):
            line = reader.line_num + 1
            headers = next(reader)
    except StopIteration:
        headers = None
    except (csv.Error, UnicodeDecodeError) as exc:
        raise FileProblem(f"line {line}: cannot read the header: {exc}") from exc
    if not headers or not any(h.strip() for h in headers):
        raise FileProblem(f"{Path(name).name}: no header row (the file is empty)")
    headers = [h.strip() for h in headers]
    return Table(name=name, format="csv", headers=headers,
                 rows=csv_rows(reader, len(headers), text, seen), encoding=encoding,
                 delimiter=delimiter)


# --- XLSX ------------------------------------------------------------------------------------


def _check_zip(data: IO[bytes]) -> None:
    """Refuse a workbook whose parts would inflate to absurd sizes (a zip bomb)."""
    try:
        with zipfile.ZipFile(data) as archive:
            for info in archive.infolist():
                if info.file_size > _MAX_PART_BYTES or (
                    info.compress_size and info.file_size / info.compress_size > _MAX_RATIO
                    and info.file_size > 10 * 1024**2
                ):
                    raise FileProblem(f"the workbook part {info.filename} inflates to "
                                      f"{info.file_size:,} bytes: refused")
    except zipfile.BadZipFile as exc:
        raise FileProblem(f"not a valid .xlsx workbook ({exc})") from exc
    finally:
        data.seek(0)


def _open_xlsx(data: IO[bytes], name: str, sheet: str | int | None, header_row: int) -> Table:
    import openpyxl

    if not openpyxl.DEFUSEDXML:  # without it an XML bomb in a workbook would be expanded
        raise FileProblem("reading .xlsx needs the defusedxml package (pip install defusedxml)")
    _check_zip(data)
    try:
        book = openpyxl.load_workbook(data, read_only=True, data_only=True)
    except Exception as exc:  # defusedxml's EntitiesForbidden, broken XML, missing parts
        raise FileProblem(_xlsx_message(exc)) from exc
    names = list(book.sheetnames)
    if sheet is None or sheet == "":
        chosen = names[0]
    elif isinstance(sheet, int) or (isinstance(sheet, str) and sheet.isdigit()):
        index = int(sheet) - 1
        if not 0 <= index < len(names):
            raise FileProblem(f"the workbook has {len(names)} sheet(s); there is no sheet {sheet}")
        chosen = names[index]
    elif sheet in names:
        chosen = sheet
    else:
        raise FileProblem(f"no sheet {sheet!r} in the workbook; its sheets: {', '.join(names)}")
    ws = book[chosen]
    ws.reset_dimensions()  # trust the cells, not a dimension tag some tools get wrong
    rows = ws.iter_rows(values_only=True)
    headers: list[str] | None = None
    try:
        for _ in range(header_row):
            headers = [cell_text(v).strip() for v in next(rows)]
    except StopIteration:
        headers = None
    except Exception as exc:
        raise FileProblem(_xlsx_message(exc)) from exc
    while headers and not headers[-1]:
        headers.pop()
    if not headers:
        raise FileProblem(f"sheet {chosen!r} has no header row")
    return Table(name=name, format="xlsx", headers=headers,
                 rows=_xlsx_rows(book, rows, len(headers), header_row), sheet=chosen,
                 sheets=names)


def _xlsx_message(exc: BaseException) -> str:
    cause: BaseException | None = exc
    while cause is not None:  # openpyxl wraps defusedxml's refusal in a ValueError
        if type(cause).__module__.startswith("defusedxml"):
            return "the workbook declares XML entities or a DTD (an XML bomb?): refused"
        cause = cause.__cause__ or cause.__context__
    first = str(exc).splitlines()[0] if str(exc) else ""
    return f"not a readable .xlsx workbook ({type(exc).__name__}: {first})"


def _xlsx_rows(book: Any, rows: Iterator[tuple[Any, ...]], width: int,
               header_row: int) -> Iterator[RawRow]:
    """Sheet rows as text; a workbook stores no empty trailing cells, so none are invented
    beyond the header's width, and a value past the last header column rejects the row."""
    number = header_row
    try:
        while True:
            number += 1
            try:
                values = next(rows)
            except StopIteration:
                return
            except Exception as exc:
                yield RawRow(number, [], _xlsx_message(exc))
                return
            cells = [cell_text(v) for v in values]
            if not any(c.strip() for c in cells):
                continue
            extra = [c for c in cells[width:] if c.strip()]
            if extra:
                yield RawRow(number, cells, f"the row has values beyond the {width} "
                                            "header columns")
                continue
            cells = (cells + [""] * width)[:width]
            yield RawRow(number, cells)
    finally:
        book.close()


def cell_text(value: Any) -> str:
    """A workbook value as the text the importer reads (numbers without a spurious ``.0``)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):  # the same form as a datetime cell: a date field reads it
        return datetime.combine(value, time()).isoformat()
    if isinstance(value, time):
        return value.isoformat()
    return str(value)
