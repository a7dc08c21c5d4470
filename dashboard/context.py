"""What every page needs on every rerun: the viewer's language, the signed-in user, the engine.

Only plain values live in ``st.session_state`` (``lang``, the sign-in token and the
user's id); the Localizer and the user are rebuilt from them each rerun, which is cheap
because catalogs and reference data are cached.
"""

from dataclasses import dataclass

import streamlit as st
from sqlalchemy import Engine

from dashboard.components.labels import code_formatter
from dashboard.resources import after_write, get_engine, load_user
from tracker.codes import Role
from tracker.escaping import md
from tracker.i18n import LOCALES, Localizer, language_label, negotiate
from tracker.models import User
from tracker.signin import resume, sign_out

LANG_KEY = "lang"
USER_KEY = "user_id"
AUTH_KEY = "auth_token"


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


def signed_in_user() -> User | None:
    """The user of this browser session's live sign-in, checked on the server every rerun.

    Only the token is kept in session state; query parameters never choose the user.
    """
    token = st.session_state.get(AUTH_KEY)
    user = resume(get_engine(), token) if token else None
    if user is None:
        st.session_state.pop(AUTH_KEY, None)
        st.session_state.pop(USER_KEY, None)
        return None
    st.session_state[USER_KEY] = user.id
    return user


def _sign_out() -> None:
    sign_out(get_engine(), st.session_state.pop(AUTH_KEY, None))
    st.session_state.pop(USER_KEY, None)
    after_write()


def account_box(loc: Localizer, user: User) -> None:
    """Who is signed in, and the way out."""
    _ = loc.gettext
    name = user.display_name or user.username
    # A display name is user text: escaped, never read as Markdown (tracker/escaping.py).
    st.sidebar.caption(md(_("Signed in as {name} ({role})", name=name, role=code_formatter(loc)(user.role))))
    if st.sidebar.button(_("Sign out"), key="_sign_out", on_click=_sign_out,
                         icon=":material/logout:") and oidc_configured():
        st.logout()


def oidc_configured() -> bool:
    """Whether the deployment configured an identity provider for ``st.login``."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file, or a malformed one: no provider
        return False


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
    """Called at the top of every signed-in page (the entrypoint has checked the session)."""
    loc = localizer()
    user = load_user(st.session_state.get(USER_KEY, 0)) if AUTH_KEY in st.session_state else None
    if user is None:  # not signed in: the entrypoint only offers such pages when signed in
        st.stop()
    return PageContext(loc=loc, user=user, engine=get_engine())
