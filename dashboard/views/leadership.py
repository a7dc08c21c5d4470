"""Leadership dashboard: how the mission listens and answers, with trends and breakdowns."""

import streamlit as st

from dashboard.context import page_context
from tracker.db import read_session
from tracker.metrics import figures

ctx = page_context()
loc, _ = ctx.loc, ctx.loc.gettext

st.title(_("Leadership dashboard"))
with read_session(ctx.engine) as session:
    f = figures(session)
cols = st.columns(4)
cols[0].metric(_("Inputs received"), loc.number(f.inputs_total))
cols[1].metric(_("Loop closed"), loc.percent(f.closure_rate))
