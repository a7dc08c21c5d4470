"""A mapped row's cells as typed field values, each cell text converted once per run.

The value of a field is a pure function of its cell's text: the rule, the kind and the
time zone are the run's. A log repeats its dates, places, channels and statuses row
after row, so each field remembers what a text became (or why it could not become
anything) and a repeated cell costs one dictionary lookup instead of a strip, a map, a
strptime and a time-zone conversion. Free text is not remembered: it rarely repeats and
costs next to nothing to read. ``tracker.io.rows`` applies the readers in the order of
the mapping, so a row is rejected for the same cell, with the same words, as before.
"""

import hashlib
import operator
import uuid
from collections.abc import Callable
from datetime import tzinfo
from typing import Any

from tracker.io import values as V
from tracker.io.columns import CellAt, Getter
from tracker.io.mapping import FIELDS, FieldRule, Section
from tracker.io.plans import RowError, unescape_formula

Reader = Callable[[dict[str, str]], Any]
# Distinct texts a field remembers; past this (a column of unique ids) it starts afresh,
# so a huge file never holds more than this many values per field.
CACHE_LIMIT = 20_000
_MISSING: Any = object()
_VARIANT = {c: "89ab"[int(c, 16) & 3] for c in "0123456789abcdef"}


def field_reader(section: str, name: str, kind: str, rule: FieldRule, zone: tzinfo) -> Reader:
    """The function turning a row (column -> text) into the value of one field, or raising
    the RowError that names the cell; the same results as reading the cell afresh."""
    where = rule.column or f"[{section}] {name}"
    folded = {k.casefold(): v for k, v in rule.map.items()}
    mapped_kind = bool(rule.map) or rule.other is not None

    def mapped(text: str) -> str:
        if text in rule.map:
            return rule.map[text]
        found = folded.get(text.casefold())
        if found is not None:
            return found
        if rule.other is not None:
            return rule.other
        if not rule.map:
            return text
        raise RowError(where, f"{text!r} is not in the map (add it, or set `other`)")

    def compute(raw: str | None) -> Any:
        if raw is None:  # a constant (`value = ...`): no column
            text = rule.value or ""
        else:
            text = raw.strip()
            if not text:
                text = rule.default or ""
            elif kind == "text" and not mapped_kind:
                text = raw  # free text is kept as written, spaces and all
            elif kind == "codes":
                items = [mapped(item) for item in V.split_list(text, rule.split)]
                text = ";".join(i for i in items if i)
            elif mapped_kind:
                text = mapped(text)
        if not text.strip():
            return None
        try:
            return V.typed(kind, text, rule.format, zone)
        except V.CellError as exc:
            raise RowError(where, str(exc)) from None

    column = rule.column
    if column is not None and kind == "text" and not mapped_kind:
        # Free text: a cell with more than spaces is kept as written (what compute() and
        # typed() give it); an empty one gets the default, worked out once.
        blank = compute("")
        return lambda row: row[column] if row[column].strip() else blank
    cache: dict[str | None, Any] = {}
    refused: dict[str | None, tuple[str, str]] = {}
    # A list (codes) or dict (json) is handed out as a copy: the caller may change it.
    copy: Callable[[Any], Any] | None = {"codes": list, "json": dict}.get(kind)

    def read(row: dict[str, str]) -> Any:
        raw = None if column is None else row[column]
        value = cache.get(raw, _MISSING)
        if value is _MISSING:
            why = refused.get(raw)
            if why is not None:
                raise RowError(*why)
            if len(cache) + len(refused) >= CACHE_LIMIT:
                cache.clear()
                refused.clear()
            try:
                value = compute(raw)
            except RowError as exc:
                refused[raw] = (exc.column, exc.reason)
                raise
            cache[raw] = value
        return copy(value) if copy is not None and value is not None else value

    return read


def section_readers(section: Section, zone: tzinfo) -> list[tuple[str, Reader]]:
    """The readers of a section's fields, in the mapping's order."""
    specs = FIELDS[section.name]
    return [(name, field_reader(section.name, name, specs[name].kind, rule, zone))
            for name, rule in section.fields.items()]


def row_loader(getters: dict[str, Getter], escape: bool) -> Callable[[list[str]], dict[str, str]]:
    """The function reading every column the mapping uses once, as text: a NUL character
    rejects the row (naming the first column holding one), an export's formula apostrophe
    is undone when the mapping says so."""
    columns = list(getters)
    calls = list(getters.values())
    # Plain columns (not split multiple choices) are fetched together, in one C call.
    indexes = [get.index for get in calls if isinstance(get, CellAt)]
    fetch = (operator.itemgetter(*indexes) if len(indexes) == len(calls) and len(calls) > 1
             else None)
    width = max(indexes, default=-1) + 1

    def load(cells: list[str]) -> dict[str, str]:
        if fetch is not None and len(cells) >= width:
            texts: Any = fetch(cells)
        else:
            texts = [get(cells) for get in calls]
        if "\x00" in "".join(texts):
            for column, text in zip(columns, texts, strict=True):
                if "\x00" in text:
                    raise RowError(column, "the cell holds a NUL character")
        if escape:
            texts = [unescape_formula(t) if t.startswith("'") else t for t in texts]
        return dict(zip(columns, texts, strict=True))

    return load


def uuid5_maker(namespace: uuid.UUID) -> Callable[[str], str]:
    """``str(uuid.uuid5(namespace, name))``, the same text, without building UUID objects
    (three per imported row): the SHA-1 of the namespace is started once."""
    start = hashlib.sha1(namespace.bytes, usedforsecurity=False)

    def make(name: str) -> str:
        digest = start.copy()
        digest.update(name.encode("utf-8"))
        h = digest.hexdigest()
        return f"{h[:8]}-{h[8:12]}-5{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:32]}"

    return make
