"""Pages rendered in each language show translated text; Arabic sets right-to-left."""

import pytest

from tests.dashboard.conftest import AppDB, open_page
from tracker.i18n import COMPLETE_LOCALES, LOCALES, Localizer

PAGE_TITLES = {
    "views/follow_ups.py": "My follow-ups",
    "views/log_input.py": "Log an input",
    "views/actions.py": "Actions and commitments",
    "views/leadership.py": "Leadership dashboard",
    "views/locality.py": "Locality history",
}


@pytest.mark.parametrize("locale", [loc for loc in COMPLETE_LOCALES if loc != "en"])
@pytest.mark.parametrize("page", list(PAGE_TITLES))
def test_pages_are_translated(app_db: AppDB, locale: str, page: str) -> None:
    at = open_page(page, lang=locale)
    assert not at.exception
    expected = Localizer(locale).gettext(PAGE_TITLES[page])
    assert expected != PAGE_TITLES[page], f"{locale} has no translation for the title"
    assert at.title[0].value == expected


@pytest.mark.parametrize("locale", [loc for loc in LOCALES if loc != "en"])
def test_public_display_in_every_language(app_db: AppDB, locale: str) -> None:
    at = open_page("views/public.py", lang=locale, period="all")
    assert not at.exception
    loc = Localizer(locale)
    assert at.title[0].value == loc.gettext("You said — we did") != "You said — we did"
    assert at.header[0].value == loc.gettext("You said") != "You said"


def test_language_choice_survives_page_changes(app_db: AppDB) -> None:
    at = open_page("views/follow_ups.py", lang="sw")
    at.query_params.clear()
    at.switch_page("views/actions.py").run()
    assert at.title[0].value == Localizer("sw").gettext("Actions and commitments")
    at.selectbox(key="_lang_picker").set_value("fr").run()
    assert at.title[0].value == Localizer("fr").gettext("Actions and commitments")


def test_arabic_injects_right_to_left_style(app_db: AppDB) -> None:
    at = open_page("views/follow_ups.py", lang="ar")
    styles = "\n".join(h.proto.body for h in at.get("html"))
    assert "direction: rtl" in styles
    at_fr = open_page("views/follow_ups.py", lang="fr")
    assert "direction: rtl" not in "\n".join(h.proto.body for h in at_fr.get("html"))


@pytest.mark.parametrize("locale", [loc for loc in COMPLETE_LOCALES if loc != "en"])
def test_the_signed_in_role_is_named_in_the_language(app_db: AppDB, locale: str) -> None:
    at = open_page("views/follow_ups.py", lang=locale)
    caption = " ".join(c.value for c in at.sidebar.caption)
    assert Localizer(locale).gettext("Officer") in caption and "(officer)" not in caption
