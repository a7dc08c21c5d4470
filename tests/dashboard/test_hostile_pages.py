"""Hostile text on every page: shown as text, never as live Markdown or HTML.

One database holds hostile words in every free-text field a page shows (input text,
translation, source group, action titles and outcomes, report-back versions in every
language, a place name, term labels, a display name). Each page is inspected whole:
no Markdown link, image or raw HTML and no script, image or handler in ``st.html``
comes from them, and the words themselves are on screen, character for character.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from dashboard.context import AUTH_KEY
from tests.dashboard.conftest import APP, AppDB, open_page
from tests.utils.factories import T0, make_input
from tests.utils.hostile import HOSTILE, collapsed
from tests.utils.rendered import Rendered, inspect, live_html, live_markdown
from tracker.i18n import LOCALES
from tracker.services import (
    create_action,
    create_locality,
    create_user,
    record_report_back,
    save_term,
    set_action_status,
)
from tracker.signin import start_session

H = HOSTILE
PLACE = "Kalemie " + H["img"]
THEME_LABEL = H["hyperlink"] + " " + H["script"]
CHANNEL_LABEL = H["at_sum"]
COMMITMENT = H["md_link"] + " " + H["img"]
DONE_TITLE = H["sql"]
OUTCOME = H["img"] + " " + H["rtl"]
DISPLAY_NAME = H["script"]
MESSAGES = {lang: f"{lang}: {text}" for lang, text in zip(
    LOCALES, [H["script"], H["img"], H["rtl"], H["md_link"], H["hyperlink"], H["at_sum"],
              H["sql"]], strict=True)}


@dataclass
class Hostile:
    db: AppDB
    input_id: int
    place_id: int
    token: str  # a sign-in of the user whose display name is hostile


@pytest.fixture
def hostile(app_db: AppDB) -> Hostile:
    w = app_db.world
    with Session(app_db.engine, expire_on_commit=False) as s:
        place = create_locality(session=s, actor=w.admin, data={
            "name": PLACE, "level": "locality", "parent_id": w.town.parent_id,
            "setting": "rural"})
        save_term(session=s, actor=w.admin, kind="theme", code="basic_services",
                  label=THEME_LABEL)
        save_term(session=s, actor=w.admin, kind="channel", code="town_hall",
                  label=CHANNEL_LABEL)
        named = create_user(session=s, actor=w.admin, data={
            "username": "hostile.name", "display_name": DISPLAY_NAME, "role": "officer"})
        item = make_input(s, w.officer, place, original_text=H["long"],
                          translation=H["script"], source_group=H["md_link"])
        due = (datetime.now(UTC) + timedelta(days=30)).date()
        create_action(session=s, actor=w.officer, input_ids=[item.id], data={
            "kind_code": "qip", "title": COMMITMENT, "is_public_commitment": True,
            "due_date": due, "created_at": T0 + timedelta(hours=2)})
        done = create_action(session=s, actor=w.officer, input_ids=[item.id], data={
            "kind_code": "qip", "title": DONE_TITLE, "created_at": T0 + timedelta(hours=3)})
        set_action_status(session=s, actor=w.officer, action_id=done.id, status="done",
                          outcome=OUTCOME)
        record_report_back(session=s, actor=w.officer, data={
            "input_ids": [item.id], "audience": "community", "method": "town_hall",
            "reported_at": T0 + timedelta(days=2), "messages": MESSAGES,
            "approved_public": True})
    return Hostile(app_db, item.id, place.id, start_session(app_db.engine, named))


def assert_inert(rendered: Rendered) -> None:
    for source in rendered.markdown:
        assert not live_markdown(source), source[:200]
    for source in rendered.html:
        assert live_html(source) == [], source[:300]


def assert_shown(rendered: Rendered, *texts: str) -> None:
    visible = collapsed(rendered.visible())
    for text in texts:
        assert collapsed(text) in visible, f"{text[:60]!r} is not on the page"


@pytest.mark.parametrize(("page", "query", "expected"), [
    ("views/follow_ups.py", {}, [PLACE, THEME_LABEL]),
    ("views/input_detail.py", {"id": "3"},
     [H["long"], H["script"], H["md_link"], PLACE, COMMITMENT, DONE_TITLE, OUTCOME,
      CHANNEL_LABEL, THEME_LABEL, *MESSAGES.values()]),
    ("views/actions.py", {}, [COMMITMENT, DONE_TITLE]),
    ("views/locality.py", {}, [PLACE]),
    ("views/leadership.py", {}, []),
    ("views/settings.py", {}, [PLACE, CHANNEL_LABEL, DISPLAY_NAME]),
    ("views/log_input.py", {}, [PLACE, CHANNEL_LABEL, THEME_LABEL]),
    ("views/import_export.py", {}, [PLACE]),
    ("views/public.py", {"period": "all", "lang": "en"}, [COMMITMENT, THEME_LABEL,
                                                          MESSAGES["en"]]),
], ids=lambda v: v if isinstance(v, str) else "")
def test_every_page_shows_hostile_text_as_text(hostile: Hostile, page: str,
                                               query: dict[str, str],
                                               expected: list[str]) -> None:
    at = open_page(page, as_user="admin" if page == "views/settings.py" else "officer", **query)
    assert not at.exception, at.exception
    rendered = inspect(at)
    assert_inert(rendered)
    assert_shown(rendered, *expected)


def test_locality_history_of_the_hostile_place(hostile: Hostile) -> None:
    at = open_page("views/locality.py")
    at.selectbox(key="lh_place").set_value(hostile.place_id).run()
    assert not at.exception, at.exception
    rendered = inspect(at)
    assert_inert(rendered)
    assert_shown(rendered, COMMITMENT, DONE_TITLE, OUTCOME, THEME_LABEL, CHANNEL_LABEL)


@pytest.mark.parametrize("lang", LOCALES)
def test_public_display_shows_each_language_version_as_text(hostile: Hostile, lang: str) -> None:
    at = open_page("views/public.py", period="all", lang=lang)
    assert not at.exception, at.exception
    rendered = inspect(at)
    assert_inert(rendered)
    assert_shown(rendered, MESSAGES[lang], COMMITMENT)


@pytest.mark.parametrize("name", ["md_link", "img", "script"])
def test_public_display_place_from_the_url_is_text(hostile: Hostile, name: str) -> None:
    """``?region=`` is typed by anyone: the "unknown place" warning must not render it."""
    at = open_page("views/public.py", region=H[name])
    rendered = inspect(at)
    assert_inert(rendered)
    assert_shown(rendered, H[name])
    assert at.warning, "the unknown place is reported"


def test_public_display_of_the_hostile_place_by_number(hostile: Hostile) -> None:
    at = open_page("views/public.py", locality=str(hostile.place_id), period="all")
    rendered = inspect(at)
    assert_inert(rendered)
    assert_shown(rendered, PLACE, COMMITMENT)


def test_own_display_name_in_the_sidebar_is_text(hostile: Hostile) -> None:
    """The account box names the signed-in user: their display name is user text."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state[AUTH_KEY] = hostile.token
    at.run()
    assert not at.exception, at.exception
    rendered = inspect(at)
    assert_inert(rendered)
    assert_shown(rendered, DISPLAY_NAME)


