"""The input detail's protection panel: a source's encrypted contact, and who else may read."""

import streamlit as st

from dashboard.components.forms import field_error, form_errors, run_write
from dashboard.components.labels import code_formatter
from dashboard.context import PageContext
from dashboard.resources import contact_key, load_people
from tracker.codes import Role, Sensitivity
from tracker.contacts import has_contact, may_read_contact, read_contact
from tracker.db import read_session, write_session
from tracker.errors import HearbackError
from tracker.models import Input
from tracker.services import share_input, shared_with, unshare_input

REVEALED = "pp_revealed"


def _reveal(ctx: PageContext, input_id: int) -> None:
    try:
        with write_session(ctx.engine) as session:
            clear = read_contact(session, actor=ctx.user, input_id=input_id, key=contact_key())
    except HearbackError as exc:
        st.session_state["pp_errors"] = {"": str(exc)}
        return
    st.session_state[REVEALED] = (input_id, clear or "")


def protection_panel(ctx: PageContext, input_id: int) -> None:
    """Shown only to those who may act on it: admins and the officer who recorded the input."""
    _ = ctx.loc.gettext
    with read_session(ctx.engine) as session:
        item = session.get(Input, input_id)
        if item is None or not may_read_contact(ctx.user, item):
            return
        kept = has_contact(session, input_id)
        shares = shared_with(session, input_id)
        restricted = item.sensitivity == Sensitivity.RESTRICTED
    if not kept and not restricted:
        return
    with st.expander(_("Protection"), icon=":material/shield_person:"):
        form_errors(ctx.loc, "pp", set())
        if kept:
            revealed = st.session_state.get(REVEALED)
            if revealed and revealed[0] == input_id:
                st.text(revealed[1])  # a person's contact: plain text, never Markdown
                st.caption(_("This reading is recorded in the audit trail."))
            else:
                st.button(_("Show the source's contact details"), key="pp_reveal",
                          on_click=_reveal, args=(ctx, input_id), icon=":material/visibility:")
        if restricted:
            people = {p.id: p for p in load_people() if p.active and p.id != item.recorded_by_id
                      and p.role != Role.ADMIN}
            role = code_formatter(ctx.loc)
            name = {i: f"{p.display_name or p.username} ({role(p.role)})" for i, p in people.items()}
            st.multiselect(_("Also readable by"), list(name), default=[i for i in shares if i in name],
                           format_func=name.get, key="pp_share")
            field_error(ctx.loc, "pp", "user_id")
            st.button(_("Save who may read it"), key="pp_save", on_click=lambda: run_write(
                "pp", lambda: _save_shares(ctx, input_id, shares), _("Sharing saved.")))


def _save_shares(ctx: PageContext, input_id: int, before: list[int]) -> None:
    wanted = set(st.session_state.get("pp_share", []))
    with write_session(ctx.engine) as session:
        for user_id in sorted(wanted - set(before)):
            share_input(session=session, actor=ctx.user, input_id=input_id, user_id=user_id)
        for user_id in sorted(set(before) - wanted):
            unshare_input(session=session, actor=ctx.user, input_id=input_id, user_id=user_id)
