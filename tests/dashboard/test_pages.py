"""Every page renders, every form saves through the library, errors show and lose nothing."""

import pytest
from sqlmodel import Session, func, select

from tests.dashboard.conftest import AppDB, click, open_page
from tracker.models import Action, Input, Locality, ReportBack, User
from tracker.signin import resume

PAGES = [
    "views/log_input.py", "views/follow_ups.py", "views/input_detail.py", "views/actions.py",
    "views/locality.py", "views/leadership.py", "views/settings.py", "views/public.py",
    "views/import_export.py",
]


def count(app_db: AppDB, model: type) -> int:
    with Session(app_db.engine) as s:
        return s.exec(select(func.count()).select_from(model)).one()


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders(app_db: AppDB, page: str) -> None:
    at = open_page(page, as_user="admin" if page == "views/settings.py" else "officer")
    assert not at.exception, at.exception
    assert at.title, "each page has a title"


def test_log_an_input_saves_and_says_asked_before(app_db: AppDB) -> None:
    at = open_page("views/log_input.py")
    at.selectbox(key="li_locality").set_value(app_db.world.village.id)
    at.multiselect(key="li_themes").set_value(["security"])
    at.selectbox(key="li_type").set_value("alert")
    at.text_area(key="li_text").input("Des hommes armés ont été vus près de l'école.")
    at.text_input(key="li_group").input("women's group, IDP site")
    at.number_input(key="li_women").set_value(12)
    before = count(app_db, Input)
    click(at, "Record input")
    assert not at.exception
    assert count(app_db, Input) == before + 1
    assert any("recorded" in s.value for s in at.success)
    assert any("1 time before" in w.value for w in at.warning), [w.value for w in at.warning]
    with Session(app_db.engine) as s:
        saved = s.exec(select(Input).order_by(Input.id.desc())).first()  # type: ignore[union-attr]
    assert saved.locality_id == app_db.world.village.id
    assert saved.women == 12 and saved.source_group == "women's group, IDP site"
    assert at.text_area(key="li_text").value == ""  # ready for the next one


def test_log_an_input_error_keeps_what_was_typed(app_db: AppDB) -> None:
    at = open_page("views/log_input.py")
    at.multiselect(key="li_themes").set_value(["security", "health"])
    at.text_input(key="li_group").input("call +243 812 345 678")
    at.text_area(key="li_text").input("Il y a une épidémie au marché.")
    before = count(app_db, Input)
    click(at, "Record input")
    assert count(app_db, Input) == before
    assert any("phone number" in e.value for e in at.error), [e.value for e in at.error]
    assert at.multiselect(key="li_themes").value == ["security", "health"]
    assert at.text_area(key="li_text").value == "Il y a une épidémie au marché."
    assert at.text_input(key="li_group").value == "call +243 812 345 678"


def test_log_an_input_shows_a_rule_on_a_field_without_its_own_message(app_db: AppDB) -> None:
    """A theme that keeps inputs restricted refuses a lower sensitivity: the page says so
    (under the sensitivity) instead of doing nothing."""
    at = open_page("views/log_input.py")
    at.multiselect(key="li_themes").set_value(["conduct"])
    at.text_area(key="li_text").input("Un casque bleu a frappé un commerçant.")
    at.selectbox(key="li_sensitivity").set_value("internal")
    before = count(app_db, Input)
    click(at, "Record input")
    assert not at.exception
    assert count(app_db, Input) == before
    assert any("restricted" in e.value for e in at.error), [e.value for e in at.error]
    assert at.text_area(key="li_text").value == "Un casque bleu a frappé un commerçant."


def test_viewer_cannot_log(app_db: AppDB) -> None:
    at = open_page("views/log_input.py", as_user="viewer")
    assert any("cannot record" in i.value or "can read" in i.value for i in at.info)
    assert not [b for b in at.button if b.label == "Record input"]


