"""The served app in real Chromium: it answers, draws, and turns right-to-left in Arabic."""

from tests.browser.conftest import open_in_app, shoot, sign_in, wait_for_app

MAIN_DIRECTION = (
    "() => getComputedStyle(document.querySelector(\"[data-testid='stMain']\")).direction")


def test_leadership_dashboard_renders(server: str, page) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, server, "en")
    open_in_app(page, "leadership", "[data-testid='stMetric']")
    page.get_by_text("Inputs received and closed, per week").wait_for()
    assert page.locator("[data-testid='stMetric']").count() >= 7
    assert page.locator("[data-testid='stVegaLiteChart']").count() >= 3, "the charts were drawn"
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.locator(".st-key-hb-page-error").count() == 0  # the guard's message
    assert page.evaluate(MAIN_DIRECTION) == "ltr"
    shoot(page, "leadership-en")


def test_arabic_is_right_to_left(server: str, page) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, server, "ar")
    open_in_app(page, "leadership", "[data-testid='stMetric']")
    page.get_by_text("لوحة متابعة القيادة").first.wait_for()
    assert page.evaluate(MAIN_DIRECTION) == "rtl"
    title_box = page.locator("h1").first.bounding_box()
    main_box = page.locator("[data-testid='stMain']").bounding_box()
    assert title_box["x"] + title_box["width"] > main_box["x"] + main_box["width"] * 0.5, (
        "the title sits on the right")
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.locator(".st-key-hb-page-error").count() == 0  # the guard's message
    shoot(page, "leadership-ar")


def test_french_choice_survives_page_changes(server: str, page) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, server, "fr", user="officer.ca1")  # then follow-ups, the default page
    wait_for_app(page, "h1")
    page.get_by_role("heading", name="Mes suivis").wait_for()
    page.get_by_role("link", name="Tableau de bord de la direction").click()
    page.get_by_role("heading", name="Tableau de bord de la direction").wait_for()
    wait_for_app(page, "[data-testid='stMetric']")
    assert page.evaluate(MAIN_DIRECTION) == "ltr"
    shoot(page, "leadership-fr")


def test_signed_out_the_dashboard_url_shows_only_sign_in(server: str, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{server}/leadership?lang=en")
    wait_for_app(page, "[data-testid='stTextInput'] input[type='password']")
    assert page.locator("[data-testid='stMetric']").count() == 0
    assert page.get_by_text("leader.hom").count() >= 1  # the demo's accounts are named
    assert page.locator("[data-testid='stException']").count() == 0
