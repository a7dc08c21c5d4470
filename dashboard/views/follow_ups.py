"""My follow-ups: the officer's queue of open inputs, overdue first."""

import streamlit as st

from dashboard.components.labels import place_formatter, term_formatter
from dashboard.components.tables import queue_frame, selectable_table
from dashboard.context import page_context
from dashboard.resources import load_places, load_terms
from tracker.codes import TermKind
from tracker.db import read_session
from tracker.queries import follow_up_count, follow_up_queue

ctx = page_context()
loc, _ = ctx.loc, ctx.loc.gettext
PAGE = 50

st.title(_("My follow-ups"))
mine, section, area = "mine", "section", "area"
c1, c2, c3 = st.columns(3)
scope = c1.radio(_("Show"), [mine, section, area], key="fu_scope", horizontal=True,
                 format_func={mine: _("Mine and my section"), section: _("A section"),
                              area: _("A place")}.get)
section_code = locality_id = None
if scope == section:
    sections = [t.code for t in load_terms(TermKind.SECTION)]
    default = sections.index(ctx.user.section_code) if ctx.user.section_code in sections else 0
    section_code = c2.selectbox(_("Section"), sections, index=default, key="fu_section",
                                format_func=term_formatter(loc, TermKind.SECTION))
elif scope == area:
    locality_id = c2.selectbox(_("Place"), [p.id for p in load_places()], key="fu_place",
                               format_func=place_formatter())

with read_session(ctx.engine) as session:
    total = follow_up_count(session=session, actor=ctx.user, section_code=section_code,
                            locality_id=locality_id)
    pages = max(1, -(-total // PAGE))
    page_no = c3.number_input(_("Page"), min_value=1, max_value=pages, value=1, key="fu_page")
    items = follow_up_queue(session=session, actor=ctx.user, section_code=section_code,
                            locality_id=locality_id, limit=PAGE, offset=(page_no - 1) * PAGE)

overdue = sum(1 for i in items if i.overdue)
st.caption(loc.ngettext("{n} open input", "{n} open inputs", total)
           + " · " + loc.ngettext("{n} overdue on this page", "{n} overdue on this page", overdue))
if not items:
    st.info(_("Nothing to follow up here."))
chosen = selectable_table(queue_frame(loc, items), key="fu_table")
if chosen is not None:
    st.switch_page("views/input_detail.py", query_params={"id": str(chosen)})
