"""Settings: taxonomies, localities and users — for an admin."""

import pandas as pd
import streamlit as st

from dashboard.components.forms import field_error, flash, form_errors, run_write
from dashboard.components.labels import code_formatter, place_formatter
from dashboard.context import page_context
from dashboard.resources import load_places
from tracker.codes import LocalityLevel, Role, Setting, TermKind
from tracker.db import read_session, write_session
from tracker.reference import people, terms
from tracker.services import create_locality, create_user, save_term, update_user
from tracker.services.directory import SYSTEM_USERNAME
from tracker.signin import hash_password, set_password

ctx = page_context()
loc, _ = ctx.loc, ctx.loc.gettext
label = code_formatter(loc)
KIND_LABELS = {TermKind.CHANNEL: _("Channels"), TermKind.INPUT_TYPE: _("Input types"),
               TermKind.THEME: _("Themes"), TermKind.COMPONENT: _("Components"),
               TermKind.SECTION: _("Sections"), TermKind.ACTION_KIND: _("Action kinds")}

st.title(_("Settings"))
if not ctx.is_admin:
    st.warning(_("Only an admin can change settings."))
    st.stop()
flash()

tab_terms, tab_places, tab_users = st.tabs([_("Taxonomies"), _("Localities"), _("Users")])

with tab_terms:
    kind = st.selectbox(_("List"), list(KIND_LABELS), key="st_kind", format_func=KIND_LABELS.get)
    with read_session(ctx.engine) as session:
        rows = terms(session, kind, include_inactive=True)
    st.dataframe(pd.DataFrame([{_("Code"): t.code, _("Label"): t.label,
                                _("Restricted by default"): t.restricted,
                                _("In use"): t.active} for t in rows]),
                 hide_index=True, width="stretch")
    with st.form("term"):
        st.caption(_("Add a term, or give an existing code a new label. Codes never change."))
        c1, c2 = st.columns([1, 2])
        c1.text_input(_("Code"), key="st_code")
        c2.text_input(_("Label"), key="st_label")
        field_error(loc, "term", "code")
        c1, c2, c3 = st.columns(3)
        c1.text_input(_("Parent code (sections: their component)"), key="st_parent")
        c2.checkbox(_("Restricted by default"), key="st_restricted")
        c3.checkbox(_("In use"), key="st_active", value=True)
        form_errors(loc, "term", {"code"})
        st.form_submit_button(_("Save term"), on_click=lambda: run_write(
            "term", _save_term, _("Term saved.")))

with tab_places:
    places = load_places()
    st.dataframe(pd.DataFrame([{_("Place"): p.path, _("Level"): label(p.level),
                                _("Setting"): label(p.setting) if p.setting else "",
                                _("Latitude"): p.latitude, _("Longitude"): p.longitude}
                               for p in places]), hide_index=True, width="stretch")
    with st.form("place"):
        c1, c2, c3 = st.columns(3)
        c1.text_input(_("Name"), key="sp_name")
        c2.selectbox(_("Level"), [lv.value for lv in LocalityLevel], index=3, key="sp_level",
                     format_func=label)
        c3.selectbox(_("Under"), [None] + [p.id for p in places], key="sp_parent",
                     format_func=lambda i: "–" if i is None else place_formatter()(i))
        field_error(loc, "place", "name", "parent_id")
        c1, c2, c3 = st.columns(3)
        c1.selectbox(_("Setting"), [None] + [s.value for s in Setting], key="sp_setting",
                     format_func=lambda c: "–" if c is None else label(c))
        c2.number_input(_("Latitude"), min_value=-90.0, max_value=90.0, value=None,
                        key="sp_lat", format="%.5f")
        c3.number_input(_("Longitude"), min_value=-180.0, max_value=180.0, value=None,
                        key="sp_lon", format="%.5f")
        form_errors(loc, "place", {"name", "parent_id"})
        st.form_submit_button(_("Add place"), on_click=lambda: run_write(
            "place", _add_place, _("Place added.")))

