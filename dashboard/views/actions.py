"""Actions and commitments: the register, late public commitments first."""

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from dashboard.components.labels import code_formatter, term_formatter, term_label
from dashboard.context import page_context
from dashboard.resources import load_terms
from tracker.codes import ActionStatus, TermKind
from tracker.db import read_session
from tracker.register import action_register, action_register_count, status_by_section

ctx = page_context()
loc, _ = ctx.loc, ctx.loc.gettext
label = code_formatter(loc)
PAGE = 50
today = datetime.now(UTC).date()

st.title(_("Actions and commitments"))
c1, c2, c3, c4 = st.columns(4)
status = c1.selectbox(_("Status"), [""] + [s.value for s in ActionStatus], key="ar_status",
                      format_func=lambda c: label(c) if c else _("All"))
section = c2.selectbox(_("Section"), [""] + [t.code for t in load_terms(TermKind.SECTION)],
                       key="ar_section",
                       format_func=lambda c: term_formatter(loc, TermKind.SECTION)(c) if c
                       else _("All"))
commitments = c3.toggle(_("Public commitments only"), key="ar_commitments")
filters = {"status": status or None, "section_code": section or None,
           "commitments_only": commitments}

with read_session(ctx.engine) as session:
    total = action_register_count(session=session, actor=ctx.user, **filters)
    pages = max(1, -(-total // PAGE))
    page_no = c4.number_input(_("Page"), min_value=1, max_value=pages, value=1, key="ar_page")
    rows = action_register(session=session, actor=ctx.user, today=today, limit=PAGE,
                           offset=(page_no - 1) * PAGE, **filters)
    summary = status_by_section(session=session, actor=ctx.user, today=today)

late = sum(r["late"] or 0 for r in summary)
k1, k2, k3 = st.columns(3)
k1.metric(_("Actions"), loc.number(sum(r["actions"] for r in summary)))
k2.metric(_("Open"), loc.number(sum(r["actions"] for r in summary
                                    if r["status"] in (ActionStatus.PLANNED,
                                                       ActionStatus.IN_PROGRESS))))
k3.metric(_("Late public commitments"), loc.number(late))

st.caption(loc.ngettext("{n} action matches", "{n} actions match", total))
frame = pd.DataFrame([
    {
        "#": r.id,
        _("Action"): r.title,
        _("Kind"): term_label(loc, TermKind.ACTION_KIND, r.kind_code),
        _("Section"): term_label(loc, TermKind.SECTION, r.section_code),
        _("Status"): label(r.status) + (f" ({label(r.not_possible_reason)})"
                                         if r.not_possible_reason else ""),
        _("Commitment"): "✔" if r.is_public_commitment else "",
        _("Due"): loc.date(r.due_date) if r.due_date else "",
        _("Late"): "⚠️" if r.late else "",
        _("Inputs"): r.inputs,
        _("Created"): loc.date(r.created_at),
    }
    for r in rows
])
if frame.empty:
    st.info(_("No action matches these filters."))
else:
    st.dataframe(frame, hide_index=True, width="stretch")

if summary:
    st.subheader(_("By section and status"))
    pivot = pd.DataFrame([
        {_("Section"): term_label(loc, TermKind.SECTION, r["section_code"]),
         "status": label(r["status"]), "n": r["actions"]} for r in summary
    ]).pivot_table(index=_("Section"), columns="status", values="n", aggfunc="sum",
                   fill_value=0)
    st.dataframe(pivot, width="stretch")
