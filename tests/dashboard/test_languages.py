"""Pages rendered in each language show translated text; Arabic sets right-to-left."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select
from streamlit.proto.Metric_pb2 import Metric as MetricProto

from tests.dashboard.conftest import AppDB, open_page
from tests.utils.factories import make_input
from tracker.i18n import COMPLETE_LOCALES, LOCALES, Localizer
from tracker.models import Input

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


@pytest.mark.parametrize("locale", ["fr", "ar"])
def test_leadership_tables_and_changes_are_written_for_the_locale(app_db: AppDB,
                                                                  locale: str) -> None:
    """Term labels, dates, whole days and signed changes follow the reader's language."""
    w, now = app_db.world, datetime.now(UTC)
    with Session(app_db.engine) as s:  # women 75 % of participants before, 25 % now
        make_input(s, w.officer, w.village, received_at=now - timedelta(days=100), women=3, men=1)
        recent = make_input(s, w.officer, w.village, received_at=now - timedelta(days=5, hours=7),
                            type_code="alert", women=1, men=3)
    at = open_page("views/leadership.py", as_user="leader", lang=locale)
    assert not at.exception
    loc = Localizer(locale)
    _ = loc.gettext
    neck, oldest = (d.value for d in at.dataframe)

    assert _("Civil Affairs") in list(neck[_("Section")])
    assert set(neck[_("Section")]) <= {_("Civil Affairs"), "–"} and _("Civil Affairs") != "Civil Affairs"
    assert set(oldest[_("Section")]) == {_("Civil Affairs")}
    assert set(oldest[_("Type")]) <= {_("Alert / threat (early warning)"), _("Request / need")}
    with Session(app_db.engine) as s:
        received = {i.id: i.received_at for i in s.exec(select(Input))}
    assert [loc.date(received[i]) for i in oldest["id"]] == list(oldest[_("Received")])
    for column in (neck[_("Oldest (days)")], oldest[_("Days open")], neck[_("Open")]):
        for value in column:  # whole numbers, written as the locale writes them
            assert value == loc.number(int(re.sub(r"\D", "", value))), value
    row = oldest[oldest["id"] == recent.id].iloc[0]
    assert row[_("Days open")] == loc.number(5)
    assert row[_("Type")] == _("Alert / threat (early warning)")

    women = next(m for m in at.metric if m.label == _("Participants who are women"))
    assert women.proto.delta == _("{delta} pp", delta=loc.signed(-50.0, 1))
    assert women.proto.delta not in ("-50.0 pp", "-50.0")
    assert women.proto.direction == MetricProto.MetricDirection.DOWN
    assert women.proto.color == MetricProto.MetricColor.RED