def test_an_uploaded_file_with_a_hostile_name_and_cells(hostile: Hostile) -> None:
    """The file name and the cells of an import are somebody else's text too."""
    name = "[click](javascript:alert(1)) <img src=x onerror=alert(1)>.csv"
    data = ("date,place,text\n2026-03-02," + PLACE.replace(",", " ") + ","
            + H["img"] + " " + H["hyperlink"].replace(",", ";") + "\n").encode()
    at = open_page("views/import_export.py")
    at.file_uploader(key="ie_file").upload(name, data, "text/csv").run()
    assert not at.exception, at.exception
    rendered = inspect(at)
    assert_inert(rendered)
    assert_shown(rendered, name, H["img"])
    at.button(key="ie_preview").click().run()
    assert not at.exception, at.exception
    assert_inert(inspect(at))


@pytest.mark.parametrize("value", ["²", "٣", "0", "-4", "99999999999999999999"])
def test_odd_numbers_in_the_address_are_not_a_crash(app_db: AppDB, value: str) -> None:
    """``?id=`` and ``?locality=`` are typed by anyone: "²" is a digit to Python's
    isdigit() but no number to int(); 0 and 20 digits are no input number either."""
    detail = open_page("views/input_detail.py", id=value)
    assert not detail.exception, detail.exception
    assert detail.info or detail.error
    for param in ("locality", "region"):
        public = open_page("views/public.py", as_user=None, **{param: value})
        assert not public.exception, public.exception
        assert public.warning