def test_input_detail_create_action_status_and_report_back(app_db: AppDB) -> None:
    at = open_page("views/input_detail.py", id="1")
    assert not at.exception
    assert any("Input #1" in h.value for h in at.subheader)
    at.text_input(key="na_title").input("Réparer le forage")
    at.checkbox(key="na_public").check()
    click(at, "Create action")
    assert any("due date" in e.value for e in at.error), "a public commitment needs a due date"
    assert count(app_db, Action) == 0
    assert at.text_input(key="na_title").value == "Réparer le forage"
    at.checkbox(key="na_public").uncheck()
    click(at, "Create action")
    assert count(app_db, Action) == 1
    assert any("In action" in h.value for h in at.subheader)

    at.selectbox(key="status_1_status").set_value("done")
    click(at, "Save status")
    assert any("Actioned" in h.value for h in at.subheader)

    at.text_area(key="rb_text0").input("Le forage a été réparé le mardi.")
    click(at, "Record report-back")
    assert count(app_db, ReportBack) == 1
    assert any("Closed" in h.value for h in at.subheader)
    with Session(app_db.engine) as s:
        assert s.get(Input, 1).closed_at is not None


def test_input_detail_follows_a_link_to_another_input_and_forgets_its_errors(app_db: AppDB) -> None:
    """"Asked before" links open this same page with another ``?id``; what failed on the
    first input is not shown on the second."""
    at = open_page("views/input_detail.py", id="1")
    at.checkbox(key="na_public").check()
    at.text_input(key="na_title").input("Réparer le forage")
    click(at, "Create action")
    assert any("due date" in e.value for e in at.error)
    at.query_params["id"] = "2"
    at.run()
    assert any("Input #2" in h.value for h in at.subheader), [h.value for h in at.subheader]
    assert not at.error, [e.value for e in at.error]
    at.number_input(key="detail_pick").set_value(1).run()  # typed: the address follows
    assert any("Input #1" in h.value for h in at.subheader)
    assert at.query_params["id"] == "1" and not at.error


def test_input_detail_unknown_input(app_db: AppDB) -> None:
    at = open_page("views/input_detail.py", id="999")
    assert any("no input #999" in e.value for e in at.error)


def test_follow_ups_filters_change_rows(app_db: AppDB) -> None:
    at = open_page("views/follow_ups.py")
    assert not at.exception
    assert len(at.dataframe[0].value) == 2
    at.radio(key="fu_scope").set_value("area").run()
    at.selectbox(key="fu_place").set_value(app_db.world.village.id).run()
    frame = at.dataframe[0].value
    assert len(frame) == 1 and frame.iloc[0]["id"] == 2


def test_settings_add_place_and_user(app_db: AppDB) -> None:
    at = open_page("views/settings.py", as_user="admin")
    at.text_input(key="sp_name").input("Kibali")
    at.selectbox(key="sp_parent").set_value(app_db.world.north.id)
    at.selectbox(key="sp_level").set_value("territory")
    click(at, "Add place")
    assert not at.exception
    with Session(app_db.engine) as s:
        place = s.exec(select(Locality).where(Locality.name == "Kibali")).one()
        assert place.region_id == app_db.world.north.id
    at.text_input(key="su_name").input("new officer")
    click(at, "Add user")
    assert any("letters, digits" in e.value for e in at.error)
    at.text_input(key="su_name").input("new.officer")
    click(at, "Add user")
    with Session(app_db.engine) as s:
        assert s.exec(select(User).where(User.username == "new.officer")).one().role == "officer"


def test_settings_switch_a_user_off_and_change_a_role(app_db: AppDB) -> None:
    """Staff rotate out: their account is switched off (and signed out), never deleted."""
    w = app_db.world
    at = open_page("views/settings.py", as_user="admin")
    officer = next(o for o in at.selectbox(key="eu_user").options if w.officer.username in o)
    at.selectbox(key="eu_user").set_value(
        next(u for u in at.selectbox(key="eu_user").options if u == officer)).run()
    at.checkbox(key=f"eu_active_{w.officer.id}").uncheck()
    click(at, "Save user")
    assert not at.exception and not at.error, [e.value for e in at.error]
    with Session(app_db.engine) as s:
        assert s.get(User, w.officer.id).active is False
    assert resume(app_db.engine, app_db.tokens["officer"]) is None  # signed out at once
    at.selectbox(key="eu_user").set_value(
        next(u for u in at.selectbox(key="eu_user").options if w.viewer.username in u)).run()
    at.selectbox(key=f"eu_role_{w.viewer.id}").set_value("officer")
    at.text_input(key=f"eu_section_{w.viewer.id}").input("no_such_section")
    click(at, "Save user")
    assert any("unknown section" in e.value for e in at.error), [e.value for e in at.error]
    at.text_input(key=f"eu_section_{w.viewer.id}").input("")
    click(at, "Save user")
    with Session(app_db.engine) as s:
        assert s.get(User, w.viewer.id).role == "officer"


