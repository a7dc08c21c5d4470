"""Entrypoint: page config and navigation; the pages live in ``dashboard/views``."""

import streamlit as st

st.set_page_config(page_title="Hearback", page_icon="📣", layout="wide")

pages = [
    st.Page("views/overview.py", title="Overview", icon="📊", url_path="overview", default=True),
]
st.navigation(pages).run()
