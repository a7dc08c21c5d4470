"""A CSV file's data rows, each with the line it starts on and what is wrong with it.

A row with fewer or more cells than the header is not padded or cut: it carries a
``problem`` and the importer rejects it; so does a row an unclosed quote stitched across
lines, saying where the quote opened (the reader would otherwise run on to the next
quote, and the following rows would vanish into one cell).
"""

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any


@dataclass(frozen=True)
class RawRow:
    """One data row as read: its line (or sheet row) number and its cells, all text."""

    line: int
    cells: list[str]
    problem: str | None = None  # set when the row cannot be used as it stands



def no_bom(text: io.TextIOWrapper, seen: list[str]) -> Iterator[str]:
    """The lines, the first without a byte-order mark; each is also kept in ``seen`` (which
    the row reader empties before every row), so a row stitched across lines can be read
    again from its own lines."""
    for line in text:
        line = line[1:] if line.startswith("\ufeff") else line
        seen.append(line)
        yield line
        break
    for line in text:
        seen.append(line)
        yield line


def csv_rows(reader: Any, width: int, handle: IO[str], seen: list[str]) -> Iterator[RawRow]:
    try:
        while True:
            start = reader.line_num + 1
            seen.clear()
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield RawRow(start, [], _broken(exc, start))
                continue
            except UnicodeDecodeError as exc:
                yield RawRow(start, [], f"bytes that are not {exc.encoding} text")
                return
            if not any(map(str.strip, cells)):
                continue  # a blank line is not a row
            problem = None
            if len(cells) != width or reader.line_num > start:
                problem = _row_problem(cells, width, start, reader.line_num, seen,
                                       reader.dialect.delimiter)
            yield RawRow(start, cells, problem)
    finally:
        handle.close()


def _broken(exc: csv.Error, start: int) -> str:
    """The reader's refusal; a cell past the size limit is nearly always an unclosed quote
    that went on swallowing lines."""
    if "field limit" in str(exc):
        return (f"broken CSV: {exc}: a quote opened on line {start} or soon after is "
                "probably never closed")
    return f"broken CSV: {exc}"


def _row_problem(cells: list[str], width: int, start: int, end: int, lines: list[str],
                 delimiter: str) -> str | None:
    """Why a row of the wrong width, or one spanning lines, cannot be used (None: it can).
    A quote left open makes the reader run on to the next quote, so the following rows
    vanish into one cell; the row is then read again strictly (a quote may close only
    before a delimiter or a line end) and the message names the lines it swallowed. The
    quote opened on the row's first line, unless a good multi-line cell came before it."""
    size = None
    if len(cells) != width:
        size = (f"the row has {len(cells)} cells but the header has {width}"
                + (" (a short row is never padded)" if len(cells) < width else ""))
    if _quotes_close(lines, delimiter):
        return size
    what = size or f"line {start}"
    if end > start:
        what = f"lines {start}–{end} were read as one row" + (
            f" of {len(cells)} cells (the header has {width})" if size else "")
    return (f"{what}: a quote opened on line {start} is never closed, or closes in the wrong "
            'place; close it (a quote inside a quoted cell is written twice: "")')


def _quotes_close(lines: list[str], delimiter: str) -> bool:
    """Whether the row's own lines read cleanly with strict quoting."""
    try:
        for _ in csv.reader(lines, delimiter=delimiter, strict=True):
            pass
    except csv.Error:
        return False
    return True
