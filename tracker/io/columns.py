"""Finding a mapping's columns among a file's headers, as KoboToolbox and ODK write them.

A mapping names a column as a person reads it (``issues``); the export may call it
``group_needs/issues`` (Kobo, XLSX and CSV), ``group_needs-issues`` (ODK Central), or
split a multiple choice into one 0/1 column per option (``issues/water``,
``issues/security``). A ``Getter`` hides which it was: it returns the cell as text, a
split multiple choice as the chosen options, one per line (every list split reads that).
"""

import re
from collections.abc import Callable
from dataclasses import dataclass

from tracker.io.mapping import Mapping, MappingError

Getter = Callable[[list[str]], str]
_TRUE = frozenset({"1", "true", "yes", "oui", "x"})
_SPACE = re.compile(r"\s+")


def _norm(name: str) -> str:
    return _SPACE.sub(" ", name.strip().lower())


@dataclass(frozen=True)
class ColumnIndex:
    """The headers of one file, with the ways a mapping's column name can match them."""

    headers: list[str]

    def find(self, name: str) -> list[int]:
        """Indexes of the headers ``name`` means: exact, then ignoring case and spaces,
        then as the last part of a group path (``group/name`` or ``group-name``)."""
        exact = [i for i, h in enumerate(self.headers) if h == name]
        if exact:
            return exact
        wanted = _norm(name)
        loose = [i for i, h in enumerate(self.headers) if _norm(h) == wanted]
        if loose:
            return loose
        return [i for i, h in enumerate(self.headers)
                if _norm(h).endswith(("/" + wanted, "-" + wanted))]

    def options(self, name: str) -> list[tuple[int, str]]:
        """Split multiple-choice columns ``<name>/<option>`` (after any group path)."""
        wanted = _norm(name)
        found: list[tuple[int, str]] = []
        for i, header in enumerate(self.headers):
            head, sep, option = header.rpartition("/")
            if not sep or not option:
                continue
            base = _norm(head)
            if base == wanted or base.endswith(("/" + wanted, "-" + wanted)):
                found.append((i, option.strip()))
        return found

    def getter(self, name: str, purpose: str) -> Getter:
        """A function reading column ``name`` from a row's cells, or a MappingError."""
        found = self.find(name)
        if len(found) == 1:
            return CellAt(found[0])
        if len(found) > 1:
            names = ", ".join(repr(self.headers[i]) for i in found)
            raise MappingError(f"the column {name!r} ({purpose}) matches several headers: "
                               f"{names}; name it exactly")
        options = self.options(name)
        if options:
            return _join_options(options)
        shown = ", ".join(repr(h) for h in self.headers[:40])
        more = f" and {len(self.headers) - 40} more" if len(self.headers) > 40 else ""
        raise MappingError(f"the file has no column {name!r} ({purpose}); its columns are "
                           f"{shown}{more}")

    def header_of(self, name: str) -> str:
        """The header a mapping's column name resolved to (for rejection messages)."""
        found = self.find(name)
        return self.headers[found[0]] if len(found) == 1 else name


class CellAt:
    """The getter of one header's cell ("" past the end of a short row); the importer reads
    its ``index`` to fetch all such cells of a row at once."""

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index

    def __call__(self, cells: list[str]) -> str:
        return cells[self.index] if self.index < len(cells) else ""


def _join_options(options: list[tuple[int, str]]) -> Getter:
    def get(cells: list[str]) -> str:
        chosen = [opt for i, opt in options
                  if i < len(cells) and cells[i].strip().lower() in _TRUE]
        return "\n".join(chosen)

    return get


def bind(mapping: Mapping, headers: list[str]) -> dict[str, Getter]:
    """A getter for every column the mapping reads; the first missing one stops the run."""
    index = ColumnIndex(headers)
    purposes: dict[str, str] = {}
    if mapping.source.id_column:
        purposes.setdefault(mapping.source.id_column, "[source] id_column")
    for section in mapping.sections.values():
        if section.when:
            purposes.setdefault(section.when.column, f"[{section.name}] when")
        for field, rule in section.fields.items():
            if rule.column:
                purposes.setdefault(rule.column, f"[{section.name}] {field}")
    return {name: index.getter(name, purpose) for name, purpose in purposes.items()}
