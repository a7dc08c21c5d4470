"""An import killed mid-file (SIGKILL: no cleanup runs) and run again ends with exactly
the rows it should have: nothing lost, nothing twice, the trail and the facts in step."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import Engine, func, select, text
from sqlmodel import Session

from tests.io.conftest import Places, count, mapping, run
from tests.io.samples import MAPPINGS, csv_bytes, log_rows
from tracker.db import READ_ONLY
from tracker.loop import facts_drift
from tracker.models import Action, AuditEvent, ImportKey, ImportRun, Input, ReportBack
from tracker.repeats import repeat_drift
from tracker.settings import PROJECT_ROOT

ROWS = 4000
BATCH = 100


def _big_log(path: Path) -> None:
    """The example log over a year and a half, with fresh ids: every row an input, most
    with an action and a report-back."""
    path.write_bytes(csv_bytes(log_rows(ROWS)))


def _target(engine: Engine) -> tuple[str, dict[str, str]]:
    """The URL and environment another process opens the same database (and schema) with."""
    url = engine.url.render_as_string(hide_password=False)
    if engine.dialect.name != "postgresql":
        return url, {}
    with engine.connect() as conn:
        schema = conn.execute(text("SELECT current_schema()")).scalar_one()
    return url, {"PGOPTIONS": f"-csearch_path={schema}"}


def _imported(engine: Engine) -> int:
    """Rows committed so far, read without taking SQLite's write lock."""
    with engine.execution_options(**{READ_ONLY: True}).connect() as conn:
        return conn.execute(select(func.count()).select_from(ImportKey.__table__)).scalar_one()


def test_killed_import_resumes_to_exactly_the_expected_rows(
        engine: Engine, session: Session, places: Places, tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    _big_log(path)
    url, extra = _target(engine)
    command = [sys.executable, "-m", "tracker.cli", "--db", url, "import", str(path),
               "--mapping", str(MAPPINGS / "spreadsheet_log.toml"), "--batch-size", str(BATCH)]
    env = os.environ | {"PYTHONPATH": str(PROJECT_ROOT)} | extra
    started = time.monotonic()
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while _imported(engine) < 3 * BATCH and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    print("killed after", time.monotonic() - started)
    done = _imported(engine)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read() if proc.stderr else ""
    assert 0 < done < ROWS, "the import ended before it could be killed"
    assert done % BATCH == 0  # whole batches only
    session.expire_all()
    assert count(session, Input) == done
    assert session.exec(select(ImportRun.finished_at)).one()[0] is None

    started = time.monotonic()
    result = run(session, places.admin, path, mapping("spreadsheet_log"), batch_size=BATCH)
    print("re-run", time.monotonic() - started)
    assert (result.imported, result.duplicates, result.rejected) == (ROWS - done, done, 0)
    per_cycle = {"inputs": 8, "actions": 6, "report_backs": 5}
    cycles = ROWS // 8
    assert count(session, Input) == ROWS
    assert count(session, Action) == per_cycle["actions"] * cycles
    assert count(session, ReportBack) == per_cycle["report_backs"] * cycles
    records = session.execute(select(func.count()).select_from(AuditEvent)
                              .where(AuditEvent.verb == "record")).scalar_one()
    assert records == ROWS  # every input recorded once in the trail, none twice
    assert facts_drift(session) == [] and repeat_drift(session) == []