@pytest.mark.parametrize("who", ["officer", "viewer", "leader"])
def test_settings_is_not_offered_to_non_admins(app_db: AppDB, who: str) -> None:
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        open_page("views/settings.py", as_user=who)


def _tile(at, title: str) -> str:  # type: ignore[no-untyped-def]
    return next(m.value for m in at.metric if m.label == title)


def test_leadership_filters_change_the_figures(app_db: AppDB) -> None:
    at = open_page("views/leadership.py")
    assert not at.exception
    at.selectbox(key="ld_period").set_value("all").run()
    assert _tile(at, "Overdue open inputs") == "2"
    at.selectbox(key="ld_region").set_value(app_db.world.south.id).run()
    assert not at.exception
    assert _tile(at, "Overdue open inputs") == "0"
    at.selectbox(key="ld_region").set_value(None).run()
    at.selectbox(key="ld_theme").set_value("security").run()
    assert _tile(at, "Overdue open inputs") == "1"


def _shown(values: object) -> list[str]:
    """Texts as the reader sees them: without ``md``'s escapes and bidi isolates."""
    import re

    return [re.sub(r"\\(.)", r"\1", v.value).replace("\u2068", "").replace("\u2069", "")
            for v in values]  # type: ignore[attr-defined]


def test_form_errors_are_in_the_reader_s_language(app_db: AppDB) -> None:
    """Pydantic's English and the services' messages reach a form translated, values
    (a name, a number) included; never the library's own wording."""
    from tracker.i18n import Localizer
    from tracker.signin import MIN_PASSWORD_LENGTH

    fr = Localizer("fr")
    at = open_page("views/log_input.py", lang="fr")
    at.multiselect(key="li_themes").set_value([])
    click(at, fr.gettext("Record input"))
    errors = _shown(at.error)
    assert fr.gettext("choose at least one") in errors, errors
    assert fr.gettext("this field is required") in errors, errors
    assert not any("should have" in e or "required" in e for e in errors), errors

    ar = Localizer("ar")
    at = open_page("views/settings.py", as_user="admin", lang="ar")
    at.text_input(key="su_name").input(app_db.world.officer.username)
    at.text_input(key="su_password").input("short")
    click(at, ar.gettext("Add user"))
    too_short = ar.ngettext("a password needs at least {n} character",
                            "a password needs at least {n} characters", MIN_PASSWORD_LENGTH)
    assert too_short in _shown(at.error) and "password" not in too_short
    at.text_input(key="su_password").input("")
    click(at, ar.gettext("Add user"))
    taken = ar.gettext("the user name {name} is taken", name=f"'{app_db.world.officer.username}'")
    assert taken in _shown(at.error) and "taken" not in taken, _shown(at.error)
    at.text_input(key="sp_name").input("Kibali")
    at.selectbox(key="sp_level").set_value("region")
    at.selectbox(key="sp_parent").set_value(app_db.world.town.id)
    click(at, ar.gettext("Add place"))
    assert ar.gettext("a place of this level cannot sit under the place chosen: "
                      "choose one higher up") in _shown(at.error), _shown(at.error)

    sw = Localizer("sw")
    at = open_page("views/input_detail.py", lang="sw", id="1")
    at.text_input(key="na_title").input("Réparer le forage")
    at.checkbox(key="na_public").check()
    click(at, sw.gettext("Create action"))
    due = sw.gettext("a public commitment needs a due date")
    assert due in _shown(at.error) and "due date" not in due, _shown(at.error)


