"""What an imported row becomes: the plans the converter makes and the writer stores.

A ``RowPlan`` holds the values of the row's input, action and report-back as they will
be stored; a ``Rejection`` says why a row will not be, with its line and column.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

UID_NAMESPACE = uuid.UUID("6f0d4a52-6a7e-4c1b-9a51-3b1f0c1e7d11")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


class RowError(Exception):
    """Why a row is rejected, and the column (or field) it is about."""

    def __init__(self, column: str, reason: str) -> None:
        super().__init__(reason)
        self.column, self.reason = column, reason


@dataclass(frozen=True)
class Rejection:
    line: int
    column: str
    reason: str
    cells: list[str]


@dataclass
class InputPlan:
    uid: str
    external_id: str
    values: dict[str, Any]  # columns of the ``input`` row, ids and loop facts aside
    theme_codes: list[str]
    # A hash of what the row itself gives of each record (``given_hash``): two rows naming
    # one record are compared on it, never on what was resolved or filled in for them (a
    # place the run creates has a stand-in id until its batch is written).
    given: int = 0


@dataclass
class ActionPlan:
    uid: str
    values: dict[str, Any]
    link_kind: str
    linked_at: datetime
    given: int = 0  # its dates, when the file has none, come from the row's input


@dataclass
class ReportBackPlan:
    uid: str
    values: dict[str, Any]
    messages: dict[str, str]
    given: int = 0


def given_hash(values: dict[str, Any], skip: tuple[str, ...] = ()) -> int:
    """32 bits of a record's cells as the row gives them (read, not yet resolved)."""
    return hash(repr(sorted((k, v) for k, v in values.items()
                            if v is not None and k not in skip))) & 0xFFFFFFFF


@dataclass
class RowPlan:
    """What one row stores; a negative locality id is a place the run will create."""

    line: int
    cells: list[str]
    key: str  # the row's external id (id column, or a hash of the cells it maps)
    place: int | None = None  # the place a [locality] section names
    input: InputPlan | None = None
    action: ActionPlan | None = None
    report_back: ReportBackPlan | None = None
    new_places: tuple[int, ...] = ()


def unescape_formula(text: str) -> str:
    """Undo the apostrophe an export puts before ``=``, ``+``, ``-``, ``@``, tab or CR."""
    if text.startswith("'") and text.lstrip("'").startswith(_FORMULA):
        return text[1:]
    return text


def derived_uid(source: str, key: str, part: str) -> str:
    """A stable uid for a record from a file without uids: the same row gives the same uid
    on every run and on every machine, so merged databases do not double it."""
    return str(uuid.uuid5(UID_NAMESPACE, f"{source}\x1f{key}\x1f{part}"))
