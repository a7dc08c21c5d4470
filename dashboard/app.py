"""Entrypoint: page config, language and user pickers, navigation.

Shared choices (language, acting user) live here because widget keys vanish when a
page is left; the pages themselves are in ``dashboard/views``.
"""

import streamlit as st

from dashboard.context import language_picker, localizer, rtl_style, user_picker

st.set_page_config(page_title="Hearback", page_icon=":material/campaign:", layout="wide")

loc = localizer()
_ = loc.gettext
rtl_style(loc)

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
    _("Public"): [
        st.Page("views/public.py", title=_("You said — we did"), icon=":material/campaign:",
                url_path="public"),
    ],
    _("Administration"): [
        st.Page("views/import_export.py", title=_("Import and export"),
                icon=":material/swap_vert:", url_path="import-export"),
        st.Page("views/settings.py", title=_("Settings"), icon=":material/settings:", url_path="settings"),
    ],
}
kiosk = st.query_params.get("kiosk") == "1"
navigation = st.navigation(pages, position="hidden" if kiosk else "sidebar")
if not kiosk:
    language_picker(loc)
    user_picker(loc)
navigation.run()
