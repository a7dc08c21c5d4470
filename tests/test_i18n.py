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



def test_signed_changes_follow_the_locale() -> None:
    assert Localizer("fr").signed(-10.84, 1) == "-10,8"
    assert Localizer("fr").signed(1234) == "+1\u202f234"
    assert Localizer("en").signed(0.04, 1) == "0.0"  # rounds to nothing: no sign
    assert Localizer("en").signed(None) == "–"


def test_parse_gives_plain_messages_translated_everywhere() -> None:
    """Pydantic's own English never reaches a form: each error type has a message of ours."""
    from tracker.errors import ValidationError
    from tracker.shapes import ActionCreate, InputCreate, LocalityCreate, parse

    def errors(shape: type, data: dict) -> dict[str, str]:  # type: ignore[type-arg]
        with pytest.raises(ValidationError) as caught:
            parse(shape, data)
        return caught.value.errors

    found = errors(InputCreate, {
        "received_at": datetime(2026, 3, 2, tzinfo=UTC), "channel_code": "x", "locality_id": 1,
        "type_code": "x", "theme_codes": [], "language": "fr", "original_text": "", "women": -1})
    assert found == {"theme_codes": "choose at least one",
                     "original_text": "this field is required",
                     "women": "must be greater than or equal to 0"}
    found |= errors(ActionCreate, {"kind_code": "qip", "title": "x" * 301})
    assert found["title"] == "too long: at most 300 characters"
    found |= errors(LocalityCreate, {"name": "x", "level": "locality", "latitude": "north"})
    assert found["latitude"] == "enter a number"
    for locale in ("fr", "ar", "sw"):
        loc = Localizer(locale)
        shown = {field: loc.gettext(message) for field, message in found.items()}
        assert all(shown[f] != found[f] for f in found), (locale, shown)
        assert loc.number(300) in shown["title"]
        assert shown["women"] == loc.gettext("must be greater than or equal to {n}",
                                             n=loc.number(0))


def test_service_messages_are_translated_with_their_values(session) -> None:  # type: ignore[no-untyped-def]
    """What the services raise, as raised, is translated, the name or number kept."""
    from tests.utils.factories import build_world
    from tracker.contacts import MAX_CONTACT_LENGTH
    from tracker.errors import ValidationError
    from tracker.services import create_locality, create_user, update_user
    from tracker.signin import MIN_PASSWORD_LENGTH, hash_password

    w = build_world(session)
    raised = []
    for call in (
        lambda: create_user(session=session, actor=w.admin,
                            data={"username": "officer.a", "role": "officer"}),
        lambda: update_user(session=session, actor=w.admin, username="viewer",
                            section_code="no_such"),
        lambda: create_locality(session=session, actor=w.admin,
                                data={"name": "X", "level": "region", "parent_id": w.town.id}),
        lambda: create_locality(session=session, actor=w.admin, data={
            "name": "Mbeto", "level": "locality", "parent_id": w.town.parent_id}),
        lambda: hash_password("short"),
    ):
        with pytest.raises(ValidationError) as caught:
            call()
        raised.append(next(iter(caught.value.errors.values())))
    raised.append(f"at most {MAX_CONTACT_LENGTH} characters")  # add_contact's, as raised
    for locale in ("fr", "ar", "sw"):
        loc = Localizer(locale)
        shown = [loc.gettext(m) for m in raised]
        assert all(s != m for s, m in zip(shown, raised, strict=True)), (locale, shown)
        assert "'officer.a'" in shown[0] and "'no_such'" in shown[1] and "'Mbeto'" in shown[3]
        assert loc.number(MIN_PASSWORD_LENGTH) in shown[4]
        assert loc.number(MAX_CONTACT_LENGTH) in shown[5]


def test_listed_service_messages_are_still_raised() -> None:
    """``SERVICE_MESSAGES`` copies texts raised elsewhere: each is still in those sources."""
    import ast
    from pathlib import Path

    from tracker.shapes import SERVICE_MESSAGES

    root = Path(__file__).resolve().parents[1] / "tracker"
    texts = {node.value for path in root.rglob("*.py") if path.name != "shapes.py"
             for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
             if isinstance(node, ast.Constant) and isinstance(node.value, str)}
    assert [m for m in SERVICE_MESSAGES if m not in texts] == []
