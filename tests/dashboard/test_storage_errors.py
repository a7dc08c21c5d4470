"""A read-only database or a full disk: the form says so in one sentence, keeps what was
typed, saves nothing, and every page goes on showing the data.

Read-only is a ``mode=ro`` URL (as a read-only mount would give; chmod does not stop
root, who may run the tests); a full disk is SQLite's ``max_page_count`` set on every
connection the app opens.
"""

import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlmodel import Session, func, select

from tests.dashboard.conftest import AppDB, click, open_page
from tracker.models import Action, Input


def _count(app_db: AppDB, model: type) -> int:
    with Session(app_db.engine) as s:
        return s.exec(select(func.count()).select_from(model)).one()


def _integrity(app_db: AppDB) -> list[str]:
    with app_db.engine.connect() as conn:
        return list(conn.exec_driver_sql("PRAGMA integrity_check").scalars())


@pytest.fixture
def read_only(app_db: AppDB, monkeypatch: pytest.MonkeyPatch) -> AppDB:
    """The app opens the database through a read-only URL."""
    monkeypatch.setenv("HEARBACK_DATABASE_URL",
                       f"sqlite:///file:{app_db.engine.url.database}?mode=ro&uri=true")
    return app_db


@pytest.fixture
def disk_full(app_db: AppDB) -> Iterator[AppDB]:
    """Every connection opened meanwhile may not grow the file by a single page."""

    def cap(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        pages = cursor.execute("PRAGMA page_count").fetchone()[0]
        cursor.execute(f"PRAGMA max_page_count = {pages}")
        cursor.close()

    app_db.engine.dispose()  # the fixture's own connections are opened again, capped too
    event.listen(Engine, "connect", cap)
    yield app_db
    event.remove(Engine, "connect", cap)


def _errors(at: Any) -> list[str]:
    """The error messages as read on screen (markdown escapes and bidi marks removed)."""
    return [re.sub(r"\\(.)", r"\1", e.value).strip("\u2068\u2069") for e in at.error]


def _log_an_input(at: Any, app_db: AppDB, text: str) -> None:
    at.selectbox(key="li_locality").set_value(app_db.world.village.id)
    at.multiselect(key="li_themes").set_value(["security"])
    at.text_area(key="li_text").input(text)
    click(at, "Record input")


@pytest.mark.parametrize(("state", "words"), [
    ("read_only", "the database is read-only"),
    ("disk_full", "the disk is full"),
])
def test_log_an_input_says_why_nothing_was_saved(app_db: AppDB, request: pytest.FixtureRequest,
                                                 state: str, words: str) -> None:
    request.getfixturevalue(state)
    before = _count(app_db, Input)
    at = open_page("views/log_input.py")
    text = "Des hommes armés ont été vus près de l'école. " * 200  # more than a free page
    _log_an_input(at, app_db, text)
    assert not at.exception, at.exception
    assert any(words in e and "nothing was saved" in e for e in _errors(at)), _errors(at)
    assert at.text_area(key="li_text").value == text  # what was typed is kept
    assert _count(app_db, Input) == before
    assert _integrity(app_db) == ["ok"]


@pytest.mark.parametrize(("state", "words"), [
    ("read_only", "the database is read-only"),
    ("disk_full", "the disk is full"),
])
def test_run_write_forms_say_why_and_reads_go_on(app_db: AppDB, request: pytest.FixtureRequest,
                                                 state: str, words: str) -> None:
    """The input page's forms go through ``run_write``; the other pages keep reading."""
    request.getfixturevalue(state)
    at = open_page("views/input_detail.py", id="1")
    assert not at.exception, at.exception
    at.text_input(key="na_title").input("Réparer le forage " + "x" * 270)
    click(at, "Create action")
    assert not at.exception, at.exception
    assert any(words in e and "nothing was saved" in e for e in _errors(at)), _errors(at)
    assert _count(app_db, Action) == 0
    assert any("Input #1" in h.value for h in at.subheader)  # the page still shows the input
    for page in ("views/follow_ups.py", "views/leadership.py", "views/locality.py"):
        at.switch_page(page).run()
        assert not at.exception, (page, at.exception)
        assert not _errors(at), (page, _errors(at))
    assert _integrity(app_db) == ["ok"]
