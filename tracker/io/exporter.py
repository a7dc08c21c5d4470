"""Exports for partners, and Hearback's own exchange format, as CSV or XLSX.

Only what the exporting user may see goes out (``tracker.access.visible_inputs``; an
action only with an input the user may read, as in the register), narrowed by the
dashboard's ``Filters``. Dates are ISO 8601 in UTC; text that a spreadsheet would run as
a formula is neutralised with a leading apostrophe (and a text that already starts
with an apostrophe before a formula sign gets one more, so the importer's
``formula_escape`` gives the exact text back).

``what="all"`` is the exchange format: one table whose ``record`` column says what a
row is. First every place (``record = "locality"``, parents before children), then
each input with one row per linked action or report-back, paired side by side
(``record = "input"``), then actions linked to no input (``record = "action"``).
``data/mappings/hearback_export.toml`` imports it back: uids, times, statuses,
commitments, links and messages come back exactly, so the figures are the same.
"""

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from itertools import zip_longest
from pathlib import Path
from typing import IO, Any

from sqlalchemy import exists, select
from sqlmodel import Session

from tracker.access import visible_inputs
from tracker.errors import ValidationError
from tracker.io.lookup import SHOWN_SEPARATOR
from tracker.io.spreadsheet import safe_text
from tracker.loop import loop_state_expr
from tracker.metrics import Filters, scope
from tracker.models import (
    Action,
    ActionInput,
    Input,
    InputTheme,
    Locality,
    ReportBack,
    ReportBackInput,
    ReportBackMessage,
    User,
)
from tracker.register import visible_actions

XLSX_CELL_LIMIT = 32_767  # characters; a spreadsheet program cuts a longer cell
WHATS = ("inputs", "actions", "report-backs", "all")
FORMATS = ("csv", "xlsx")
_CHUNK = 2000

_in, _loc, _ac, _ai = Input.__table__, Locality.__table__, Action.__table__, ActionInput.__table__
_rb, _rbi, _rbm = ReportBack.__table__, ReportBackInput.__table__, ReportBackMessage.__table__

PLACE_COLUMNS = ["locality", "locality_level", "locality_setting", "locality_place_type",
                 "locality_latitude", "locality_longitude"]
_INPUT_FIELDS = [  # (column, input table column)
    ("input_uid", "uid"), ("received_at", "received_at"), ("recorded_at", "recorded_at"),
    ("channel", "channel_code"), ("type", "type_code"), ("themes", None),
    ("urgency", "urgency"), ("sensitivity", "sensitivity"), ("language", "language"),
    ("original_text", "original_text"), ("translation", "translation"),
    ("summary", "summary"), ("component", "component_code"), ("section", "section_code"),
    # A protected source's pseudonym stays in the database that recorded it: an export
    # for partners must not let anyone put one source's contributions side by side.
    ("source_group", "source_group"),
    *[(c, c) for c in ("source_women", "source_youth", "source_displaced", "source_minority",
                       "girls", "young_women", "women", "boys", "young_men", "men",
                       "consent_contact", "consent_public", "respond_by", "acknowledged_at")],
]
INPUT_COLUMNS = [c for c, _ in _INPUT_FIELDS] + ["loop_state", "loop_closed_at", "recorded_by"]
_ACTION_FIELDS = [
    ("action_uid", "uid"), ("action_kind", "kind_code"), ("action_title", "title"),
    ("action_description", "description"), ("action_component", "component_code"),
    ("action_section", "section_code"), ("action_locality", None),
    ("action_status", "status"), ("action_not_possible_reason", "not_possible_reason"),
    ("action_public_commitment", "is_public_commitment"), ("action_due_date", "due_date"),
    ("action_created_at", "created_at"), ("action_started_at", "started_at"),
    ("action_closed_at", "closed_at"), ("action_outcome", "outcome"),
]
ACTION_COLUMNS = [c for c, _ in _ACTION_FIELDS]
LINK_COLUMNS = ["link_kind", "linked_at"]
REPORT_BACK_COLUMNS = ["report_back_uid", "report_back_audience", "report_back_method",
                       "report_back_reported_at", "report_back_locality",
                       "report_back_approved_public", "report_back_created_at",
                       "report_back_messages"]
