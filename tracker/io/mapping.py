"""The import mapping: a TOML file that says which column of a file feeds which field.

It is checked whole before a single row is read, so a typo in a mapping stops the run
with one clear message instead of rejecting every row. The format is documented in
``data/mappings/README.md``; ``FIELDS`` below is its list of target fields.
"""

import json
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tracker.errors import HearbackError


class MappingError(HearbackError):
    """The mapping cannot be used (bad TOML, unknown field, a column the file lacks)."""


@dataclass(frozen=True)
class FieldSpec:
    kind: str  # text, code, codes, datetime, date, bool, int, float, uid, json, place
    required: bool = False
    help: str = ""


_T, _C, _DT, _B, _I = "text", "code", "datetime", "bool", "int"

FIELDS: dict[str, dict[str, FieldSpec]] = {
    "input": {
        "uid": FieldSpec("uid", help="Hearback uid (keeps a record's identity across databases)"),
        "received_at": FieldSpec(_DT, True, "when the community said it"),
        "channel_code": FieldSpec(_C, True, "channel code, e.g. town_hall"),
        "locality": FieldSpec("place", True, "place name or path 'Region > Territory > Place'"),
        "type_code": FieldSpec(_C, True, "input type code, e.g. request"),
        "theme_codes": FieldSpec("codes", True, "one or more theme codes"),
        "urgency": FieldSpec(_C, help="low, medium, high, critical"),
        "sensitivity": FieldSpec(_C, help="public, internal, confidential, restricted"),
        "language": FieldSpec(_C, True, "language code, e.g. fr"),
        "original_text": FieldSpec(_T, True, "the community's words"),
        "translation": FieldSpec(_T),
        "summary": FieldSpec(_T),
        "component_code": FieldSpec(_C),
        "section_code": FieldSpec(_C),
        "source_group": FieldSpec(_T, help="group description; never a person's name"),
        "source_code": FieldSpec(_T, help="pseudonymous code of a protected source"),
        **{f: FieldSpec(_B) for f in ("source_women", "source_youth", "source_displaced",
                                      "source_minority", "consent_contact")},
        **{f: FieldSpec(_I) for f in ("girls", "young_women", "women", "boys", "young_men", "men")},
        "consent_public": FieldSpec(_C, help="none, aggregate, quote"),
        "respond_by": FieldSpec(_DT, help="deadline; default: the service level"),
        "acknowledged_at": FieldSpec(_DT),
        "recorded_at": FieldSpec(_DT, help="when it was first entered; default: now"),
        "recorded_by": FieldSpec(_T, help="user name of who recorded it, kept when an admin "
                                          "imports and the account exists; else the importer"),
    },
    "action": {
        "uid": FieldSpec("uid", help="rows with the same uid are one action linked to each input"),
        "kind_code": FieldSpec(_C, True, "action kind code"),
        "title": FieldSpec(_T, True),
        "description": FieldSpec(_T),
        "component_code": FieldSpec(_C),
        "section_code": FieldSpec(_C),
        "locality": FieldSpec("place"),
        "status": FieldSpec(_C, help="planned, in_progress, done, not_possible"),
        "not_possible_reason": FieldSpec(_C),
        "is_public_commitment": FieldSpec(_B),
        "due_date": FieldSpec("date"),
        "created_at": FieldSpec(_DT, help="default: the input's received_at"),
        "started_at": FieldSpec(_DT),
        "closed_at": FieldSpec(_DT, help="default for a closed action: created_at"),
        "outcome": FieldSpec(_T),
        "link_kind": FieldSpec(_C, help="answers, informed_by, referred"),
        "linked_at": FieldSpec(_DT, help="default: created_at"),
    },
    "report_back": {
        "uid": FieldSpec("uid", help="rows with the same uid are one report-back to each input"),
        "audience": FieldSpec(_C, True, "person, community, committee, public"),
        "method": FieldSpec(_C, True, "town_hall, radio, sms, visit, notice_board, ..."),
        "reported_at": FieldSpec(_DT, True),
        "message": FieldSpec(_T, help="the message, in `language`"),
        "language": FieldSpec(_C, help="language of `message`; default: the input's"),
        "messages": FieldSpec("json", help='every version as JSON: {"fr": "...", "en": "..."}'),
        "locality": FieldSpec("place"),
        "approved_public": FieldSpec(_B),
        "created_at": FieldSpec(_DT),
    },
    "locality": {
        "path": FieldSpec("text", True, "full path 'Mission > Region > Territory > Place'"),
        "level": FieldSpec(_C, help="mission, region, territory, locality (default)"),
        "setting": FieldSpec(_C, help="urban, rural, remote"),
        "place_type": FieldSpec(_T),
        "latitude": FieldSpec("float"),
        "longitude": FieldSpec("float"),
    },
}
SECTIONS = ("locality", "input", "action", "report_back")  # the order a row is applied in
_RULE_KEYS = {"column", "value", "format", "map", "other", "default", "split"}
_SOURCE_KEYS = {"name", "format", "sheet", "encoding", "delimiter", "header_row", "id_column",
                "parent", "timezone", "formula_escape"}
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass(frozen=True)
class When:
    """Apply a section only to rows whose ``column`` holds one of ``values``."""

    column: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class FieldRule:
    """Where one target field's value comes from, and how it is translated."""

    column: str | None = None
    value: str | None = None
    format: str | None = None
    map: dict[str, str] = field(default_factory=dict)
    other: str | None = None
    default: str | None = None
    split: str | None = None


