"""A page that fails shows a short translated sentence; the browser never sees the
exception, its SQL or a stack trace, and the server log has all of it."""

import logging

import pytest
from sqlalchemy.exc import OperationalError

import tracker.register
from tests.dashboard.conftest import AppDB, open_page
from tests.utils.rendered import inspect

SECRET_SQL = "SELECT original_text FROM input WHERE source_code = 'CAN-017'"


@pytest.fixture
def failing_register(monkeypatch: pytest.MonkeyPatch) -> None:
    """The actions page's first query fails the way a lost database connection does."""
    def boom(**_: object) -> int:
        raise OperationalError(SECRET_SQL, {}, Exception("server closed the connection"))

    monkeypatch.setattr(tracker.register, "action_register_count", boom)
    monkeypatch.delenv("HEARBACK_PROPAGATE_ERRORS")  # as served


@pytest.mark.parametrize(("lang", "words"), [("en", "Something went wrong"),
                                             ("fr", "Un problème est survenu"),
                                             ("ln", "Likambo moko ebebi")])
def test_failing_page_says_so_briefly(app_db: AppDB, failing_register: None,
                                      caplog: pytest.LogCaptureFixture, lang: str,
                                      words: str) -> None:
    with caplog.at_level(logging.ERROR, logger="hearback.dashboard"):
        at = open_page("views/actions.py", lang=lang)
    assert not at.exception
    (error,) = at.error
    assert words in error.value
    on_screen = inspect(at).visible()
    for leak in ("SELECT", "CAN-017", "OperationalError", "Traceback", "server closed"):
        assert leak not in on_screen
    (record,) = [r for r in caplog.records if r.name == "hearback.dashboard"]
    reference = record.args[0]  # type: ignore[index]
    assert reference in error.value.replace("\\", "")
    assert SECRET_SQL in caplog.text  # the operator gets the whole story


def test_tests_see_the_real_exception(app_db: AppDB, monkeypatch: pytest.MonkeyPatch) -> None:
    """With HEARBACK_PROPAGATE_ERRORS=1 (every other dashboard test) errors stay errors."""
    monkeypatch.setattr(tracker.register, "action_register_count",
                        lambda **_: (_ for _ in ()).throw(RuntimeError("boom")))
    at = open_page("views/actions.py")
    assert at.exception and "boom" in at.exception[0].value
