"""Importing again what is partly there: actions moved forward, shared by several rows,
and a dry run that says what the real run will do."""

import csv
import io
from datetime import timedelta
from pathlib import Path

from sqlmodel import Session

from tests.io.conftest import Places, count, mapping, run
from tests.io.samples import EXAMPLES, MAPPINGS, csv_bytes, read_rows
from tests.utils.factories import T0, World, build_world, make_input
from tracker.audit import verify_chain
from tracker.io.exporter import export_bytes
from tracker.io.mapping import load_mapping
from tracker.loop import facts_drift
from tracker.models import Action, ActionInput
from tracker.rollups.build import rollup_drift
from tracker.services.actions import create_action, set_action_status


def _exported(session: Session, world: World) -> list[list[str]]:
    data = export_bytes(session, world.admin, what="all", format="csv")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def _done(rows: list[list[str]], action_uid: str) -> int:
    """The action's rows say it is done now (a day after T0): how many rows name it."""
    head = rows[0]
    status, closed, uid = (head.index(c) for c in ("action_status", "action_closed_at", "action_uid"))
    named = [r for r in rows[1:] if r[uid] == action_uid]
    for r in named:
        r[status], r[closed] = "done", (T0 + timedelta(days=1)).isoformat()
    return len(named)


def _shared_action(session: Session) -> tuple[World, Action]:
    w = build_world(session)
    a = make_input(session, w.officer, w.town)
    b = make_input(session, w.officer, w.village, hours=2)
    act = create_action(session=session, actor=w.officer, input_ids=[a.id, b.id], data={
        "kind_code": "other", "title": "Fix the borehole", "created_at": T0 + timedelta(hours=3)})
    set_action_status(session=session, actor=w.officer, action_id=act.id, status="in_progress",
                      at=T0 + timedelta(hours=4))
    return w, session.get(Action, act.id)  # type: ignore[return-value]


def test_a_dry_run_counts_a_move_once_across_batches(session: Session) -> None:
    w, act = _shared_action(session)
    rows = _exported(session, w)
    assert _done(rows, act.uid) == 2
    dry = run(session, w.admin, csv_bytes(rows), mapping("hearback_export"), dry_run=True, batch_size=1)
    real = run(session, w.admin, csv_bytes(rows), mapping("hearback_export"), batch_size=1)
    assert (dry.imported, dry.duplicates) == (real.imported, real.duplicates) == (1, real.rows_read - 1)
    session.refresh(act)
    assert act.status == "done"
    assert facts_drift(session) == [] and rollup_drift(session) == []
    assert verify_chain(session.connection()).ok


def test_an_action_linked_to_no_input_moves_forward(session: Session) -> None:
    w = build_world(session)
    act = create_action(session=session, actor=w.officer, data={
        "kind_code": "other", "title": "Market road", "created_at": T0})
    set_action_status(session=session, actor=w.officer, action_id=act.id, status="in_progress",
                      at=T0 + timedelta(hours=1))
    rows = _exported(session, w)
    assert _done(rows, act.uid) == 1
    result = run(session, w.admin, csv_bytes(rows), mapping("hearback_export"))
    assert result.imported == 1
    assert session.get(Action, act.id).status == "done"  # type: ignore[union-attr]


def test_one_action_named_by_two_rows_of_different_dates(session: Session, places: Places,
                                                         tmp_path: Path) -> None:
    """Dates a row does not give are filled in from its input: two rows naming one action
    differ there, and are still the same action, linked to both inputs."""
    text = (MAPPINGS / "spreadsheet_log.toml").read_text()
    path = tmp_path / "log.toml"
    path.write_text(text.replace("[action]\n", '[action]\nuid = { column = "Action ref" }\n', 1))
    rows = read_rows(EXAMPLES / "spreadsheet_log.csv")
    rows[0].append("Action ref")
    for r in rows[1:]:
        r.append("")
    rows[1][-1] = rows[6][-1] = "5b0c2b52-7a33-4a8e-9d8e-0f4f7f3b2a11"
    rows[6][7:11] = rows[1][7:11]  # the same action's cells; the inputs' dates differ
    result = run(session, places.admin, csv_bytes(rows), load_mapping(path))
    assert result.rejected == 0, result.rejections
    assert (count(session, Action), count(session, ActionInput)) == (6, 7)  # one more link


def test_an_action_the_importer_may_not_see_is_not_linked(session: Session) -> None:
    """A file naming, by uid, an action known only through another officer's conduct case
    is refused on that row: linked to the importer's input, the action (its title names
    the case) would be listed with it from then on."""
    w = build_world(session)
    case = make_input(session, w.other_officer, w.town, theme_codes=["conduct"])
    hidden = create_action(session=session, actor=w.other_officer, input_ids=[case.id], data={
        "kind_code": "investigation", "title": "Enquête sur le sergent K.",
        "created_at": T0 + timedelta(hours=2)})
    mine = make_input(session, w.officer, w.village, hours=3)
    rows = _exported(session, w)
    head = rows[0]
    action_cols = [i for i, c in enumerate(head) if c.startswith(("action_", "link"))]
    uid = head.index("input_uid")
    source = next(r for r in rows[1:] if r[head.index("action_uid")] == hidden.uid)
    row = next(r for r in rows[1:] if r[uid] == mine.uid)
    for i in action_cols:
        row[i] = source[i]
    data = csv_bytes([head, row])
    links = count(session, ActionInput)

    refused = run(session, w.officer, data, mapping("hearback_export"))
    assert (refused.imported, refused.rejected) == (0, 1), refused
    assert refused.rejections[0].reason == ("the row's action is already recorded and you may "
                                            "not see it")
    assert count(session, ActionInput) == links
    linked = run(session, w.admin, data, mapping("hearback_export"))
    assert linked.imported == 1 and count(session, ActionInput) == links + 1
