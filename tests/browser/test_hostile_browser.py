"""Hostile report-back text on the real public display, in real Chromium.

A served database holds an approved report-back (and a public commitment and a theme
label) whose words are markup that would run script if it were ever parsed as HTML or
Markdown. The page must show the words as text, contain no element built from them,
and no handler may run: each payload sets a ``window`` flag that must stay unset.
"""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session

from tests.browser.conftest import serve, shoot, wait_for_app
from tests.utils.factories import T0, build_world, make_input
from tracker.db import make_engine
from tracker.migrate import upgrade
from tracker.seed import seed_defaults
from tracker.services import create_action, record_report_back, save_term

IMG = '<img src=x onerror="window.__hb_pwned=1">'
SCRIPT = "<script>window.__hb_pwned=2</script>"
LINK = "[click](javascript:window.__hb_pwned=3)"
RTL = "\u202eevil\u202c"
MESSAGE = f"{IMG} {SCRIPT} {LINK} =HYPERLINK(\"http://x\",\"y\") {RTL} fin"
TITLE = f"{LINK} {IMG}"
THEME = f"{SCRIPT} eau"


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db: Path = tmp_path_factory.mktemp("hostile") / "hostile.db"
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    with Session(engine, expire_on_commit=False) as s:
        seed_defaults(s)
        w = build_world(s)
        save_term(session=s, actor=w.admin, kind="theme", code="basic_services", label=THEME)
        item = make_input(s, w.officer, w.town)
        create_action(session=s, actor=w.officer, input_ids=[item.id], data={
            "kind_code": "qip", "title": TITLE, "is_public_commitment": True,
            "due_date": (datetime.now(UTC) + timedelta(days=30)).date(),
            "created_at": T0 + timedelta(hours=1)})
        record_report_back(session=s, actor=w.officer, data={
            "input_ids": [item.id], "audience": "community", "method": "town_hall",
            "reported_at": T0 + timedelta(days=1), "messages": {"fr": MESSAGE},
            "approved_public": True})
    engine.dispose()
    yield from serve(db)


INJECTED = """() => ({
    pwned: window.__hb_pwned ?? null,
    images: [...document.querySelectorAll('img')].filter(i => i.getAttribute('src') === 'x').length,
    scripts: [...document.querySelectorAll('script')]
        .filter(s => s.textContent.includes('__hb_pwned')).length,
    links: document.querySelectorAll('a[href^="javascript"]').length,
    handlers: [...document.querySelectorAll('*')].filter(
        e => [...e.attributes].some(a => a.name.startsWith('on'))).length,
})"""


@pytest.mark.parametrize("kiosk", ["0", "1"])
def test_hostile_message_is_shown_as_text(browser, hostile_server: str, kiosk: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{hostile_server}/public?lang=fr&period=all&kiosk={kiosk}")
    wait_for_app(page, ".hb-slide")
    if kiosk == "1":  # the slides rotate: wait for the one with the messages
        page.locator(".hb-message").first.wait_for(timeout=60_000)
    else:
        page.locator(".hb-message").first.wait_for()
    page.wait_for_timeout(1000)  # time for a handler to fire, were there one
    assert MESSAGE in page.locator(".hb-message").first.inner_text()
    if kiosk == "0":
        rows = page.locator(".hb-row").all_inner_texts()
        assert any(TITLE in row for row in rows), rows
        assert any(THEME in row for row in rows), rows
    found = page.evaluate(INJECTED)
    assert found == {"pwned": None, "images": 0, "scripts": 0, "links": 0, "handlers": 0}, found
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.locator(".st-key-hb-page-error").count() == 0
    assert not [e for e in errors if "__hb_pwned" in e]
    shoot(page, f"public-hostile-kiosk{kiosk}")
    context.close()


def test_served_app_keeps_xsrf_protection(browser, hostile_server: str) -> None:  # type: ignore[no-untyped-def]
    """``hearback serve`` runs with XSRF protection on: Streamlit sets its token cookie."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{hostile_server}/public?lang=fr")
    wait_for_app(page, ".hb-slide")
    assert any(c["name"] == "_streamlit_xsrf" for c in context.cookies())
    context.close()
