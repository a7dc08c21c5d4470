"""Every reason a row is rejected, each with the column it names; the good rows still go in."""

from typing import Any

import pytest
from sqlmodel import Session, select

from tests.io.conftest import Places, count, run
from tests.io.samples import csv_bytes, xlsx_bytes
from tracker.io.mapping import parse_mapping
from tracker.models import Action, Input, ReportBack
from tracker.services import create_locality, record_input

MAPPING = """
[source]
name = "reasons"
id_column = "id"
parent = "Kiravo > Mbuvi"

[input]
uid = { column = "uid" }
received_at = { column = "received" }
locality = { column = "place" }
channel_code = { column = "channel" }
type_code = { column = "type", map = { "Request" = "request", "Alert" = "alert" } }
theme_codes = { column = "themes" }
language = { value = "fr" }
original_text = { column = "text" }
sensitivity = { column = "sensitivity" }
source_group = { column = "group" }
women = { column = "women" }
consent_contact = { column = "consent" }
acknowledged_at = { column = "acknowledged" }

[action]
kind_code = { value = "other" }
title = { column = "action" }
status = { column = "status" }
not_possible_reason = { column = "reason" }
is_public_commitment = { column = "commitment" }
due_date = { column = "due" }
closed_at = { column = "closed" }

[report_back]
audience = { value = "community" }
method = { value = "radio" }
reported_at = { column = "told" }
message = { column = "message" }
"""
BASE = {"id": "1", "uid": "", "received": "2026-03-02T08:00", "place": "Kasolima",
        "channel": "town_hall", "type": "Request", "themes": "basic_services",
        "text": "Le forage est en panne.", "sensitivity": "", "group": "Femmes du quartier",
        "women": "3", "consent": "oui", "acknowledged": "", "action": "Réparation",
        "status": "done", "reason": "", "commitment": "false", "due": "", "closed": "2026-03-10",
        "told": "2026-03-12", "message": "Le forage est réparé."}
HEAD = list(BASE)

CASES: list[tuple[str, dict[str, str], str, str]] = [
    ("required-cell-empty", {"text": ""}, "text", "original_text: the cell is empty"),
    ("value-not-in-map", {"type": "Blah"}, "type", "'Blah' is not in the map"),
    ("bad-date", {"received": "2026-02-30"}, "received", "'2026-02-30' is not a date"),
    ("future-date", {"received": "2099-01-01"}, "received", "this date is in the future"),
    ("unknown-code", {"channel": "pigeon"}, "channel", "unknown channel 'pigeon'"),
    ("unknown-theme", {"themes": "basic_services;magic"}, "themes", "unknown theme 'magic'"),
    ("unknown-place-path", {"place": "Nowhere > Kabala"}, "place", "unknown place path"),
    ("report-back-before-input", {"told": "2026-03-01"}, "told",
     "is dated before the input was received"),
    ("closed-before-created", {"closed": "2026-03-01"}, "closed", "the action is closed"),
    ("closing-date-on-open-action", {"status": "planned"}, "closed",
     "has a closing date but its status is 'planned'"),
    ("not-possible-without-reason", {"status": "not_possible"}, "reason",
     "say why the action is not possible"),
    ("commitment-without-due-date", {"commitment": "yes"}, "due",
     "a public commitment needs a due date"),
    ("unknown-status", {"status": "finished"}, "status", "status: Input should be"),
    ("acknowledged-before-received", {"acknowledged": "2026-03-01"}, "acknowledged",
     "acknowledged before the input was received"),
    ("not-a-number", {"women": "many"}, "women", "'many' is not a whole number"),
    ("negative-number", {"women": "-3"}, "women", "greater than or equal to 0"),
    ("not-yes-or-no", {"consent": "perhaps"}, "consent", "'perhaps' is not yes or no"),
    ("empty-id", {"id": ""}, "id", "the id column is empty"),
    ("nul-character", {"text": "abc\x00def"}, "text", "NUL character"),
    ("not-a-uid", {"uid": "not-a-uid"}, "uid", "'not-a-uid' is not a uid"),
    ("phone-number-as-group", {"group": "call +243 812 345 678"}, "group",
     "looks like a phone number"),
    ("empty-message", {"message": "", "told": "2026-03-12"}, "message",
     "write the message in at least one language"),
    ("report-back-without-date", {"told": ""}, "told", "reported_at: the cell is empty"),
    ("title-too-long", {"action": "x" * 301}, "action", "at most 300 characters"),
]


