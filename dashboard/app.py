"""Entrypoint: page config, language picker, sign-in, navigation.

Shared choices (the language) live here because widget keys vanish when a page is
left. Signed out, the navigation holds only the sign-in page and the public display,
so no other page can be reached by its URL; the pages themselves are in
``dashboard/views``.
"""

import streamlit as st

from dashboard.components.guard import run_guarded
from dashboard.context import account_box, language_picker, localizer, rtl_style, signed_in_user
from tracker.codes import Role

st.set_page_config(page_title="Hearback", page_icon=":material/campaign:", layout="wide")

loc = localizer()
_ = loc.gettext
rtl_style(loc)
user = signed_in_user()
public_page = st.Page("views/public.py", title=_("You said — we did"), icon=":material/campaign:",
                      url_path="public")

pages = {
    _("Engagement"): [
        st.Page("views/log_input.py", title=_("Log an input"), icon=":material/edit_note:", url_path="log"),
        st.Page("views/follow_ups.py", title=_("My follow-ups"), icon=":material/checklist:",
                url_path="follow-ups", default=True),
        st.Page("views/input_detail.py", title=_("Input detail"), icon=":material/search:", url_path="input"),
        st.Page("views/actions.py", title=_("Actions and commitments"), icon=":material/task_alt:",
                url_path="actions"),
        st.Page("views/locality.py", title=_("Locality history"), icon=":material/location_on:",
                url_path="locality"),
    ],
    _("Leadership"): [
        st.Page("views/leadership.py", title=_("Leadership dashboard"), icon=":material/monitoring:",
                url_path="leadership"),
    ],
    _("Public"): [public_page],
    _("Administration"): [
        st.Page("views/import_export.py", title=_("Import and export"),
                icon=":material/swap_vert:", url_path="import-export"),
        st.Page("views/settings.py", title=_("Settings"), icon=":material/settings:", url_path="settings"),
    ],
}
if user is None:  # signed out: only the sign-in page and the public display exist
    pages = {"": [st.Page("views/sign_in.py", title=_("Sign in"), icon=":material/login:",
                          url_path="sign-in", default=True), public_page]}
elif user.role != Role.ADMIN:
    pages[_("Administration")] = [p for p in pages[_("Administration")] if p.url_path != "settings"]
kiosk = st.query_params.get("kiosk") == "1"
navigation = st.navigation(pages, position="hidden" if kiosk else "sidebar")
if not kiosk:
    language_picker(loc)
    if user is not None:
        account_box(loc, user)
# An unexpected error shows a short translated message, never a trace (see guard.py).
run_guarded(loc, navigation.run)
