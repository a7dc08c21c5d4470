"""A writer and an import killed (SIGKILL: no cleanup, no rollback in Python) at random
moments, round after round: after every kill the database is intact, the derived loop
states, repeated-ask flags and figures equal a recomputation, and every row has its
audit events (a write is all there or not at all). Re-running the imports at the end
brings exactly the rows of the files, no more, no fewer.

The random moments come from HEARBACK_SCALE_SEED when set (printed on every run, so a
failure can be replayed).
"""

import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from tests.io.conftest import mapping, run
from tests.scale.checks import audit_matches_rows, derived_data_in_step, sqlite_intact
from tests.scale.conftest import (
    LOG_MAPPING,
    PER_CYCLE,
    Scene,
    spawn,
    wait_ready,
    write_log,
)
from tracker.db import read_session
from tracker.models import Action, ImportKey, Input, ReportBack
from tracker.sqltypes import utcnow


def _kill_at(procs: list[tuple[subprocess.Popen[str], float]]) -> None:
    """SIGKILL each process ``delay`` seconds after now (it may have ended by itself)."""
    start = time.monotonic()
    for proc, delay in sorted(procs, key=lambda p: p[1]):
        time.sleep(max(0.0, start + delay - time.monotonic()))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
    for proc, _ in procs:
        proc.wait(timeout=60)


def _imported_by(engine: Engine, user_id: int) -> dict[str, int]:
    """Rows the import wrote (it acts as the system user; the writers as themselves)."""
    with read_session(engine) as s:
        def n(model: type, column: object) -> int:
            return s.execute(select(func.count()).select_from(model)
                             .where(column == user_id)).scalar_one()

        return {"input": n(Input, Input.recorded_by_id), "action": n(Action, Action.created_by_id),
                "report_back": n(ReportBack, ReportBack.recorded_by_id),
                "keys": s.execute(select(func.count()).select_from(ImportKey)).scalar_one()}


def _crash_rounds(engine: Engine, session: Session, scene: Scene, tmp: Path, *,
                  rounds: int, rows: int, batch: int) -> None:
    seed = int(os.environ.get("HEARBACK_SCALE_SEED", str(time.time_ns() % 1_000_000)))
    print(f"{engine.dialect.name}: HEARBACK_SCALE_SEED={seed}")
    rng = random.Random(seed)
    files = []
    kills = {"writer": 0, "import": 0}
    started = time.monotonic()
    for n in range(rounds):
        # A new file each round (its own ids), so that every round's import is cut short.
        files.append(write_log(tmp / f"r{n}.csv", f"R{n}-", rows))
        writer = spawn(engine, "writer", "--user", scene.writers[n % len(scene.writers)],
                       "--seed", str(seed + n), "--places", scene.localities, "--pause", "0.02")
        importer = spawn(engine, "import", "--user", "system", "--mapping", str(LOG_MAPPING),
                         "--batch", str(batch), "--file", str(files[-1]))
        wait_ready(writer)
        wait_ready(importer)
        _kill_at([(writer, rng.uniform(0.05, 2.0)), (importer, rng.uniform(0.2, 2.0))])
        assert writer.returncode == -signal.SIGKILL, writer.communicate()[1]
        assert importer.returncode in (0, -signal.SIGKILL), importer.communicate()[1]
        kills["writer"] += 1
        kills["import"] += importer.returncode == -signal.SIGKILL
        sqlite_intact(engine)
        derived_data_in_step(engine, utcnow())
        audit_matches_rows(engine)
    print(f"{rounds} rounds, kills {kills}, {time.monotonic() - started:.1f} s;",
          "imported before the re-runs:", _imported_by(engine, scene.places.admin.id))
    assert kills["import"] > 0, "no import was killed: the rounds test nothing"

    # Re-running every import ends with exactly the rows of the files.
    for path in files:
        result = run(session, scene.places.admin, path, mapping("spreadsheet_log"),
                     batch_size=batch)
        assert result.rejected == 0 and result.imported + result.duplicates == rows
    cycles = rounds * rows // 8
    assert _imported_by(engine, scene.places.admin.id) == {
        "input": cycles * PER_CYCLE["input"], "action": cycles * PER_CYCLE["action"],
        "report_back": cycles * PER_CYCLE["report_back"], "keys": rounds * rows}
    sqlite_intact(engine)
    derived_data_in_step(engine, utcnow())
    audit_matches_rows(engine)


def test_killed_writers_and_imports(engine: Engine, session: Session, scene: Scene,
                                    tmp_path: Path) -> None:
    _crash_rounds(engine, session, scene, tmp_path, rounds=4, rows=240, batch=20)


@pytest.mark.slow
def test_killed_writers_and_imports_many_times(engine: Engine, session: Session, scene: Scene,
                                               tmp_path: Path) -> None:
    _crash_rounds(engine, session, scene, tmp_path, rounds=40, rows=160, batch=20)