def _file(rows: list[dict[str, str] | list[str]]) -> bytes:
    return csv_bytes([HEAD] + [list(r.values()) if isinstance(r, dict) else r for r in rows])


def _only_rejection(result: Any) -> tuple[int, str, str]:
    assert result.rejected == 1, result.rejections
    r = result.rejections[0]
    return r.line, r.column, r.reason


def test_the_base_row_goes_in(session: Session, places: Places) -> None:
    result = run(session, places.admin, _file([BASE]), parse_mapping(MAPPING))
    assert (result.imported, result.rejected) == (1, 0), result.rejections
    assert (count(session, Input), count(session, Action), count(session, ReportBack)) == (1, 1, 1)


@pytest.mark.parametrize(("change", "column", "reason"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_each_rejection_names_line_column_and_reason(
        session: Session, places: Places, change: dict[str, str], column: str, reason: str) -> None:
    good = BASE | {"id": "2"}
    result = run(session, places.admin, _file([good, BASE | change]), parse_mapping(MAPPING))
    line, col, why = _only_rejection(result)
    assert (line, col) == (3, column)
    assert reason in why
    assert result.imported == 1 and count(session, Input) == 1


@pytest.mark.parametrize(("cells", "reason"), [
    (list(BASE.values())[:-1], "the row has 20 cells but the header has 21"),
    ([*BASE.values(), "extra"], "the row has 22 cells but the header has 21"),
], ids=["short-row", "long-row"])
def test_rows_of_the_wrong_width(session: Session, places: Places, cells: list[str],
                                 reason: str) -> None:
    result = run(session, places.admin, _file([cells]), parse_mapping(MAPPING))
    assert _only_rejection(result)[0] == 2 and reason in _only_rejection(result)[2]


def test_xlsx_row_with_values_past_the_header(session: Session, places: Places) -> None:
    data = xlsx_bytes([HEAD, [*list(BASE.values()), "stray"]])
    result = run(session, places.admin, data, parse_mapping(MAPPING), name="f.xlsx")
    assert _only_rejection(result)[2] == "the row has values beyond the 21 header columns"


def test_unknown_place_with_strict_or_without_parent(session: Session, places: Places) -> None:
    row = BASE | {"place": "Kabala"}
    strict = run(session, places.admin, _file([row]), parse_mapping(MAPPING), strict=True)
    assert _only_rejection(strict)[1:] == ("place", "unknown place 'Kabala' (--strict: places "
                                                    "are not created)")
    no_parent = parse_mapping(MAPPING).with_source(parent=None)
    result = run(session, places.admin, _file([row]), no_parent)
    assert "set [source] parent to create it" in _only_rejection(result)[2]


def test_ambiguous_place(session: Session, places: Places) -> None:
    other = session.exec(select(places.sakare.__class__).where(
        places.sakare.__class__.name == "Sakaré", places.sakare.__class__.level == "territory")).one()
    create_locality(session=session, actor=places.admin, data={
        "name": "Kasolima", "level": "locality", "parent_id": other.id})
    result = run(session, places.admin, _file([BASE]), parse_mapping(MAPPING))
    _line, column, reason = _only_rejection(result)
    assert column == "place" and "2 places are called 'Kasolima'" in reason
    assert "Kiravo > Mbuvi > Kasolima" in reason
    fixed = run(session, places.admin, _file([BASE | {"place": "Mbuvi > Kasolima"}]),
                parse_mapping(MAPPING))
    assert fixed.imported == 1


def test_restricted_theme_cannot_be_lowered_by_an_officer(session: Session, places: Places) -> None:
    row = BASE | {"themes": "crsv", "sensitivity": "internal"}
    result = run(session, places.officer, _file([row]), parse_mapping(MAPPING))
    assert _only_rejection(result)[1:] == ("sensitivity", "inputs on this theme stay restricted; "
                                                          "ask an admin to change it")
    assert run(session, places.admin, _file([row]), parse_mapping(MAPPING)).imported == 1


def test_a_report_back_needs_an_input_in_its_row(session: Session, places: Places) -> None:
    mapping = parse_mapping(MAPPING.replace(
        "[input]\n", '[input]\nwhen = { column = "type", in = ["Request"] }\n'))
    result = run(session, places.admin, _file([BASE | {"type": "Alert"}]), mapping)
    assert _only_rejection(result)[2] == "a report-back needs an input in the same row"


def test_a_row_linking_to_an_input_the_user_may_not_see(session: Session, places: Places) -> None:
    """A row whose input was imported before (restricted, by someone else) cannot add
    an action to it for an officer who may not read it."""
    row = BASE | {"themes": "crsv", "sensitivity": "restricted", "action": "", "status": "",
                  "closed": "", "told": "", "message": ""}
    assert run(session, places.admin, _file([row]), parse_mapping(MAPPING)).imported == 1
    with_action = row | {"action": "Référence", "status": "planned"}
    result = run(session, places.officer, _file([with_action]), parse_mapping(MAPPING))
    assert "you may not see it" in _only_rejection(result)[2]
    assert count(session, Action) == 0


def test_a_duplicate_row_adds_a_new_action_to_its_input(session: Session, places: Places) -> None:
    """A later export where an action was filled in adds the action, not a second input."""
    first = BASE | {"action": "", "status": "", "closed": "", "told": "", "message": ""}
    assert run(session, places.admin, _file([first]), parse_mapping(MAPPING)).imported == 1
    later = run(session, places.admin, _file([BASE]), parse_mapping(MAPPING))
    assert (later.imported, later.duplicates) == (1, 0)
    assert (count(session, Input), count(session, Action), count(session, ReportBack)) == (1, 1, 1)
    item = session.exec(select(Input)).one()
    assert item.closed_at is not None and item.acknowledged_at is not None


def test_an_input_recorded_in_the_app_is_found_by_uid(session: Session, places: Places) -> None:
    made = record_input(session=session, actor=places.admin, data={
        "received_at": "2026-03-02T08:00:00+00:00", "channel_code": "town_hall",
        "locality_id": places.kasolima.id, "type_code": "request",
        "theme_codes": ["basic_services"], "language": "fr", "original_text": "x"})
    result = run(session, places.admin, _file([BASE | {"uid": made.uid}]), parse_mapping(MAPPING))
    assert (result.imported, count(session, Input), count(session, Action)) == (1, 1, 1)
    item = session.exec(select(Input)).one()
    assert item.acknowledged_at is not None and item.actions_total == 1


@pytest.mark.parametrize("batch_size", [1000, 1], ids=["one-batch", "batch-per-row"])
@pytest.mark.parametrize("dry_run", [False, True], ids=["import", "dry-run"])
def test_an_id_used_twice_in_a_file_for_different_rows(session: Session, places: Places,
                                                       batch_size: int, dry_run: bool) -> None:
    """A log's number names one input (and its action and report-back): a second row
    with the same number and other content would silently become the first one."""
    rows = [BASE | {"action": "", "status": "", "closed": "", "told": "", "message": ""},
            BASE | {"id": "2"},
            BASE | {"text": "Des hommes armés près de l'école.", "action": "Patrouille"},
            BASE | {"id": "2", "action": "Une autre action"},
            BASE | {"id": "2"}]  # the very same row again: nothing new, not an error
    result = run(session, places.admin, _file(rows), parse_mapping(MAPPING),
                 batch_size=batch_size, dry_run=dry_run)
    assert (result.imported, result.duplicates, result.rejected) == (2, 1, 2)
    assert [(r.line, r.reason) for r in result.rejections] == [
        (4, "the same id as line 2 with a different input: each input needs an id of its own"),
        (5, "the same id as line 3 with a different action: each action needs an id of its own")]
    if not dry_run:
        texts = sorted(t for (t,) in session.execute(select(Input.original_text)))
        assert texts == ["Le forage est en panne.", "Le forage est en panne."]
        assert sorted(t for (t,) in session.execute(select(Action.title))) == ["Réparation"]


def test_one_input_with_several_actions_by_their_own_uids(session: Session, places: Places) -> None:
    """Rows that repeat an input's id, each with an action of its own uid (a file that
    gives uids), are one input with several actions."""
    m = parse_mapping(MAPPING.replace('not_possible_reason = { column = "reason" }',
                                      'uid = { column = "reason" }'))
    rows = [BASE | {"status": "planned", "closed": "", "told": "", "message": "",
                    "reason": "6b1a1a46-5d3c-4b8e-9a5e-0f6f0f6f0f61"},
            BASE | {"action": "Deuxième action", "status": "planned", "closed": "", "told": "",
                    "message": "", "reason": "6b1a1a46-5d3c-4b8e-9a5e-0f6f0f6f0f62"}]
    result = run(session, places.admin, _file(rows), m)
    assert (result.imported, result.rejected) == (2, 0), result.rejections
    assert (count(session, Input), count(session, Action)) == (1, 2)
