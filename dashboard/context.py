"""What every page needs on every rerun: the viewer's language, the acting user, the engine.

Only plain codes live in ``st.session_state`` (``lang``, ``user_id``); the Localizer
and the user are rebuilt from them each rerun, which is cheap because catalogs and
reference data are cached.
"""

from dataclasses import dataclass

import streamlit as st
from sqlalchemy import Engine

from dashboard.resources import get_engine, load_people, load_user
from tracker.codes import Role
from tracker.i18n import LOCALES, Localizer, language_label, negotiate
from tracker.models import User
from tracker.reference import Person

LANG_KEY = "lang"
USER_KEY = "user_id"


@dataclass
class PageContext:
    loc: Localizer
    user: User
    engine: Engine

    @property
    def can_write(self) -> bool:
        return self.user.role in (Role.ADMIN, Role.SECTION_HEAD, Role.OFFICER)

    @property
    def is_admin(self) -> bool:
        return self.user.role == Role.ADMIN


def current_language() -> str:
    """``?lang=`` first, then the viewer's earlier choice, then the browser, then English."""
    asked = st.query_params.get("lang")
    if asked:
        st.session_state[LANG_KEY] = negotiate(asked)
    if LANG_KEY not in st.session_state:
        st.session_state[LANG_KEY] = negotiate(st.context.locale or "en")
    return st.session_state[LANG_KEY]


def localizer() -> Localizer:
    return Localizer(current_language(), st.context.timezone or "UTC")


def _on_language_change() -> None:
    st.session_state[LANG_KEY] = st.session_state["_lang_picker"]
    st.query_params["lang"] = st.session_state[LANG_KEY]


def language_picker(loc: Localizer) -> None:
    """The language switcher; its choice survives page changes (a plain session key)."""
    st.session_state["_lang_picker"] = st.session_state[LANG_KEY]
    st.sidebar.selectbox(
        loc.gettext("Language"), LOCALES, key="_lang_picker", format_func=language_label,
        on_change=_on_language_change,
    )


def _default_user(people: list[Person]) -> int:
    for role in (Role.OFFICER, Role.ADMIN):
        for p in people:
            if p.role == role:
                return p.id
    return people[0].id


def user_picker(loc: Localizer) -> User:
    """Who is acting. Accounts have no sign-in yet: the picker stands in for it."""
    people = load_people()
    if USER_KEY not in st.session_state or st.session_state[USER_KEY] not in {
        p.id for p in people
    }:
        st.session_state[USER_KEY] = _default_user(people)
    names = {p.id: f"{p.display_name or p.username} ({loc.gettext(p.role)})" for p in people}
    st.session_state["_user_picker"] = st.session_state[USER_KEY]
    st.sidebar.selectbox(
        loc.gettext("Acting as"), list(names), key="_user_picker", format_func=names.get,
        on_change=lambda: st.session_state.update({USER_KEY: st.session_state["_user_picker"]}),
    )
    user = load_user(st.session_state[USER_KEY])
    assert user is not None
    return user


def rtl_style(loc: Localizer) -> None:
    """Streamlit has no RTL mode: one scoped style on the main area and the sidebar."""
    if loc.direction != "rtl":
        return
    st.html(
        "<style>"
        "[data-testid='stMain'], [data-testid='stSidebar'] {direction: rtl; text-align: right;}"
        "[data-testid='stMarkdownContainer'] p, .user-text {unicode-bidi: plaintext;}"
        "[data-testid='stVegaLiteChart'] {direction: ltr;}"
        "</style>"
    )


def page_context() -> PageContext:
    """Called at the top of every page script (the entrypoint has set language and user)."""
    loc = localizer()
    user = load_user(st.session_state.get(USER_KEY, 0))
    if user is None:
        user = user_picker(loc)
    return PageContext(loc=loc, user=user, engine=get_engine())
