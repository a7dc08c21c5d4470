"""Every export of hostile text opens as inert cells: no formula in any cell of any
column (CSV and XLSX, every ``what``), and the words themselves are all there."""

import csv
import io
import json
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlmodel import Session

from tests.utils.factories import T0, World, build_world, make_input
from tests.utils.hostile import HOSTILE, SHORT
from tracker.errors import ValidationError
from tracker.i18n import LOCALES
from tracker.io.exporter import WHATS, export_bytes
from tracker.io.spreadsheet import _FORMULA_START
from tracker.services import (
    create_action,
    create_locality,
    record_report_back,
    set_action_status,
)

FORMULAS = ("hyperlink", "at_sum")


@pytest.fixture
def world(session: Session) -> World:
    w = build_world(session)
    place = create_locality(session=session, actor=w.admin, data={
        "name": SHORT["hyperlink"], "level": "locality", "parent_id": w.town.parent_id})
    texts = list(HOSTILE.values())
    for i, (name, text) in enumerate(HOSTILE.items()):
        item = make_input(session, w.officer, place, hours=i, original_text=text,
                          translation=text, source_group=SHORT.get(name))
        action = create_action(session=session, actor=w.officer, input_ids=[item.id], data={
            "kind_code": "qip", "title": SHORT.get(name, "x"), "description": text,
            "created_at": T0 + timedelta(hours=i, minutes=30)})
        set_action_status(session=session, actor=w.officer, action_id=action.id,
                          status="done", outcome=text, at=T0 + timedelta(hours=i, minutes=40))
        record_report_back(session=session, actor=w.officer, data={
            "input_ids": [item.id], "audience": "community", "method": "radio",
            "reported_at": T0 + timedelta(hours=i, minutes=50),
            "messages": {lang: texts[(i + j) % len(texts)] for j, lang in enumerate(LOCALES)}})
    return w


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _csv_cells(data: bytes) -> list[str]:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    return [cell for row in rows[1:] for cell in row]


def _xlsx_cells(data: bytes) -> list[object]:
    sheet = load_workbook(io.BytesIO(data)).active
    cells = [c for row in sheet.iter_rows(min_row=2) for c in row]
    assert all(c.data_type != "f" for c in cells), "a formula cell"
    return [c.value for c in cells]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("what", WHATS)
def test_no_cell_is_a_formula(session: Session, world: World, what: str, fmt: str) -> None:
    data = export_bytes(session, world.admin, what=what, format=fmt)
    cells = _csv_cells(data) if fmt == "csv" else _xlsx_cells(data)
    texts = [c for c in cells if isinstance(c, str)]
    live = [c[:40] for c in texts if c.startswith(_FORMULA_START) and not _is_number(c)]
    assert live == []
    # The formulas are there, behind an apostrophe, not dropped.
    joined = "\n".join(texts)
    for name in FORMULAS:
        assert "'" + HOSTILE[name] in joined or json.dumps(HOSTILE[name])[1:-1] in joined


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_every_hostile_text_is_exported_whole(session: Session, world: World, fmt: str) -> None:
    data = export_bytes(session, world.admin, what="inputs", format=fmt)
    cells = _csv_cells(data) if fmt == "csv" else _xlsx_cells(data)
    for name, text in HOSTILE.items():
        expected = "'" + text if name in FORMULAS else text
        assert expected in cells, f"{name} missing or altered"


def test_a_control_character_cannot_hide_a_formula_from_a_sheet(session: Session) -> None:
    """A sheet cannot hold control characters, so they are dropped; the formula check
    comes after that, or "\\x01=…" would reach the sheet as a live "=…"."""
    w = build_world(session)
    item = make_input(session, w.officer, w.town, original_text='\x01=HYPERLINK("http://x.example/","y")')
    create_action(session=session, actor=w.officer, input_ids=[item.id], data={
        "kind_code": "qip", "title": "\x02=1+1", "created_at": T0 + timedelta(hours=1)})
    for what in ("inputs", "actions"):
        values = _xlsx_cells(export_bytes(session, w.admin, what=what, format="xlsx"))
        assert {'\'=HYPERLINK("http://x.example/","y")', "'=1+1"} & set(values), what


def test_a_text_longer_than_a_sheet_cell_is_not_cut(session: Session) -> None:
    w = build_world(session)
    text = "Le forage est en panne." * 2000  # 46,000 characters
    make_input(session, w.officer, w.town, original_text=text)
    with pytest.raises(ValidationError, match="export as CSV"):
        export_bytes(session, w.admin, what="inputs", format="xlsx")
    whole = text in _csv_cells(export_bytes(session, w.admin, what="inputs"))
    assert whole, "the CSV keeps every character"