@dataclass(frozen=True)
class Section:
    name: str
    fields: dict[str, FieldRule]
    when: When | None = None


@dataclass(frozen=True)
class SourceOptions:
    name: str = "import"  # the namespace of the file's ids: keep it for every export of a form
    format: str | None = None  # csv, xlsx, kobo, odk; default: from the file
    sheet: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    header_row: int = 1
    id_column: str | None = None
    parent: str | None = None  # where unknown places are created
    timezone: str = "UTC"  # for dates written without an offset
    formula_escape: bool = False  # undo the apostrophe Hearback's exports put before = + - @

    @property
    def table_format(self) -> str | None:
        return {"kobo": None, "odk": None}.get(self.format or "", self.format)


@dataclass(frozen=True)
class Mapping:
    source: SourceOptions
    sections: dict[str, Section]

    def columns(self) -> list[str]:
        """Every file column the mapping reads, in order of first mention."""
        seen: dict[str, None] = {}
        if self.source.id_column:
            seen[self.source.id_column] = None
        for section in self.sections.values():
            if section.when:
                seen[section.when.column] = None
            for rule in section.fields.values():
                if rule.column:
                    seen[rule.column] = None
        return list(seen)

    def with_source(self, **changes: Any) -> "Mapping":
        return replace(self, source=replace(self.source, **changes))

    def to_toml(self) -> str:
        return to_toml(self)


def load_mapping(path: str | Path) -> Mapping:
    """Read and check a mapping file; its name is the default namespace of the file's ids."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise MappingError(f"cannot read the mapping {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise MappingError(f"the mapping {path} is not UTF-8 text") from exc
    return parse_mapping(text, default_name=path.stem)


def parse_mapping(text: str, *, default_name: str = "import") -> Mapping:
    """Check a mapping given as TOML text (the dashboard edits it in place)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(f"the mapping is not valid TOML: {exc}") from exc
    unknown = set(data) - {"source", *SECTIONS}
    if unknown:
        raise MappingError(f"unknown section [{sorted(unknown)[0]}] in the mapping; "
                           f"use [source], [input], [action], [report_back] or [locality]")
    if "input" not in data:
        raise MappingError("the mapping needs an [input] section")
    source = _source(_table(data.get("source", {}), "[source]"), default_name)
    sections = {name: _section(name, _table(data[name], f"[{name}]"))
                for name in SECTIONS if name in data}
    return Mapping(source=source, sections=sections)


