"""Fixtures for the concurrency and crash tests: writer accounts, sample logs, processes.

Tests marked ``slow`` here (more processes' work, more kills) run only with
HEARBACK_SLOW=1; the same properties are checked at a smaller size on every run.
"""

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from tests.io.conftest import Places, places  # noqa: F401  (the places the sample log names)
from tests.io.samples import MAPPINGS, csv_bytes, log_rows
from tests.io.test_kill import _target
from tracker.codes import Role
from tracker.services import create_user
from tracker.settings import PROJECT_ROOT

LOG_MAPPING = MAPPINGS / "spreadsheet_log.toml"
# One cycle of the example log: 8 rows give 8 inputs, 6 actions (each linked to its row's
# input) and 5 report-backs (each for its row's input).
PER_CYCLE = {"input": 8, "action": 6, "report_back": 5}


@dataclass
class Scene:
    """The demo places, the writers' accounts (admins: they may read every input) and the
    localities they write about."""

    places: Places
    writers: list[str]
    localities: str  # ids, comma-separated, for the worker's --places


@pytest.fixture
def scene(session: Session, places: Places) -> Scene:  # noqa: F811
    writers = []
    for n in range(8):
        user = create_user(session=session, actor=places.admin, data={
            "username": f"writer{n}", "role": Role.ADMIN, "component_code": "civilian",
            "section_code": "civil_affairs"})
        writers.append(user.username)
    ids = [places.kasolima.id, places.centre.id, places.idp.id, places.sakare.id]
    return Scene(places, writers, ",".join(str(i) for i in ids))


def write_log(path: Path, prefix: str, rows: int, start_days_ago: int = 400) -> Path:
    """The example log, ``rows`` rows with ids ``<prefix>00001``..., dated from
    ``start_days_ago`` days back (so its inputs mingle with those written now)."""
    from datetime import date, timedelta

    data = log_rows(rows, start=date.today() - timedelta(days=start_days_ago))
    for row in data[1:]:
        row[0] = f"{prefix}{row[0]}"
    path.write_bytes(csv_bytes(data))
    return path


def spawn(engine: Engine, *args: str) -> subprocess.Popen[str]:
    """A worker process (tests/scale/worker.py) on the same database (and schema)."""
    url, extra = _target(engine)
    env = os.environ | {"PYTHONPATH": str(PROJECT_ROOT)} | extra
    return subprocess.Popen([sys.executable, "-m", "tests.scale.worker", *args, "--db", url],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=PROJECT_ROOT)


def wait_ready(proc: subprocess.Popen[str]) -> None:
    """Block until the worker says it is about to write (or fail with what it printed)."""
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if line.strip() != "ready":
        proc.wait()
        raise AssertionError(f"worker did not start: {line!r}\n{proc.stderr.read() if proc.stderr else ''}")


def finish(proc: subprocess.Popen[str], timeout: float = 300) -> None:
    """Wait for a worker that should end by itself, and fail with its traceback if it did
    not end well: no error but "busy, try again" may reach the user."""
    _, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err
