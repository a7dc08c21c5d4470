"""A writer or an importer in a process of its own, for the concurrency and crash tests.

Run as ``python -m tests.scale.worker writer|import ...``. It changes data only through
the library (the services, ``import_file``), as the app and the CLI do, and keeps one
long-lived session, as a command-line tool would, so that records it loaded earlier can
be stale when another process changes them. On "the database is busy" it waits and tries
again, like a user would; any other error ends it with a traceback and exit status 1,
which fails the test. Before it writes it prints ``ready`` (the crash test kills it at a
random moment after that); at the end it writes what it did as JSON, so the test can say
which rows and audit events must exist.
"""

import argparse
import json
import random
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlmodel import Session

from tracker.codes import ActionStatus
from tracker.db import make_engine, read_session
from tracker.errors import DatabaseBusy
from tracker.io.importer import import_file
from tracker.io.mapping import load_mapping
from tracker.models import Input, User
from tracker.services import (
    acknowledge_input,
    create_action,
    edit_input,
    link_action,
    record_input,
    record_report_back,
    set_action_status,
    unlink_action,
)
from tracker.sqltypes import utcnow

T = TypeVar("T")
THEMES = ["basic_services", "security", "health", "humanitarian"]
# Where each status may go next (closing, reopening), so no call is refused as a no-op.
NEXT = {"planned": ["in_progress", "done", "not_possible"], "in_progress": ["done", "not_possible"],
        "done": ["in_progress"], "not_possible": ["in_progress"]}
# What a writer does, and how often.
WEIGHTS = {"record": 30, "create": 16, "status": 16, "report": 14, "link": 8, "edit": 6,
           "acknowledge": 6, "unlink": 4}


class Writer:
    """Random service calls on shared inputs; keeps count of the audit events promised."""

    def __init__(self, session: Session, engine: Any, actor: User, places: list[int],
                 rng: random.Random) -> None:
        self.session, self.engine, self.actor, self.places, self.rng = (
            session, engine, actor, places, rng)
        self.events: Counter[str] = Counter()  # "verb entity" -> events this process wrote
        self.calls: Counter[str] = Counter()
        self.busy: list[str] = []  # the messages of the busy errors met (then retried)
        self.inputs: dict[int, dict[str, Any]] = {}  # mine: themes, place
        self.actions: dict[int, dict[str, Any]] = {}  # mine: status, linked inputs
        self.uids: dict[str, list[str]] = {"input": [], "action": [], "report_back": []}
        self.n = 0

    def retry(self, call: Callable[[], T]) -> T:
        """Run ``call``; on DatabaseBusy (nothing was saved) wait a moment and run it again."""
        while True:
            try:
                return call()
            except DatabaseBusy as exc:
                self.busy.append(str(exc))
                time.sleep(self.rng.uniform(0.05, 0.3))

    def some_inputs(self, k: int) -> list[int]:
        """``k`` inputs anyone recorded or imported (a read, never queued behind writers)."""
        with read_session(self.engine) as s:
            return list(s.execute(select(Input.id).order_by(func.random()).limit(k)).scalars())

    def step(self) -> None:
        kinds = list(WEIGHTS)
        kind = self.rng.choices(kinds, [WEIGHTS[k] for k in kinds])[0]
        if not self.inputs or (kind != "record" and not self.some_inputs(1)):
            kind = "record"
        if kind in ("status", "link", "unlink") and not self.actions:
            kind = "create"
        getattr(self, f"_{kind}")()
        self.calls[kind] += 1

    def _record(self) -> None:
        self.n += 1
        themes = self.rng.sample(THEMES, self.rng.choice([1, 1, 2]))
        place = self.rng.choice(self.places)
        data = {"received_at": utcnow() - timedelta(hours=self.rng.uniform(0, 24 * 20)),
                "channel_code": "town_hall", "locality_id": place, "type_code": "request",
                "theme_codes": themes, "language": "fr",
                "original_text": f"{self.actor.username}#{self.n} le forage est en panne"}
        made = self.retry(lambda: record_input(session=self.session, actor=self.actor, data=data))
        self.inputs[made.id] = {"themes": themes, "place": place}
        self.uids["input"].append(made.uid)
        self.events["record input"] += 1

    def _create(self) -> None:
        ids = sorted(set(self.some_inputs(self.rng.randint(1, 3))))
        status = self.rng.choice(["planned", "planned", "in_progress"])
        data = {"kind_code": "patrol", "title": f"w:{self.actor.username} patrol",
                "status": status}
        made = self.retry(lambda: create_action(session=self.session, actor=self.actor,
                                                data=data, input_ids=ids))
        self.actions[made.id] = {"status": status, "linked": set(ids)}
        self.uids["action"].append(made.uid)
        self.events["create action"] += 1
        self.events["link input"] += len(ids)

    def _status(self) -> None:
        action_id = self.rng.choice(list(self.actions))
        mine = self.actions[action_id]
        new = self.rng.choice(NEXT[mine["status"]])
        reason = "no_access" if new == ActionStatus.NOT_POSSIBLE else None
        self.retry(lambda: set_action_status(session=self.session, actor=self.actor,
                                             action_id=action_id, status=new, reason=reason))
        mine["status"] = new
        self.events["status action"] += 1

    def _report(self) -> None:
        ids = sorted(set(self.some_inputs(self.rng.randint(1, 2))))
        data = {"input_ids": ids, "audience": "community", "method": "radio",
                "reported_at": utcnow(), "messages": {"fr": f"w:{self.actor.username} dit"}}
        made = self.retry(lambda: record_report_back(session=self.session, actor=self.actor,
                                                     data=data))
        self.uids["report_back"].append(made.uid)
        self.events["create report_back"] += 1
        self.events["report_back input"] += len(ids)

    def _link(self) -> None:
        action_id = self.rng.choice(list(self.actions))
        linked = self.actions[action_id]["linked"]
        ids = [i for i in self.some_inputs(2) if i not in linked][:1]
        if not ids:
            return
        self.retry(lambda: link_action(session=self.session, actor=self.actor,
                                       action_id=action_id, input_ids=ids))
        linked.update(ids)
        self.events["link input"] += 1

    def _unlink(self) -> None:
        choices = [a for a, v in self.actions.items() if len(v["linked"]) > 1]
        if not choices:
            return
        action_id = self.rng.choice(choices)
        input_id = self.rng.choice(sorted(self.actions[action_id]["linked"]))
        self.retry(lambda: unlink_action(session=self.session, actor=self.actor,
                                         action_id=action_id, input_id=input_id,
                                         reason="linked by mistake"))
        self.actions[action_id]["linked"].discard(input_id)
        self.events["unlink input"] += 1

    def _edit(self) -> None:
        input_id = self.rng.choice(list(self.inputs))
        mine = self.inputs[input_id]
        if self.rng.random() < 0.5 and len(self.places) > 1:
            place = self.rng.choice([p for p in self.places if p != mine["place"]])
            changes: dict[str, Any] = {"locality_id": place}
        else:
            themes = [self.rng.choice([t for t in THEMES if [t] != mine["themes"]])]
            changes = {"theme_codes": themes}
        self.retry(lambda: edit_input(session=self.session, actor=self.actor,
                                      input_id=input_id, changes=changes, reason="re-coded"))
        mine.update(place=changes.get("locality_id", mine["place"]),
                    themes=changes.get("theme_codes", mine["themes"]))
        self.events["edit input"] += 1

    def _acknowledge(self) -> None:
        (input_id,) = self.some_inputs(1)
        self.retry(lambda: acknowledge_input(session=self.session, actor=self.actor,
                                             input_id=input_id))

    def report(self) -> dict[str, Any]:
        return {"events": dict(self.events), "calls": dict(self.calls), "busy": self.busy,
                "uids": self.uids}


