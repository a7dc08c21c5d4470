"""Storage fixtures: every storage test runs on SQLite and, when TEST_DATABASE_URL is
set, on PostgreSQL too (each run in a schema of its own, dropped afterwards)."""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

from tracker.db import make_engine, scratch_schema
from tracker.migrate import upgrade
from tracker.models import metadata
from tracker.seed import seed_defaults
from tracker.settings import normalise_url

PG_URL = os.environ.get("TEST_DATABASE_URL")
SLOW = os.environ.get("HEARBACK_SLOW") == "1"
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``slow`` (bigger data, longer runs) run only with HEARBACK_SLOW=1."""
    if SLOW:
        return
    skip = pytest.mark.skip(reason="slow: set HEARBACK_SLOW=1")
    for item in items:
        if item.get_closest_marker("slow"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated, seeded SQLite file; each test gets a copy (migrating is the slow part)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with Session(engine) as session:
        seed_defaults(session)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_engine() -> Iterator[Engine]:
    """A fresh schema on the test server, migrated once for the session."""
    assert PG_URL
    with scratch_schema(normalise_url(PG_URL), "hb_test") as engine:
        upgrade(engine)
        yield engine


def _truncate_pg(engine: Engine) -> None:
    tables = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with engine.begin() as conn:  # the audit table's triggers refuse TRUNCATE; tests may
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    with Session(engine) as session:
        seed_defaults(session)


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> Iterator[Engine]:
    """A migrated, seeded, otherwise empty database on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "hearback.db"
        shutil.copy(sqlite_template, path)
        eng = make_engine(f"sqlite:///{path}")
        yield eng
        eng.dispose()
    else:
        eng = request.getfixturevalue("pg_engine")
        _truncate_pg(eng)
        yield eng


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as s:
        yield s