ALL_COLUMNS = ["record", *PLACE_COLUMNS, *INPUT_COLUMNS,
               *ACTION_COLUMNS, *LINK_COLUMNS, *REPORT_BACK_COLUMNS]


@dataclass(frozen=True)
class ExportSummary:
    what: str
    format: str
    rows: int
    path: str | None = None


def cell(value: Any) -> Any:
    """A value as an export cell: text neutralised, times ISO 8601 UTC, numbers kept."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | float):
        return value
    return safe_text(str(value))


class _Reader:
    """Reads what one user may export, a chunk of inputs at a time."""

    def __init__(self, session: Session, actor: User, filters: Filters) -> None:
        self.session, self.actor, self.filters = session, actor, filters
        rows = session.execute(select(_loc)).all()
        self.places = {r.id: r for r in rows}
        self.paths: dict[int, str] = {}
        self.depth: dict[int, int] = {}
        for r in rows:
            parts, node, guard = [], r, 0
            while node is not None and guard < 20:
                parts.append(node.name)
                node = self.places.get(node.parent_id) if node.parent_id else None
                guard += 1
            self.paths[r.id] = SHOWN_SEPARATOR.join(reversed(parts))
            self.depth[r.id] = len(parts)
        self.users = dict(session.execute(select(User.__table__.c.id, User.__table__.c.username)).all())
        self.scope = [*scope(session, filters), visible_inputs(actor)]

    def path(self, place_id: int | None) -> str | None:
        return self.paths.get(place_id) if place_id is not None else None

    def input_ids(self) -> Iterator[list[int]]:
        stmt = (select(_in.c.id).select_from(_in.join(_loc, _in.c.locality_id == _loc.c.id))
                .where(*self.scope).order_by(_in.c.id))
        ids = list(self.session.execute(stmt).scalars())
        for start in range(0, len(ids), _CHUNK):
            yield ids[start:start + _CHUNK]

    def inputs(self, ids: list[int]) -> list[Any]:
        return list(self.session.execute(
            select(_in, loop_state_expr().label("loop_state")).where(_in.c.id.in_(ids))
            .order_by(_in.c.id)))

    def themes(self, ids: list[int]) -> dict[int, list[str]]:
        th = InputTheme.__table__.c
        out: dict[int, list[str]] = {}
        for i, code in self.session.execute(select(th.input_id, th.theme_code)
                                            .where(th.input_id.in_(ids))
                                            .order_by(th.input_id, th.theme_code)):
            out.setdefault(i, []).append(code)
        return out

    def links(self, ids: list[int]) -> dict[int, list[Any]]:
        stmt = (select(_ai.c.input_id, _ai.c.kind.label("link_kind"), _ai.c.linked_at, _ac)
                .join(_ac, _ac.c.id == _ai.c.action_id).where(_ai.c.input_id.in_(ids))
                .order_by(_ai.c.input_id, _ai.c.linked_at, _ac.c.id))
        out: dict[int, list[Any]] = {}
        for row in self.session.execute(stmt):
            out.setdefault(row.input_id, []).append(row)
        return out

    def reports(self, ids: list[int]) -> dict[int, list[Any]]:
        stmt = (select(_rbi.c.input_id, _rb).join(_rb, _rb.c.id == _rbi.c.report_back_id)
                .where(_rbi.c.input_id.in_(ids))
                .order_by(_rbi.c.input_id, _rb.c.reported_at, _rb.c.id))
        out: dict[int, list[Any]] = {}
        for row in self.session.execute(stmt):
            out.setdefault(row.input_id, []).append(row)
        return out

    def messages(self, report_ids: set[int]) -> dict[int, dict[str, str]]:
        out: dict[int, dict[str, str]] = {}
        ids = sorted(report_ids)
        for start in range(0, len(ids), _CHUNK):
            for rid, lang, text in self.session.execute(
                select(_rbm.c.report_back_id, _rbm.c.language, _rbm.c.text)
                .where(_rbm.c.report_back_id.in_(ids[start:start + _CHUNK]))
            ):
                out.setdefault(rid, {})[lang] = text
        return out


def _place_row(r: Any, path: str) -> dict[str, Any]:
    return {"locality": path, "locality_level": r.level, "locality_setting": r.setting,
            "locality_place_type": r.place_type, "locality_latitude": r.latitude,
            "locality_longitude": r.longitude}


def _input_row(reader: _Reader, r: Any, themes: list[str]) -> dict[str, Any]:
    row = {c: (getattr(r, f) if f else None) for c, f in _INPUT_FIELDS}
    row.update(locality=reader.path(r.locality_id), themes=";".join(themes),
               loop_state=r.loop_state, loop_closed_at=r.closed_at,
               recorded_by=reader.users.get(r.recorded_by_id))
    return row


def _action_row(reader: _Reader, r: Any) -> dict[str, Any]:
    row = {c: (getattr(r, f) if f else None) for c, f in _ACTION_FIELDS}
    row["action_locality"] = reader.path(r.locality_id)
    return row


def _report_row(reader: _Reader, r: Any, messages: dict[str, str]) -> dict[str, Any]:
    return {"report_back_uid": r.uid, "report_back_audience": r.audience,
            "report_back_method": r.method, "report_back_reported_at": r.reported_at,
            "report_back_locality": reader.path(r.locality_id),
            "report_back_approved_public": r.approved_public,
            "report_back_created_at": r.created_at,
            "report_back_messages": json.dumps(messages, ensure_ascii=False, sort_keys=True)}


def _no_scope_filter(filters: Filters) -> bool:
    return not (filters.area_id or filters.theme_code or filters.channel_code
                or filters.component_code)


def rows(session: Session, actor: User, what: str = "all",
         filters: Filters | None = None) -> tuple[list[str], Iterator[dict[str, Any]]]:
    """The columns and rows (plain values, not yet cells) of an export."""
    if what not in WHATS:
        raise ValidationError(f"export what? use one of {', '.join(WHATS)}", field="what")
    reader = _Reader(session, actor, filters or Filters())
    if what == "actions":
        return [*ACTION_COLUMNS, "input_uids"], _actions(reader)
    if what == "report-backs":
        return [*REPORT_BACK_COLUMNS, "input_uids"], _reports(reader)
    if what == "inputs":
        return ["locality", *INPUT_COLUMNS], _inputs(reader, everything=False)
    return ALL_COLUMNS, _everything(reader)


def _inputs(reader: _Reader, everything: bool) -> Iterator[dict[str, Any]]:
    for ids in reader.input_ids():
        themes = reader.themes(ids)
        links = reader.links(ids) if everything else {}
        reports = reader.reports(ids) if everything else {}
        messages = reader.messages({r.id for rs in reports.values() for r in rs})
        for r in reader.inputs(ids):
            base = {"record": "input", **_input_row(reader, r, themes.get(r.id, []))}
            pairs = list(zip_longest(links.get(r.id, []), reports.get(r.id, [])))
            for link, report in pairs or [(None, None)]:
                row = dict(base)
                if link is not None:
                    row |= _action_row(reader, link) | {"link_kind": link.link_kind,
                                                        "linked_at": link.linked_at}
                if report is not None:
                    row |= _report_row(reader, report, messages.get(report.id, {}))
                yield row


def _everything(reader: _Reader) -> Iterator[dict[str, Any]]:
    order = sorted(reader.places.values(), key=lambda p: (reader.depth[p.id], reader.paths[p.id]))
    for place in order:
        yield {"record": "locality", **_place_row(place, reader.paths[place.id])}
    yield from _inputs(reader, everything=True)
    if _no_scope_filter(reader.filters):
        stmt = select(_ac).where(~exists().where(_ai.c.action_id == _ac.c.id)).order_by(_ac.c.id)
        start, end = reader.filters.period_bounds()
        if start:
            stmt = stmt.where(_ac.c.created_at >= start)
        if end:
            stmt = stmt.where(_ac.c.created_at < end)
        for r in reader.session.execute(stmt):
            yield {"record": "action", **_action_row(reader, r)}


def _linked_uids(reader: _Reader, link: Any, owner: str, ids: list[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    stmt = (select(link.c[owner], _in.c.uid)
            .select_from(link.join(_in, _in.c.id == link.c.input_id)
                         .join(_loc, _in.c.locality_id == _loc.c.id))
            .where(link.c[owner].in_(ids), *reader.scope).order_by(link.c[owner], _in.c.id))
    for owner_id, uid in reader.session.execute(stmt):
        out.setdefault(owner_id, []).append(uid)
    return out


def _actions(reader: _Reader) -> Iterator[dict[str, Any]]:
    stmt = select(_ac).where(visible_actions(reader.actor)).order_by(_ac.c.id)
    for chunk in reader.session.execute(stmt).partitions(_CHUNK):
        uids = _linked_uids(reader, _ai, "action_id", [r.id for r in chunk])
        for r in chunk:
            linked = uids.get(r.id, [])
            if linked or _no_scope_filter(reader.filters):
                yield _action_row(reader, r) | {"input_uids": " ".join(linked)}


def _reports(reader: _Reader) -> Iterator[dict[str, Any]]:
    for chunk in reader.session.execute(select(_rb).order_by(_rb.c.id)).partitions(_CHUNK):
        ids = [r.id for r in chunk]
        uids = _linked_uids(reader, _rbi, "report_back_id", ids)
        messages = reader.messages({i for i in ids if i in uids})
        for r in chunk:
            if r.id in uids:
                yield _report_row(reader, r, messages.get(r.id, {})) | {
                    "input_uids": " ".join(uids[r.id])}


def export(session: Session, actor: User, *, what: str = "all", format: str = "csv",
           out: str | Path | IO[bytes], filters: Filters | None = None) -> ExportSummary:
    """Write an export to ``out`` (a path or a binary file); return what was written."""
    if format not in FORMATS:
        raise ValidationError(f"export format? use {' or '.join(FORMATS)}", field="format")
    columns, data = rows(session, actor, what, filters)
    path = str(out) if isinstance(out, str | Path) else None
    write = _write_xlsx if format == "xlsx" else _write_csv
    count = write(columns, data, out, what)
    return ExportSummary(what=what, format=format, rows=count, path=path)


def export_bytes(session: Session, actor: User, *, what: str = "all", format: str = "csv",
                 filters: Filters | None = None) -> bytes:
    """An export as bytes, for a download button."""
    buffer = io.BytesIO()
    export(session, actor, what=what, format=format, out=buffer, filters=filters)
    return buffer.getvalue()


def _write_csv(columns: list[str], data: Iterator[dict[str, Any]], out: str | Path | IO[bytes],
               what: str) -> int:
    raw: IO[bytes] = open(out, "wb") if isinstance(out, str | Path) else out  # noqa: SIM115
    text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
    count = 0
    try:
        writer = csv.writer(text)
        writer.writerow(columns)
        for row in data:
            writer.writerow([cell(row.get(c)) for c in columns])
            count += 1
    finally:
        text.flush()
        text.detach()
        if isinstance(out, str | Path):
            raw.close()
    return count


def _write_xlsx(columns: list[str], data: Iterator[dict[str, Any]], out: str | Path | IO[bytes],
                what: str) -> int:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    book = Workbook(write_only=True)
    sheet = book.create_sheet(what)
    sheet.append(columns)
    count = 0
    for row in data:
        # Characters a sheet cannot hold go before the formula check: "\x01=1+1" would
        # otherwise reach the sheet as the formula "=1+1".
        values = [cell(ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v)
                  for v in (row.get(c) for c in columns)]
        for column, v in zip(columns, values, strict=True):
            if isinstance(v, str) and len(v) > XLSX_CELL_LIMIT:
                raise ValidationError(
                    f"{what} {row.get('uid') or row.get('id') or ''}: its {column} holds "
                    f"{len(v):,} characters, more than a spreadsheet cell keeps "
                    f"({XLSX_CELL_LIMIT:,}): export as CSV, which keeps every character",
                    field="format")
        sheet.append(values)
        count += 1
    book.save(out)
    return count