with tab_users:
    with read_session(ctx.engine) as session:
        users = people(session, include_inactive=True)
    st.dataframe(pd.DataFrame([{_("User"): u.username, _("Name"): u.display_name,
                                _("Role"): label(u.role), _("Section"): u.section_code or "",
                                _("Active"): u.active} for u in users]),
                 hide_index=True, width="stretch")
    with st.form("user"):
        c1, c2, c3 = st.columns(3)
        c1.text_input(_("User name"), key="su_name")
        c2.text_input(_("Display name"), key="su_display")
        c3.selectbox(_("Role"), [r.value for r in Role], key="su_role", index=1,
                     format_func=label)
        field_error(loc, "user", "username", "role")
        c1, c2 = st.columns(2)
        c1.text_input(_("Section code"), key="su_section")
        c2.text_input(_("Password (at least 10 characters)"), key="su_password", type="password",
                      autocomplete="new-password")
        field_error(loc, "user", "password")
        form_errors(loc, "user", {"username", "role", "password"})
        st.form_submit_button(_("Add user"), on_click=lambda: run_write(
            "user", _add_user, _("User added.")))

    st.subheader(_("Change a user"))
    editable = [u for u in users if u.username != SYSTEM_USERNAME]
    chosen = st.selectbox(_("User"), editable, key="eu_user", index=None,
                          format_func=lambda u: f"{u.username} ({u.display_name})"
                          if u.display_name else u.username,
                          placeholder=_("Choose a user"))
    if chosen is not None:
        with st.form("user_edit"):  # keys per user: each shows its own values when chosen
            c1, c2, c3 = st.columns(3)
            roles = [r.value for r in Role]
            c1.selectbox(_("Role"), roles, key=f"eu_role_{chosen.id}",
                         index=roles.index(chosen.role), format_func=label)
            c2.text_input(_("Section code"), key=f"eu_section_{chosen.id}",
                          value=chosen.section_code or "")
            c3.checkbox(_("Active (an inactive account reads nothing and is signed out)"),
                        key=f"eu_active_{chosen.id}", value=chosen.active)
            field_error(loc, "user_edit", "role", "section_code")
            form_errors(loc, "user_edit", {"role", "section_code"})
            st.form_submit_button(_("Save user"), on_click=lambda u=chosen: run_write(
                "user_edit", lambda: _edit_user(u.username, u.id), _("User saved.")))


def _save_term() -> None:
    s = st.session_state
    with write_session(ctx.engine) as session:
        save_term(session=session, actor=ctx.user, kind=s.st_kind, code=s.st_code,
                  label=s.st_label, parent_code=s.st_parent or None,
                  restricted=s.st_restricted, active=s.st_active)


def _add_place() -> None:
    s = st.session_state
    with write_session(ctx.engine) as session:
        create_locality(session=session, actor=ctx.user, data={
            "name": s.sp_name, "level": s.sp_level, "parent_id": s.sp_parent,
            "setting": s.sp_setting, "latitude": s.sp_lat, "longitude": s.sp_lon})


def _add_user() -> None:
    s = st.session_state
    if s.su_password:
        hash_password(s.su_password)  # a weak password is refused before the account exists
    with write_session(ctx.engine) as session:
        created = create_user(session=session, actor=ctx.user, data={
            "username": s.su_name, "display_name": s.su_display, "role": s.su_role,
            "section_code": s.su_section or None})
        if s.su_password:
            set_password(session, actor=ctx.user, user=created, password=s.su_password)
    s.su_password = ""


def _edit_user(username: str, user_id: int) -> None:
    s = st.session_state
    with write_session(ctx.engine) as session:
        update_user(session=session, actor=ctx.user, username=username,
                    role=s[f"eu_role_{user_id}"], active=s[f"eu_active_{user_id}"],
                    section_code=s[f"eu_section_{user_id}"].strip())
