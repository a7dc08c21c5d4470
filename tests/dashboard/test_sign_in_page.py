"""The sign-in page: the only way in, and the public display stays open without it."""

import pytest
from sqlmodel import Session, select

from dashboard.context import AUTH_KEY
from tests.dashboard.conftest import AppDB, click, open_page
from tracker.models import UserSession
from tracker.signin import set_password

PASSWORD = "kivale-north-2026"


@pytest.fixture
def with_password(app_db: AppDB) -> AppDB:
    with Session(app_db.engine, expire_on_commit=False) as s:
        set_password(s, actor=None, user=app_db.world.officer, password=PASSWORD)
    return app_db


SIGNED_IN_PAGES = ["views/log_input.py", "views/follow_ups.py", "views/input_detail.py",
                   "views/actions.py", "views/locality.py", "views/leadership.py",
                   "views/import_export.py", "views/settings.py"]


def test_signed_out_visitors_see_the_sign_in_page_and_the_public_display(app_db: AppDB) -> None:
    at = open_page("", as_user=None)
    assert not at.exception and [t.value for t in at.title] == ["Sign in"]
    public = open_page("views/public.py", as_user=None)
    assert not public.exception and not public.text_input
    for page in SIGNED_IN_PAGES:
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            open_page(page, as_user=None)


@pytest.mark.parametrize("query", [{"user_id": "1"}, {"user": "system"}, {"role": "admin"},
                                   {"auth_token": "x"}, {"as": "admin"}])
def test_query_parameters_cannot_sign_anyone_in(app_db: AppDB, query: dict[str, str]) -> None:
    at = open_page("", as_user=None, **query)
    assert [t.value for t in at.title] == ["Sign in"] and AUTH_KEY not in at.session_state


@pytest.mark.parametrize("query", [{"user_id": "1"}, {"role": "admin"}])
def test_query_parameters_cannot_switch_a_signed_in_role(app_db: AppDB,
                                                         query: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        open_page("views/settings.py", as_user="viewer", **query)


def test_sign_in_sign_out(with_password: AppDB) -> None:
    at = open_page("", as_user=None)
    at.text_input(key="si_username").input("officer.a")
    at.text_input(key="si_password").input("not the password")
    click(at, "Sign in")
    assert [e.value for e in at.error] == ["The user name or the password is not right."]
    assert at.text_input(key="si_username").value == "officer.a"  # nothing typed is lost
    at.text_input(key="si_password").input(PASSWORD)
    click(at, "Sign in")
    assert not at.exception and AUTH_KEY in at.session_state
    assert [t.value for t in at.title] == ["My follow-ups"]
    assert any("Signed in as" in c.value and "officer" in c.value for c in at.sidebar.caption)
    token = at.session_state[AUTH_KEY]
    at.sidebar.button(key="_sign_out").click().run()
    assert [t.value for t in at.title] == ["Sign in"]
    with Session(with_password.engine) as s:
        ended = s.exec(select(UserSession.end_reason)).all()
    assert "signed_out" in ended
    # The old token is dead on the server: putting it back does not sign in.
    again = open_page("", as_user=None)
    again.session_state[AUTH_KEY] = token
    again.run()
    assert [t.value for t in again.title] == ["Sign in"]


def test_lock_out_is_shown(with_password: AppDB) -> None:
    at = open_page("", as_user=None)
    at.text_input(key="si_username").input("officer.a")
    for i in range(5):
        at.text_input(key="si_password").input(f"wrong guess {i}")
        click(at, "Sign in")
    at.text_input(key="si_password").input(PASSWORD)
    click(at, "Sign in")
    assert any("Too many failed attempts" in e.value for e in at.error)
    assert AUTH_KEY not in at.session_state


@pytest.mark.parametrize(("who", "listed"), [("viewer", False), ("leader", True), ("officer", True)])
def test_leadership_lists_only_what_the_role_may_read(app_db: AppDB, who: str, listed: bool) -> None:
    from tests.utils.factories import make_input

    with Session(app_db.engine, expire_on_commit=False) as s:
        hidden = make_input(s, app_db.world.officer, app_db.world.town, hours=-2000,
                            sensitivity="confidential").id
    at = open_page("views/leadership.py", as_user=who)
    at.selectbox(key="ld_period").set_value("all").run()
    assert not at.exception
    ids = {i for df in at.dataframe if "id" in df.value.columns for i in df.value["id"]}
    assert ids, "the oldest open inputs are listed"
    assert (hidden in ids) is listed


def test_an_expired_session_leads_back_to_sign_in(app_db: AppDB) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from tracker.sqltypes import utcnow

    with Session(app_db.engine) as s:
        s.execute(update(UserSession).values(last_seen_at=utcnow() - timedelta(minutes=31)))
        s.commit()
    at = open_page("", as_user="officer")
    assert [t.value for t in at.title] == ["Sign in"] and AUTH_KEY not in at.session_state
    with Session(app_db.engine) as s:
        assert "idle" in s.exec(select(UserSession.end_reason)).all()


def test_an_identity_provider_is_offered_when_configured(app_db: AppDB) -> None:
    from streamlit.testing.v1 import AppTest

    from tests.dashboard.conftest import APP

    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback",
                          "cookie_secret": "x" * 32, "client_id": "hearback",
                          "client_secret": "s", "server_metadata_url": "https://idp.invalid/.well-known"}
    at.run()
    assert not at.exception
    assert [b for b in at.button if b.key == "_oidc_login"]
    assert at.text_input(key="si_password") is not None  # local accounts still possible


@pytest.mark.parametrize("who", ["viewer", "leader", "other_officer"])
def test_a_query_parameter_cannot_open_a_hidden_input(app_db: AppDB, who: str) -> None:
    from tests.utils.factories import make_input

    secret = "Un casque bleu a exigé de l'argent au poste de contrôle."
    with Session(app_db.engine, expire_on_commit=False) as s:
        hidden = make_input(s, app_db.world.officer, app_db.world.town, theme_codes=["conduct"],
                            original_text=secret).id
    at = open_page("views/input_detail.py", as_user=who, id=str(hidden))
    assert not at.exception
    shown = [e.value for e in (*at.markdown, *at.text, *at.caption, *at.error, *at.info)]
    assert not any("casque" in str(v) for v in shown)
    mine = open_page("views/input_detail.py", as_user="officer", id=str(hidden))
    assert any("casque" in str(e.value) for e in (*mine.markdown, *mine.text))
