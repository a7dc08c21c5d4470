"""Sign in: a local account's name and password, or the mission's identity provider."""

import streamlit as st

from dashboard.context import AUTH_KEY, localizer, oidc_configured
from dashboard.resources import get_engine, load_is_demo
from tracker.demo_accounts import DEMO_ACCOUNTS, DEMO_PASSWORD
from tracker.signin import SignInFailed, sign_in, sign_in_external

loc = localizer()
_ = loc.gettext


def _failure(exc: SignInFailed) -> str:
    if exc.locked_minutes:
        return loc.ngettext("Too many failed attempts: try again in {n} minute.",
                            "Too many failed attempts: try again in {n} minutes.",
                            exc.locked_minutes)
    if exc.unknown_account:
        return _("Your organisation account has no Hearback account yet: ask an admin.")
    return _("The user name or the password is not right.")


def _password_form() -> None:
    with st.form("sign_in"):
        username = st.text_input(_("User name"), key="si_username", autocomplete="username")
        password = st.text_input(_("Password"), type="password", key="si_password",
                                 autocomplete="current-password")
        submitted = st.form_submit_button(_("Sign in"), type="primary")
    if submitted:
        try:
            st.session_state[AUTH_KEY] = sign_in(get_engine(), username, password)
        except SignInFailed as exc:
            st.error(_failure(exc))
        else:
            st.rerun()


st.title(_("Sign in"))
if oidc_configured():  # the mission's identity provider first; local accounts stay possible
    user_info = st.user
    if user_info.get("is_logged_in"):
        try:
            st.session_state[AUTH_KEY] = sign_in_external(
                get_engine(), str(user_info.get("email") or user_info.get("preferred_username")))
            st.rerun()
        except SignInFailed as exc:
            st.error(_failure(exc))
    st.button(_("Sign in with your organisation account"), key="_oidc_login", on_click=st.login,
              type="primary", icon=":material/badge:")
    with st.expander(_("Sign in with a Hearback account")):
        _password_form()
else:
    _password_form()

if load_is_demo():
    st.info(_("Demo data: sign in as {accounts} with the password {password}.",
              accounts=", ".join(DEMO_ACCOUNTS), password=DEMO_PASSWORD))
st.caption(_("The public display needs no account."))
st.page_link("views/public.py", label=_("You said — we did"), icon=":material/campaign:")
