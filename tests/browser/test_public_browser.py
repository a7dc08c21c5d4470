"""The public display in real Chromium: a 1080p projector and a phone, French and Arabic."""

import pytest

from tests.browser.conftest import shoot, wait_for_app

DIRECTION = "() => getComputedStyle(document.querySelector(\"[data-testid='stMain']\")).direction"


@pytest.mark.parametrize(("lang", "direction", "title"), [
    ("fr", "ltr", "Vous avez dit — nous avons fait"),
    ("ar", "rtl", "قلتم — فعلنا"),
])
def test_public_display_on_a_projector(browser, server: str, lang: str, direction: str,  # type: ignore[no-untyped-def]
                                       title: str) -> None:
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    page.goto(f"{server}/public?lang={lang}&period=all&kiosk=1")
    wait_for_app(page, ".hb-slide")
    page.get_by_text(title).first.wait_for()
    assert page.evaluate(DIRECTION) == direction
    assert page.locator("[data-testid='stSidebar']").count() == 0 or not page.locator(
        "[data-testid='stSidebar']").is_visible()
    size = page.evaluate("() => parseFloat(getComputedStyle(document.querySelector('.hb-big')"
                         " || document.querySelector('.hb-row b')).fontSize)")
    assert size >= 32, "readable from the back of a room"
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.locator(".st-key-hb-page-error").count() == 0  # the guard's message
    shoot(page, f"public-{lang}-1080p")
    context.close()


def test_public_display_on_a_phone(browser, server: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.goto(f"{server}/public?lang=fr&period=all")
    wait_for_app(page, ".hb-slide")
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 400, "no sideways scrolling on a phone"
    shoot(page, "public-fr-phone")
    context.close()
