"""Locality history: the handover brief for one place — asked, done, still promised."""

import io

import pandas as pd
import streamlit as st

from dashboard.components.labels import code_formatter, place_formatter, term_label
from dashboard.components.tables import queue_frame
from dashboard.context import page_context
from dashboard.resources import load_places
from tracker.codes import TermKind
from tracker.db import read_session
from tracker.io.spreadsheet import neutralise_frame
from tracker.queries import locality_history

ctx = page_context()
loc, _ = ctx.loc, ctx.loc.gettext
label = code_formatter(loc)

st.title(_("Locality history"))
place_ids = [p.id for p in load_places() if p.level != "mission"]
if not place_ids:
    st.info(_("No localities yet."))
    st.stop()
place_id = st.selectbox(_("Place"), place_ids, key="lh_place", format_func=place_formatter())

with read_session(ctx.engine) as session:
    h = locality_history(session=session, actor=ctx.user, locality_id=place_id)

k = st.columns(3)
k[0].metric(_("Inputs"), loc.number(h.total))
k[1].metric(_("Still open"), loc.number(h.open))
k[2].metric(_("Closed"), loc.number(h.closed))

asked = pd.DataFrame([{_("Theme"): term_label(loc, TermKind.THEME, a.theme_code),
                       _("Asked"): a.total, _("Open"): a.open, _("Closed"): a.closed}
                      for a in h.asked])
done = pd.DataFrame([{_("Action"): d.title,
                      _("Kind"): term_label(loc, TermKind.ACTION_KIND, d.kind_code),
                      _("Closed"): loc.date(d.closed_at), _("Outcome"): d.outcome or ""}
                     for d in h.done])
promised = pd.DataFrame([{_("Commitment"): p.title, _("Status"): label(p.status),
                          _("Due"): loc.date(p.due_date), _("Late"): "⚠️" if p.overdue else ""}
                         for p in h.promised])
not_possible = pd.DataFrame([{_("Action"): n.title, _("Reason"): label(n.reason)}
                             for n in h.not_possible])



def _table(frame: pd.DataFrame, empty: str = "–") -> None:
    if frame.empty:
        st.caption(empty)
    else:
        st.dataframe(frame, hide_index=True, width="stretch")


c1, c2 = st.columns(2)
with c1:
    st.subheader(_("What was asked"))
    _table(asked)
    st.subheader(_("Still promised"))
    _table(promised, _("No open public commitment."))
with c2:
    st.subheader(_("What was done"))
    _table(done)
    st.subheader(_("Not possible, and why"))
    _table(not_possible)

st.subheader(_("Who engaged, and how"))
c1, c2 = st.columns(2)
c1.dataframe(pd.DataFrame([{_("Channel"): term_label(loc, TermKind.CHANNEL, c.code),
                            _("Inputs"): c.count} for c in h.channels]),
             hide_index=True, width="stretch")
c2.dataframe(pd.DataFrame([{_("Section"): term_label(loc, TermKind.SECTION, c.code),
                            _("Inputs"): c.count} for c in h.sections]),
             hide_index=True, width="stretch")

st.subheader(_("Latest inputs"))
st.dataframe(queue_frame(loc, h.recent), hide_index=True, width="stretch",
             column_config={"id": st.column_config.NumberColumn("#", format="%d")})


def _brief() -> bytes:
    """The handover brief as one spreadsheet-friendly CSV, sections one after another."""
    out = io.StringIO()
    heading = _("Locality history")
    out.write(f"{heading}: {h.locality_name}\n")
    for title, frame in ((_("What was asked"), asked), (_("What was done"), done),
                         (_("Still promised"), promised), (_("Not possible, and why"),
                                                            not_possible)):
        out.write(f"\n{title}\n")
        neutralise_frame(frame).to_csv(out, index=False)
    return out.getvalue().encode("utf-8-sig")


st.download_button(_("Download the handover brief (CSV)"), _brief(),
                   file_name=f"handover-{h.locality_name}.csv", mime="text/csv",
                   key="lh_download")
