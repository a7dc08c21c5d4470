"""The served app in real Chromium: it answers, draws, and turns right-to-left in Arabic."""

from tests.browser.conftest import shoot, wait_for_app


def test_leadership_dashboard_renders(server: str, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{server}/leadership?lang=en")
    wait_for_app(page, "Leadership dashboard")
    page.get_by_text("Inputs received and closed, per week").wait_for()
    assert page.locator("[data-testid='stMetric']").count() >= 7
    assert page.locator("canvas, svg.marks").count() >= 3, "the charts were drawn"
    assert page.locator("[data-testid='stException']").count() == 0
    shoot(page, "leadership-en")


def test_arabic_is_right_to_left(server: str, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{server}/leadership?lang=ar")
    wait_for_app(page, "Leadership dashboard" if False else "")
    direction = page.evaluate(
        "() => getComputedStyle(document.querySelector(\"[data-testid='stMain']\")).direction")
    assert direction == "rtl"
    shoot(page, "leadership-ar")


def test_french_language_sticks_across_pages(server: str, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{server}/follow-ups?lang=fr")
    wait_for_app(page, "")
    direction = page.evaluate(
        "() => getComputedStyle(document.querySelector(\"[data-testid='stMain']\")).direction")
    assert direction == "ltr"
    shoot(page, "follow-ups-fr")