def test_input_detail_history_is_told_in_words(app_db: AppDB) -> None:
    """The History tab names each event and shows the fields a reader follows, in the
    reader's language: no verbs or field names from the trail, no ids or ISO dates, and
    never free text or a contact, only that it changed or was kept."""
    from datetime import timedelta

    from tests.utils.factories import T0
    from tracker.contacts import new_key
    from tracker.i18n import Localizer
    from tracker.services import (
        acknowledge_input,
        create_action,
        edit_input,
        record_input,
        set_action_status,
    )

    w = app_db.world
    with Session(app_db.engine, expire_on_commit=False) as s:
        officer = s.get(User, w.officer.id)
        acknowledge_input(session=s, actor=officer, input_id=1, at=T0 + timedelta(days=1))
        edit_input(session=s, actor=officer, input_id=1, reason="typo", changes={
            "urgency": "high", "translation": "SECRET TRANSLATION",
            "source_group": "the market women"})
        action = create_action(session=s, actor=officer, input_ids=[1], data={
            "kind_code": "qip", "title": "Réparer le forage"})
        set_action_status(session=s, actor=officer, action_id=action.id, status="done")
        uid = s.get(Input, 1).uid
        protected = record_input(session=s, actor=officer, contact="+243 812 345 678",
                                 contact_key=new_key(), data={
                                     "received_at": T0, "channel_code": "town_hall",
                                     "locality_id": w.village.id, "type_code": "complaint",
                                     "theme_codes": ["basic_services"], "language": "fr",
                                     "original_text": "Le forage fuit.", "source_code": "SRC-77"})

    loc = Localizer("fr")
    _ = loc.gettext
    at = open_page("views/input_detail.py", lang="fr", id="1")
    assert not at.exception
    history = " | ".join(_shown(at.tabs[2].children.values()))
    for expected in [
        _("Input recorded"), _("Receipt acknowledged"), _("Input corrected"),
        _("Action created: {action}", action="Réparer le forage"),
        _("Action status changed: {action}", action="Réparer le forage"),
        _("{field}: {value}", field=_("Type"), value=_("Request / need")),
        _("{field}: {value}", field=_("Themes"), value=_("Basic services and quick-impact project needs")),
        _("{field}: {value}", field=_("Acknowledged on"), value=loc.date(T0 + timedelta(days=1))),
        _("{field}: {before} → {after}", field=_("Urgency"), before=_("Medium"), after=_("High")),
        _("{field}: {before} → {after}", field=_("Status"), before=_("Planned"), after=_("Done")),
        _("{field} changed", field=_("Translation")), _("{field} changed", field=_("Source")),
    ]:
        assert expected in history, (expected, history)
    for raw in ["record input", "acknowledge", "acknowledged_at", "urgency:", "None", "2026-03",
                "basic_services", "town_hall", uid, "SECRET", "market women", "Nous demandons"]:
        assert raw not in history, (raw, history)

    at = open_page("views/input_detail.py", lang="fr", id=str(protected.id))
    history = " | ".join(_shown(at.tabs[2].children.values()))
    assert _("Source's contact details kept, encrypted") in history, history
    for raw in ["812", "SRC-77", "encrypted", "contact:", "fuit"]:
        assert raw not in history, (raw, history)


def test_history_of_a_demo_input_says_why_it_is_empty(
        tmp_path, sqlite_template, monkeypatch: pytest.MonkeyPatch) -> None:
    """A demo input has no event of its own (the set is loaded in one step): the tab says
    so instead of showing nothing, which reads as a page that failed."""
    import shutil

    from streamlit.testing.v1 import AppTest

    from dashboard.context import AUTH_KEY
    from tests.dashboard.conftest import APP
    from tracker.db import make_engine
    from tracker.demo import generate_demo
    from tracker.i18n import Localizer
    from tracker.models import AuditEvent
    from tracker.signin import start_session

    path = tmp_path / "demo.db"
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    generate_demo(engine, inputs=200)
    with Session(engine) as s:
        admin = s.exec(select(User).where(User.role == "admin", User.username != "system")).first()
        input_id = s.exec(select(func.min(Input.id))).one()
        assert not s.exec(select(AuditEvent).where(AuditEvent.entity == "input")).first()
    token = start_session(engine, admin)
    monkeypatch.setenv("HEARBACK_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state[AUTH_KEY] = token
    at.run()
    at.switch_page("views/input_detail.py")
    at.query_params["id"] = str(input_id)
    at.query_params["lang"] = "fr"
    at.run()
    assert not at.exception
    shown = [c.value for c in at.tabs[2].children.values() if hasattr(c, "value")]
    fr = Localizer("fr")
    expected = fr.gettext("The audit trail holds no event for this input. A demo data set is "
                          "loaded in one step, which the trail records once for the whole set.")
    assert expected in shown, shown
    engine.dispose()
