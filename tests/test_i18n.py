"""Catalogs: current, complete where required, well-formed; formatting follows the locale."""

from datetime import UTC, date, datetime

import pytest
from babel.messages.pofile import read_po

from tracker.catalogs import (
    POT_PATH,
    completeness,
    extract,
    placeholder_problems,
    public_msgids,
    render,
)
from tracker.i18n import COMPLETE_LOCALES, LOCALES, Localizer, negotiate, po_path


def test_template_is_current() -> None:
    """``hearback i18n update`` was run after the last string change."""
    with POT_PATH.open("rb") as fp:
        committed = {m.id for m in read_po(fp) if m.id}
    extracted = {m.id for m in extract() if m.id}
    assert extracted - committed == set(), "run `hearback i18n update`"
    assert committed - extracted == set(), "run `hearback i18n update`"
    assert render(extract()).count(b"msgid") > 100


@pytest.mark.parametrize("locale", [loc for loc in LOCALES if loc != "en"])
def test_catalog_parses_and_placeholders_match(locale: str) -> None:
    assert po_path(locale).exists()
    assert placeholder_problems(locale) == []


@pytest.mark.parametrize("locale", [loc for loc in COMPLETE_LOCALES if loc != "en"])
def test_required_catalogs_are_complete(locale: str) -> None:
    c = completeness(locale)
    missing = c.total - c.translated
    assert missing == 0, f"{locale}: {missing} of {c.total} strings untranslated"


@pytest.mark.parametrize("locale", [loc for loc in LOCALES if loc != "en"])
def test_public_display_is_translated_everywhere(locale: str) -> None:
    c = completeness(locale, public_msgids())
    assert c.total > 30
    assert c.translated == c.total, f"{locale}: {c.total - c.translated} public strings missing"


@pytest.mark.parametrize(("locale", "text"), [
    ("fr", "Tableau de bord"),
    ("ar", "لوحة"),
    ("sw", "Dashibodi"),
])
def test_translation_is_used(locale: str, text: str) -> None:
    assert text.lower() in Localizer(locale).gettext("Leadership dashboard").lower()


def test_fallback_chain_goes_through_french() -> None:
    """A string missing in Lingala is shown in French, not English."""
    fr = Localizer("fr").gettext("Leadership dashboard")
    ln = Localizer("ln")
    assert ln._t.gettext("a string nobody translated") == "a string nobody translated"
    chain = ln._t
    seen = []
    while chain is not None:
        seen.append(getattr(chain, "_info", {}).get("language"))
        chain = getattr(chain, "_fallback", None)
    assert seen[:2] == ["ln", "fr"]
    assert fr != "Leadership dashboard"


@pytest.mark.parametrize(("locale", "n", "expected_form"), [
    ("en", 1, "1 open input"), ("en", 3, "3 open inputs"),
])
def test_plural_forms(locale: str, n: int, expected_form: str) -> None:
    assert Localizer(locale).ngettext("{n} open input", "{n} open inputs", n) == expected_form


def test_arabic_has_six_plural_forms() -> None:
    with po_path("ar").open("rb") as fp:
        catalog = read_po(fp)
    assert catalog.num_plurals == 6
    forms = {Localizer("ar").ngettext("{n} open input", "{n} open inputs", n)
             for n in (0, 1, 2, 3, 11, 100)}
    assert len(forms) >= 5


@pytest.mark.parametrize(("locale", "expected"), [
    ("fr", "2 mars 2026"), ("sw", "2 Machi 2026"), ("ar", "2 مارس 2026"), ("en", "March 2, 2026"),
])
def test_dates_follow_the_locale(locale: str, expected: str) -> None:
    assert Localizer(locale).date(date(2026, 3, 2), "long") == expected


def test_numbers_and_direction() -> None:
    assert Localizer("fr").number(12345) == "12\u202f345"
    assert Localizer("fr").percent(0.52) == "52\u00a0%"
    assert Localizer("ar").direction == "rtl" and Localizer("fr").direction == "ltr"
    assert Localizer("en", "Africa/Kinshasa").datetime(
        datetime(2026, 3, 2, 23, 30, tzinfo=UTC), "short").startswith("3/3/26")


@pytest.mark.parametrize(("asked", "expected"), [
    ("fr-CD", "fr"), (["de", "sw-KE"], "sw"), ("ar_EG", "ar"), ("xx", "en"), (None, "en"),
    ("ln", "ln"),
])
def test_negotiation(asked, expected: str) -> None:  # type: ignore[no-untyped-def]
    assert negotiate(asked) == expected