def _actor(engine: Any, username: str) -> User:
    """The acting user, loaded once and detached (as the dashboard keeps it)."""
    with read_session(engine) as s:
        actor = s.execute(select(User).where(User.username == username)).scalar_one()
        s.expunge(actor)
        return actor


def run_writer(args: argparse.Namespace) -> dict[str, Any]:
    engine = make_engine(args.db)
    actor = _actor(engine, args.user)
    places = [int(p) for p in args.places.split(",")]
    with Session(engine, expire_on_commit=False) as session:
        writer = Writer(session, engine, actor, places, random.Random(args.seed))
        print("ready", flush=True)
        step = 0
        while args.ops == 0 or step < args.ops:
            writer.step()
            step += 1
            time.sleep(writer.rng.uniform(0, args.pause))  # a person's pace: others get a turn
    engine.dispose()
    return writer.report()


def run_import(args: argparse.Namespace) -> dict[str, Any]:
    """Import each file in turn; a busy database ends the run, so import it again."""
    engine = make_engine(args.db)
    actor = _actor(engine, args.user)
    mapping = load_mapping(args.mapping)
    results, busy = [], []
    print("ready", flush=True)
    for path in args.files:
        while True:
            try:
                with Session(engine) as session:
                    result = import_file(session, actor, Path(path), mapping,
                                         batch_size=args.batch)
                break
            except DatabaseBusy as exc:
                busy.append(str(exc))
                time.sleep(0.2)
        results.append(result.as_dict() | {"path": path})
    engine.dispose()
    return {"imports": results, "busy": busy}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("mode", choices=["writer", "import"])
    parser.add_argument("--db", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--out", help="write what was done here, as JSON")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--ops", type=int, default=0, help="service calls (0: until killed)")
    parser.add_argument("--pause", type=float, default=0.0,
                        help="wait up to this many seconds between calls")
    parser.add_argument("--places", default="", help="locality ids, comma-separated")
    parser.add_argument("--mapping")
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--file", dest="files", action="append", default=[],
                        help="a file to import (repeat for several, imported in turn)")
    args = parser.parse_args(argv)
    report = run_writer(args) if args.mode == "writer" else run_import(args)
    if args.out:
        Path(args.out).write_text(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
