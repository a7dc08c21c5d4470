"""Every column is classified, and the classes that must never leave are kept in."""

import csv
import io

import pytest
from sqlmodel import Session

from tests.utils.factories import build_world, make_input
from tracker.column_tags import TAGS, DataClass, never_exported
from tracker.io.exporter import export_bytes
from tracker.models import metadata


def test_every_model_column_carries_a_data_class() -> None:
    untagged = [f"{t.name}.{c.name}" for t in metadata.sorted_tables for c in t.columns
                if not isinstance(c.info.get("data_class"), DataClass)]
    assert not untagged, f"classify these columns in tracker/column_tags.py: {untagged}"


def test_no_tag_names_a_column_that_does_not_exist() -> None:
    stale = [f"{table}.{col}" for table, cols in TAGS.items() for col in cols
             if table not in metadata.tables or col not in metadata.tables[table].columns]
    assert not stale


@pytest.mark.parametrize("what", ["inputs", "actions", "report-backs", "all"])
def test_exports_carry_no_secret_or_protected_column(session: Session, what: str) -> None:
    world = build_world(session)
    make_input(session, world.officer, world.town, source_code="AN-0042")
    header = next(csv.reader(io.StringIO(
        export_bytes(session, world.admin, what=what, format="csv").decode("utf-8-sig"))))
    hidden = {col for cols in TAGS.values() for col, cls in cols.items() if cls in never_exported()}
    assert not hidden & set(header), hidden & set(header)