def _table(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MappingError(f"{where} must be a table")
    return value


def _text(value: Any, where: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    raise MappingError(f"{where} must be text, a number or true/false")


def _source(data: dict[str, Any], default_name: str) -> SourceOptions:
    unknown = set(data) - _SOURCE_KEYS
    if unknown:
        raise MappingError(f"[source] has no setting {sorted(unknown)[0]!r}; "
                           f"known: {', '.join(sorted(_SOURCE_KEYS))}")
    fmt = data.get("format")
    if fmt is not None and fmt not in ("csv", "xlsx", "kobo", "odk"):
        raise MappingError(f"[source] format {fmt!r}: use csv, xlsx, kobo or odk")
    header_row = data.get("header_row", 1)
    if not isinstance(header_row, int) or isinstance(header_row, bool) or header_row < 1:
        raise MappingError("[source] header_row must be a whole number from 1")
    zone = data.get("timezone", "UTC")
    try:
        ZoneInfo(str(zone))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise MappingError(f"[source] timezone {zone!r} is not a known time zone") from exc
    escape = data.get("formula_escape", False)
    if not isinstance(escape, bool):
        raise MappingError("[source] formula_escape must be true or false")
    text = {k: _text(data[k], f"[source] {k}") for k in
            ("name", "sheet", "encoding", "delimiter", "id_column", "parent") if k in data}
    if "delimiter" in text and len(text["delimiter"].replace("\\t", "\t")) != 1:
        raise MappingError("[source] delimiter must be one character")
    if "delimiter" in text:
        text["delimiter"] = text["delimiter"].replace("\\t", "\t")
    name = text.pop("name", default_name).strip()
    if not name or len(name) > 200:
        raise MappingError("[source] name must be 1 to 200 characters")
    return SourceOptions(name=name, format=fmt, header_row=header_row, timezone=str(zone),
                         formula_escape=escape, **text)


def _section(name: str, data: dict[str, Any]) -> Section:
    specs = FIELDS[name]
    when = None
    fields: dict[str, FieldRule] = {}
    for key, value in data.items():
        if key == "when":
            when = _when(name, value)
            continue
        if key not in specs:
            raise MappingError(f"[{name}] has no field {key!r}; known: {', '.join(specs)}")
        fields[key] = _rule(f"[{name}] {key}", specs[key], value)
    missing = [k for k, s in specs.items() if s.required and k not in fields]
    if name == "locality" and "path" in missing:
        raise MappingError("[locality] needs path")
    if name != "locality" and missing:
        raise MappingError(f"[{name}] needs {', '.join(missing)}")
    if name == "report_back" and "message" not in fields and "messages" not in fields:
        raise MappingError("[report_back] needs message (or messages)")
    return Section(name=name, fields=fields, when=when)


def _when(section: str, value: Any) -> When:
    where = f"[{section}] when"
    if not isinstance(value, dict) or set(value) != {"column", "in"}:
        raise MappingError(f'{where} must be {{ column = "...", in = ["...", ...] }}')
    values = value["in"]
    if not isinstance(values, list) or not values:
        raise MappingError(f"{where}: `in` must be a list of values")
    return When(column=_text(value["column"], where),
                values=tuple(_text(v, where).strip() for v in values))


def _rule(where: str, spec: FieldSpec, value: Any) -> FieldRule:
    if not isinstance(value, dict):
        raise MappingError(f'{where} must be a table such as {{ column = "..." }}')
    unknown = set(value) - _RULE_KEYS
    if unknown:
        raise MappingError(f"{where}: unknown key {sorted(unknown)[0]!r}; "
                           f"use {', '.join(sorted(_RULE_KEYS))}")
    if ("column" in value) == ("value" in value):
        raise MappingError(f"{where}: give either column or value")
    if "format" in value and spec.kind not in ("datetime", "date"):
        raise MappingError(f"{where}: format applies to dates only")
    if "split" in value and spec.kind != "codes":
        raise MappingError(f"{where}: split applies to lists (theme_codes) only")
    mapped = value.get("map", {})
    if not isinstance(mapped, dict):
        raise MappingError(f'{where}: map must be a table {{ "source value" = "our value" }}')
    rule = FieldRule(
        column=_text(value["column"], where).strip() if "column" in value else None,
        value=_text(value["value"], where) if "value" in value else None,
        format=_text(value["format"], where) if "format" in value else None,
        map={str(k).strip(): _text(v, where) for k, v in mapped.items()},
        other=_text(value["other"], where) if "other" in value else None,
        default=_text(value["default"], where) if "default" in value else None,
        split=_text(value["split"], where) if "split" in value else None,
    )
    if rule.column == "":
        raise MappingError(f"{where}: the column name is empty")
    return rule


# --- writing a mapping back (the dashboard saves an edited suggestion) -----------------------


def _key(name: str) -> str:
    return name if _BARE_KEY.match(name) else json.dumps(name, ensure_ascii=False)


def _val(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def _inline(rule: FieldRule) -> list[tuple[str, Any]]:
    pairs = [("column", rule.column), ("value", rule.value), ("format", rule.format),
             ("other", rule.other), ("default", rule.default), ("split", rule.split)]
    return [(k, v) for k, v in pairs if v is not None]


def to_toml(mapping: Mapping, comments: dict[str, str] | None = None) -> str:
    """TOML text that ``parse_mapping`` reads back as the same mapping.

    ``comments`` maps "section.field" to a note written above that field (the
    suggestion uses it to flag guesses).
    """
    comments = comments or {}
    src = mapping.source
    lines = ["[source]"]
    defaults = SourceOptions()
    for name in ("name", "format", "sheet", "encoding", "delimiter", "header_row", "id_column",
                 "parent", "timezone", "formula_escape"):
        value = getattr(src, name)
        if value is not None and (value != getattr(defaults, name) or name == "name"):
            lines.append(f"{name} = {_val(value)}")
    for section in mapping.sections.values():
        lines += ["", f"[{section.name}]"]
        if section.when:
            values = ", ".join(_val(v) for v in section.when.values)
            lines.append(f"when = {{ column = {_val(section.when.column)}, in = [{values}] }}")
        nested: list[tuple[str, FieldRule]] = []
        for name, rule in section.fields.items():
            if rule.map:
                nested.append((name, rule))
                continue
            if f"{section.name}.{name}" in comments:
                lines.append(f"# {comments[section.name + '.' + name]}")
            body = ", ".join(f"{k} = {_val(v)}" for k, v in _inline(rule))
            lines.append(f"{name} = {{ {body} }}")
        for name, rule in nested:
            lines += ["", f"[{section.name}.{name}]"]
            if f"{section.name}.{name}" in comments:
                lines.append(f"# {comments[section.name + '.' + name]}")
            lines += [f"{k} = {_val(v)}" for k, v in _inline(rule)]
            lines += ["", f"[{section.name}.{name}.map]"]
            lines += [f"{_key(k)} = {_val(v)}" for k, v in rule.map.items()]
    return "\n".join(lines) + "\n"
