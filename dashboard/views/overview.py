"""Headline accountability figures for the whole mission."""

import streamlit as st

from dashboard.resources import get_engine
from tracker.db import read_session
from tracker.metrics import figures


@st.cache_data(ttl=60, max_entries=16)
def _figures() -> dict:
    with read_session(get_engine()) as session:
        return figures(session).as_dict()


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def _num(value: float | None, unit: str) -> str:
    return "–" if value is None else f"{value:.1f} {unit}"


f = _figures()
st.title("Hearback — what communities said, what the mission did")
cols = st.columns(4)
cols[0].metric("Inputs received", f"{f['inputs_total']:,}")
cols[1].metric("Loop closed", _pct(f["closure_rate"]), help="Closed inputs / inputs received")
cols[2].metric("Median time to report back", _num(f["median_days_to_report_back"], "days"))
cols[3].metric("Overdue open inputs", f"{f['overdue_open']:,}")
cols = st.columns(4)
cols[0].metric("Commitments kept", f"{f['commitments_kept']} / {f['commitments_due']}")
cols[1].metric("Repeated asks", f"{f['repeat_asks']:,}")
cols[2].metric("Share of participants who are women", _pct(f["share_women"]))
cols[3].metric("Inputs from rural or remote places", _pct(f["share_rural"]))
