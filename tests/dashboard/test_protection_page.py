"""Protected sources in the app: no key, no contact; with one, only the recorder reveals it."""

import pytest
from sqlmodel import Session, select

from tests.dashboard.conftest import AppDB, click, open_page
from tracker.contacts import new_key
from tracker.models import Input, SourceContact

CONTACT = "Maman Bijou, +243 899 000 111"


def _fill(at, app_db: AppDB) -> None:  # type: ignore[no-untyped-def]
    at.selectbox(key="li_locality").set_value(app_db.world.village.id)
    at.multiselect(key="li_themes").set_value(["security"])
    at.selectbox(key="li_type").set_value("alert")
    at.text_area(key="li_text").input("Des hommes armés près du puits.")
    at.text_input(key="li_source_code").input("AN-0117")
    at.text_input(key="li_contact").input(CONTACT)


def test_without_a_key_the_form_refuses_and_keeps_everything(app_db: AppDB,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HEARBACK_CONTACT_KEY", raising=False)
    at = open_page("views/log_input.py")
    _fill(at, app_db)
    with Session(app_db.engine) as s:
        before = len(s.exec(select(Input)).all())
    click(at, "Record input")
    assert any("no encryption key" in e.value for e in at.error), [e.value for e in at.error]
    assert at.text_input(key="li_contact").value == CONTACT
    assert at.text_area(key="li_text").value == "Des hommes armés près du puits."
    with Session(app_db.engine) as s:
        assert len(s.exec(select(Input)).all()) == before


def test_with_a_key_the_contact_is_kept_and_revealed_only_to_the_recorder(
        app_db: AppDB, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEARBACK_CONTACT_KEY", new_key())
    at = open_page("views/log_input.py")
    _fill(at, app_db)
    click(at, "Record input")
    assert not at.exception and not at.error
    assert at.text_input(key="li_contact").value == ""  # cleared with the rest after saving
    with Session(app_db.engine) as s:
        stored = s.exec(select(SourceContact)).one()
        assert "899" not in stored.ciphertext
        input_id = stored.input_id
    page = open_page("views/input_detail.py", id=str(input_id))
    page.button(key="pp_reveal").click().run()
    assert CONTACT in [t.value for t in page.text]
    for who in ("viewer", "other_officer", "leader"):
        other = open_page("views/input_detail.py", as_user=who, id=str(input_id))
        assert not [b for b in other.button if b.key == "pp_reveal"]
