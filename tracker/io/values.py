"""Turning cell text into typed values; each failure is a sentence for the rejects file."""

import json
import math
import re
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, tzinfo
from functools import lru_cache
from typing import Any

_TRUE = frozenset({"1", "true", "yes", "y", "oui", "o", "x", "vrai", "ndiyo", "نعم", "checked"})
_FALSE = frozenset({"0", "false", "no", "n", "non", "faux", "hapana", "لا", "unchecked", "-"})
_SPLIT = re.compile(r"[;,\n|]")
_INT_FLOAT = re.compile(r"^[+-]?\d+(\.0*)?$")
# A workbook's date cell as tracker.io.readers writes it (``datetime.isoformat()``). The
# workbook knows it holds a date, so a mapping's format, which says how people *type* dates
# in that column, must not refuse it. It is tried only when the format fails, and this text
# has one reading (year first, "T", seconds): the same text typed by hand is not misread.
# A bare ISO date typed by hand ("2026-02-03") still has to follow the mapping's format.
_WORKBOOK_DATE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?", re.ASCII)


class CellError(ValueError):
    """A cell that cannot become the value its field needs."""


def parse_datetime(text: str, fmt: str | None, zone: tzinfo) -> datetime:
    """ISO 8601 (with or without offset, or a bare date), or ``fmt`` (strptime) and a
    workbook's date cell; a value without an offset is read in ``zone`` (the mapping's time
    zone); the result is UTC. Logs repeat their dates row after row: a parsed value is
    remembered."""
    return _parse_datetime(text.strip(), fmt, zone)


@lru_cache(maxsize=8192)
def _parse_datetime(text: str, fmt: str | None, zone: tzinfo) -> datetime:
    try:
        value = _formatted(text, fmt) if fmt else _iso(text)
    except (ValueError, OverflowError) as exc:
        raise CellError(f"{text!r} is not a date{_expected(fmt)}") from exc
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    try:
        return value.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise CellError(f"{text!r} is out of range") from exc


def _formatted(text: str, fmt: str) -> datetime:
    """``text`` in the mapping's format, or else a workbook's date cell (see _WORKBOOK_DATE):
    a log kept in Excel mixes real date cells with dates typed as text."""
    try:
        return datetime.strptime(text, fmt)
    except ValueError:
        if _WORKBOOK_DATE.fullmatch(text):
            return datetime.fromisoformat(text)
        raise


def _iso(text: str) -> datetime:
    if len(text) <= 10:  # a bare date: the start of that day
        return datetime.combine(date.fromisoformat(text), datetime.min.time())
    return datetime.fromisoformat(text)


def _expected(fmt: str | None) -> str:
    return f" in the format {fmt!r}" if fmt else " (expected ISO 8601, e.g. 2026-03-02T08:30)"


def parse_date(text: str, fmt: str | None) -> date:
    """ISO 8601, or ``fmt`` (strptime) and a workbook's date cell; any time is dropped."""
    text = text.strip()
    try:
        if fmt:
            return _formatted(text, fmt).date()
        if len(text) > 10:
            return _iso(text).date()
        return date.fromisoformat(text)
    except (ValueError, OverflowError) as exc:
        raise CellError(f"{text!r} is not a date{_expected(fmt)}") from exc


def parse_bool(text: str) -> bool:
    low = text.strip().lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise CellError(f"{text!r} is not yes or no (use 1/0, true/false, yes/no)")


def parse_int(text: str) -> int:
    """A whole number; ``12.0`` (a spreadsheet's number) counts as 12."""
    text = text.strip().replace("\u00a0", "").replace(" ", "")
    if not _INT_FLOAT.match(text) or len(text) > 12:
        raise CellError(f"{text!r} is not a whole number")
    return int(float(text)) if "." in text else int(text)


def parse_float(text: str) -> float:
    try:
        value = float(text.strip().replace(",", "."))
    except ValueError as exc:
        raise CellError(f"{text!r} is not a number") from exc
    if not math.isfinite(value):
        raise CellError(f"{text!r} is not a number")
    return value


def split_list(text: str, sep: str | None) -> list[str]:
    """A multi-valued cell: ``sep`` if the mapping gives one (Kobo: a space), else ; , | ;
    new lines always separate (split multiple-choice columns are joined with them)."""
    if sep == " ":
        parts = text.split()
    elif sep:
        parts = re.split(f"{re.escape(sep)}|\n", text)
    else:
        parts = _SPLIT.split(text)
    return [p.strip() for p in parts if p.strip()]


def parse_messages(text: str) -> dict[str, str]:
    """Report-back messages as a JSON object of language code to text."""
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise CellError('messages must be a JSON object such as {"fr": "..."}') from exc
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise CellError('messages must be a JSON object such as {"fr": "..."}')
    return value


def parse_uid(text: str) -> str:
    try:
        return str(uuid.UUID(text.strip()))
    except ValueError as exc:
        raise CellError(f"{text.strip()!r} is not a uid") from exc


def _codes(text: str) -> list[str]:
    return split_list(text, ";")


# The parser of each kind that is not a date (a dict built once, not on every cell).
_PARSERS: dict[str, Callable[[str], Any]] = {
    "bool": parse_bool, "int": parse_int, "float": parse_float, "json": parse_messages,
    "uid": parse_uid, "codes": _codes}


def typed(kind: str, text: str, fmt: str | None, zone: tzinfo) -> Any:
    """A non-empty cell as the value a field of ``kind`` (``tracker.io.mapping.FIELDS``)
    holds; free text is kept as written, codes and places lose their outer spaces."""
    if kind == "datetime":
        return parse_datetime(text, fmt, zone)
    if kind == "date":
        return parse_date(text, fmt)
    parse = _PARSERS.get(kind)
    if parse is not None:
        return parse(text)
    return text.strip() if kind in ("code", "place") else text
