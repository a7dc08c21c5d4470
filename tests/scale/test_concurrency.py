"""Eight processes write at once — six make service calls, two import the same two files in
opposite orders — and afterwards nothing is lost, nothing is there twice, the audit trail
holds exactly the events each call promises, and every figure equals a recomputation.

Writers queue for the write lock (SQLite ``BEGIN IMMEDIATE``, a PostgreSQL advisory lock),
so the only error a user may meet is "busy, try again", and only after waiting the busy
timeout; the workers retry on it, and the test checks that any such message was exactly
that one.
"""

import json
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from tests.io.conftest import mapping
from tests.scale.checks import (
    audit_matches_rows,
    derived_data_in_step,
    row_counts,
    sqlite_intact,
)
from tests.scale.conftest import (
    LOG_MAPPING,
    PER_CYCLE,
    Scene,
    finish,
    spawn,
    wait_ready,
    write_log,
)
from tracker.db import BUSY, read_session
from tracker.io.importer import import_file
from tracker.models import AuditEvent, ImportKey, ImportRun, Input, Locality
from tracker.services import acknowledge_input, record_input, record_report_back
from tracker.sqltypes import utcnow

WRITERS = 6


def _run(engine: Engine, scene: Scene, tmp: Path, ops: int, rows: int, batch: int) -> None:
    files = [str(write_log(tmp / f"{p}.csv", p, rows)) for p in "AB"]
    started = time.monotonic()
    procs = [spawn(engine, "writer", "--user", scene.writers[n], "--seed", str(n),
                   "--ops", str(ops), "--places", scene.localities,
                   "--out", str(tmp / f"w{n}.json")) for n in range(WRITERS)]
    procs += [spawn(engine, "import", "--user", "system", "--mapping", str(LOG_MAPPING),
                    "--batch", str(batch), "--out", str(tmp / f"i{n}.json"),
                    *(arg for f in order for arg in ("--file", f)))
              for n, order in enumerate([files, files[::-1]])]
    for proc in procs:
        wait_ready(proc)
    for proc in procs:
        finish(proc)
    print(f"{engine.dialect.name}: 8 processes done in {time.monotonic() - started:.1f} s")
    writers = [json.loads((tmp / f"w{n}.json").read_text()) for n in range(WRITERS)]
    importers = [json.loads((tmp / f"i{n}.json").read_text()) for n in range(2)]

    # No error but a clear "busy, try again" reached a user.
    busy = [m for r in writers + importers for m in r["busy"]]
    print("busy, retried:", len(busy))
    assert set(busy) <= {BUSY}

    # Each file's rows went in exactly once, between the two importers (counting the runs
    # a busy database stopped, whose finished batches stay: the counters are kept with them).
    runs = [run for r in importers for run in r["imports"]]
    assert all(run["rejected"] == 0 and run["imported"] + run["duplicates"] == rows
               for run in runs)
    with read_session(engine) as s:
        per_file = dict(s.execute(select(ImportRun.file_name, func.sum(ImportRun.imported))
                                  .group_by(ImportRun.file_name)).all())
        assert s.execute(select(func.count()).where(ImportRun.finished_at.is_not(None))
                         ).scalar_one() == len(runs)  # type: ignore[union-attr]
    assert per_file == {Path(name).name: rows for name in files}

    # No row lost, none twice: every row a writer was told was saved is there, once.
    cycles = 2 * rows // 8
    promised: Counter[str] = sum((Counter(r["events"]) for r in writers), Counter())
    counts = row_counts(engine)
    assert counts["input"] == promised["record input"] + cycles * PER_CYCLE["input"]
    assert counts["action"] == promised["create action"] + cycles * PER_CYCLE["action"]
    assert counts["report_back"] == (promised["create report_back"]
                                     + cycles * PER_CYCLE["report_back"])
    assert counts["link"] == (promised["link input"] - promised["unlink input"]
                              + cycles * PER_CYCLE["action"])
    with read_session(engine) as s:
        uids = set(s.execute(select(Input.uid)).scalars())
        texts = Counter(s.execute(select(Input.original_text).where(
            Input.original_text.like("writer%#%"))).scalars())  # type: ignore[union-attr]
        keys = s.execute(select(func.count()).select_from(ImportKey)).scalar_one()
        kabala = s.execute(select(func.count()).where(Locality.name == "Kabala")).scalar_one()
    mine = [u for r in writers for u in r["uids"]["input"]]
    assert len(mine) == len(set(mine)) and set(mine) <= uids
    assert sum(texts.values()) == promised["record input"] and set(texts.values()) == {1}
    assert keys == 2 * rows
    assert kabala == 1  # the new place both imports name was created once

    # The trail: exactly the events each call promises, each row with its own.
    events = audit_matches_rows(engine)
    imported = {"record input": "input", "create action": "action", "link input": "action",
                "create report_back": "report_back", "report_back input": "report_back"}
    for key, n in promised.items():
        from_import = cycles * PER_CYCLE[imported[key]] if key in imported else 0
        assert events[key] == n + from_import, key
    assert events["import import_run"] == len(runs)

    sqlite_intact(engine)
    derived_data_in_step(engine, utcnow())


def test_eight_processes_at_once(engine: Engine, scene: Scene, tmp_path: Path) -> None:
    _run(engine, scene, tmp_path, ops=25, rows=160, batch=40)


@pytest.mark.slow
def test_eight_processes_at_once_long(engine: Engine, scene: Scene, tmp_path: Path) -> None:
    _run(engine, scene, tmp_path, ops=250, rows=2000, batch=100)


def test_an_import_overtaken_by_another_counts_and_creates_nothing_twice(
        engine: Engine, scene: Scene, tmp_path: Path) -> None:
    """One import read the places (no "Kabala" yet) and wrote its first row; then another
    import of the same file ran to the end. The first one goes on: every other row is a
    duplicate now, and "Kabala" is the place the other one created, not a second one."""
    log = write_log(tmp_path / "log.csv", "K", 16)
    results = []

    def overtaken(_read: int) -> None:
        if not results:
            with Session(engine) as other:
                results.append(import_file(other, scene.places.admin, log,
                                           mapping("spreadsheet_log")))

    with Session(engine) as session:
        results.append(import_file(session, scene.places.admin, log,
                                   mapping("spreadsheet_log"), batch_size=1,
                                   on_progress=overtaken))
    assert [(r.imported, r.duplicates, r.rejected) for r in results] == [(15, 1, 0), (1, 15, 0)]
    assert sum(r.places_created for r in results) == 1
    with read_session(engine) as s:
        assert s.execute(select(func.count()).where(Locality.name == "Kabala")).scalar_one() == 1


def test_a_writer_decides_on_what_the_database_holds_now(engine: Engine, scene: Scene) -> None:
    """A long-lived session (a CLI tool, a worker) still holds an input another writer has
    since acknowledged: reporting back must not acknowledge it, and audit it, again."""
    actor = scene.places.admin
    with Session(engine, expire_on_commit=False) as mine, Session(engine) as other:
        item = record_input(session=mine, actor=actor, data={
            "received_at": utcnow(), "channel_code": "town_hall",
            "locality_id": scene.places.kasolima.id, "type_code": "request",
            "theme_codes": ["basic_services"], "language": "fr", "original_text": "Forage."})
        loaded = mine.get(Input, item.id)
        mine.commit()  # the read ends (no lock held); the record stays loaded
        assert loaded is not None and loaded.acknowledged_at is None
        acknowledge_input(session=other, actor=actor, input_id=item.id)
        record_report_back(session=mine, actor=actor, data={
            "input_ids": [item.id], "audience": "community", "method": "radio",
            "reported_at": utcnow(), "messages": {"fr": "Réparé."}})
    with read_session(engine) as s:
        verbs = s.execute(select(AuditEvent.verb).where(
            AuditEvent.entity == "input", AuditEvent.entity_id == item.id)
            .order_by(AuditEvent.id)).scalars().all()
    assert verbs == ["record", "acknowledge", "report_back"]
