"""Input detail: the loop of one input — timeline, actions, report-backs, earlier asks."""

from datetime import UTC, datetime, time

import streamlit as st

from dashboard.components.forms import clear_errors, field_error, flash, form_errors, run_write
from dashboard.components.history import show_history
from dashboard.components.labels import code_formatter, term_formatter, term_label
from dashboard.components.protection import protection_panel
from dashboard.context import page_context
from dashboard.resources import load_terms
from tracker.codes import (
    ActionStatus,
    Audience,
    LinkKind,
    LoopState,
    NotPossibleReason,
    ReportMethod,
    TermKind,
)
from tracker.db import read_session, write_session
from tracker.errors import NotFoundError
from tracker.escaping import md
from tracker.i18n import LOCALES, language_label
from tracker.queries import input_detail
from tracker.register import action_register
from tracker.services import (
    acknowledge_input,
    create_action,
    link_action,
    record_report_back,
    set_action_status,
)

ctx = page_context()
loc, _ = ctx.loc, ctx.loc.gettext
label = code_formatter(loc)
MAX_ID = 2**53 - 1  # the largest whole number a browser's number box holds exactly
STEPS = [LoopState.RECEIVED, LoopState.ACKNOWLEDGED, LoopState.IN_ACTION, LoopState.ACTIONED,
         LoopState.CLOSED]

st.title(_("Input detail"))
flash()
linked = st.query_params.get("id")
if linked and linked != st.session_state.get("detail_link"):
    # A link to an input (from a list, or "asked before" on this very page) wins over the
    # number last typed: the box keeps its own value otherwise, whatever ``value`` says.
    st.session_state["detail_link"] = linked
    st.session_state.pop("detail_pick", None)
asked = str(linked or st.session_state.get("detail_id") or "")
chosen = st.number_input(_("Input number"), min_value=1, max_value=MAX_ID, step=1,
                         key="detail_pick",
                         value=int(asked) if asked.isascii() and asked.isdecimal()
                         and 1 <= int(asked) <= MAX_ID else None)
if not chosen:
    st.info(_("Open an input from My follow-ups, or type its number."))
    st.stop()
input_id = int(chosen)
if st.session_state.get("detail_id") != input_id:
    clear_errors("ack", "new_action", "link_action", "report_back", prefix="status_")
st.session_state["detail_id"] = input_id
if linked != str(input_id):  # the address names the input shown, to share or reload
    st.query_params["id"] = st.session_state["detail_link"] = str(input_id)

try:
    with read_session(ctx.engine) as session:
        detail = input_detail(session=session, actor=ctx.user, input_id=input_id)
        linkable_actions = action_register(session=session, actor=ctx.user,
                                       today=datetime.now(UTC).date(), status=None, limit=200)
except NotFoundError:
    st.error(_("There is no input #{id} you may read.", id=input_id))
    st.stop()

item = detail.input
state_index = STEPS.index(item.loop_state)
st.subheader(_("Input #{id}", id=item.id) + f" — {label(item.loop_state)}")
st.progress((state_index + 1) / len(STEPS),
            text=" → ".join(("**" + label(s) + "**") if s == item.loop_state else label(s)
                            for s in STEPS))

meta = st.columns(4)
meta[0].metric(_("Received"), loc.date(item.received_at))
meta[1].metric(_("Locality"), md(detail.locality_name))
meta[2].metric(_("Respond by"), loc.date(item.respond_by))
meta[3].metric(_("Sensitivity"), label(item.sensitivity))
# Term labels, place names and everything an officer typed are user text: escaped with
# ``md`` wherever Streamlit would read Markdown, shown with ``st.text`` when long.
st.caption(" · ".join(md(part) for part in [
    term_label(loc, TermKind.CHANNEL, item.channel_code),
    term_label(loc, TermKind.INPUT_TYPE, item.type_code),
    ", ".join(term_label(loc, TermKind.THEME, t) for t in item.theme_codes),
    _("Urgency: {u}", u=label(item.urgency)),
    language_label(item.language),
]))
if item.original_text is not None:
    st.text(item.original_text)
    if item.translation:
        st.caption(md(_("Translation or summary:")))
        st.text(item.translation)
if item.source_group:
    st.caption(md(_("Source: {group}", group=item.source_group)))

if detail.earlier.count:
    with st.expander(loc.ngettext("Asked {n} time before from this locality",
                                  "Asked {n} times before from this locality",
                                  detail.earlier.count), expanded=True):
        for e in detail.earlier.items:
            st.page_link("views/input_detail.py", query_params={"id": str(e.id)},
                         label=md(f"#{e.id} · {loc.date(e.received_at)} · {e.summary[:80]}"))

protection_panel(ctx, item.id)

tab_actions, tab_report, tab_history = st.tabs(
    [_("Actions"), _("Report back"), _("History")])

# --- Actions -------------------------------------------------------------------
with tab_actions:
    if ctx.can_write and item.acknowledged_at is None:
        st.button(_("Acknowledge"), key="ack", on_click=lambda: run_write(
            "ack", lambda: _acknowledge(), _("Input acknowledged.")))
    for action in detail.actions:
        with st.container(border=True):
            st.markdown(f"**{md(action.title)}** · {md(label(action.status))} · "
                        f"{md(term_label(loc, TermKind.ACTION_KIND, action.kind_code))} · "
                        f"{md(label(action.link_kind))}")
            if action.is_public_commitment:
                st.caption(_("Public commitment due {date}", date=loc.date(action.due_date)))
            if action.outcome:
                st.caption(md(action.outcome))
            if not ctx.can_write:
                continue
            form = f"status_{action.id}"
            with st.form(form):
                c1, c2 = st.columns(2)
                c1.selectbox(_("Status"), [s.value for s in ActionStatus], key=f"{form}_status",
                             index=[s.value for s in ActionStatus].index(action.status),
                             format_func=label)
                c2.selectbox(_("Reason if not possible"),
                             [""] + [r.value for r in NotPossibleReason],
                             key=f"{form}_reason", format_func=lambda c: label(c) if c else "–")
                field_error(loc, form, "not_possible_reason", "status")
                st.text_input(_("Outcome"), key=f"{form}_outcome", value=action.outcome or "")
                form_errors(loc, form, {"not_possible_reason", "status"})
                st.form_submit_button(_("Save status"), on_click=lambda a=action.id, f=form: run_write(
                    f, lambda: _set_status(a, f), _("Action updated.")))

    if ctx.can_write:
        with st.expander(_("Create an action for this input"), expanded=not detail.actions), \
                st.form("new_action"):
            st.text_input(_("What the mission does"), key="na_title")
            field_error(loc, "new_action", "title")
            c1, c2, c3 = st.columns(3)
            c1.selectbox(_("Kind"), [t.code for t in load_terms(TermKind.ACTION_KIND)],
                         key="na_kind", format_func=term_formatter(loc, TermKind.ACTION_KIND))
            c2.selectbox(_("Section responsible"),
                         [t.code for t in load_terms(TermKind.SECTION)], key="na_section",
                         format_func=term_formatter(loc, TermKind.SECTION))
            c3.selectbox(_("Link"), [k.value for k in LinkKind], key="na_link",
                         format_func=label)
            c1, c2 = st.columns(2)
            c1.checkbox(_("Public commitment"), key="na_public")
            c2.date_input(_("Due date"), key="na_due", value=None)
            field_error(loc, "new_action", "due_date")
            form_errors(loc, "new_action", {"title", "due_date"})
            st.form_submit_button(_("Create action"), type="primary", on_click=lambda: run_write(
                "new_action", _create_action, _("Action created.")))
        if linkable_actions:
            with st.expander(_("Link an existing action")), st.form("link_action"):
                titles = {a.id: f"#{a.id} {a.title} ({label(a.status)})" for a in linkable_actions
                          if a.id not in {x.id for x in detail.actions}}
                st.selectbox(_("Action"), list(titles), key="la_action",
                             format_func=titles.get)
                st.selectbox(_("Link"), [k.value for k in LinkKind], key="la_kind",
                             format_func=label)
                form_errors(loc, "link_action", set())
                st.form_submit_button(_("Link"), on_click=lambda: run_write(
                    "link_action", _link, _("Action linked.")))

# --- Report back ---------------------------------------------------------------
with tab_report:
    for rb in detail.report_backs:
        with st.container(border=True):
            st.markdown(f"**{md(loc.date(rb.reported_at))}** · {md(label(rb.audience))} · "
                        f"{md(label(rb.method))}" + (" · " + md(_("approved for public display"))
                                                     if rb.approved_public else ""))
            for lang, text in rb.messages:
                st.caption(md(language_label(lang)))
                st.text(text)
    if ctx.can_write:
        with st.form("report_back"):
            c1, c2, c3 = st.columns(3)
            c1.selectbox(_("To whom"), [a.value for a in Audience], key="rb_audience",
                         index=1, format_func=label)
            c2.selectbox(_("How"), [m.value for m in ReportMethod], key="rb_method",
                         format_func=label)
            c3.date_input(_("When"), key="rb_date", value=datetime.now(UTC).date(),
                          max_value=datetime.now(UTC).date())
            field_error(loc, "report_back", "reported_at")
            for n in range(3):
                c1, c2 = st.columns([1, 4])
                c1.selectbox(_("Language"), ["", *list(LOCALES)], key=f"rb_lang{n}",
                             index=1 + LOCALES.index(loc.locale) if n == 0 else 0,
                             format_func=lambda c: language_label(c) if c else "–")
                c2.text_area(_("Message"), key=f"rb_text{n}", height=68)
            field_error(loc, "report_back", "messages")
            st.checkbox(_("Approved for the public display"), key="rb_public")
            form_errors(loc, "report_back", {"reported_at", "messages"})
            st.form_submit_button(_("Record report-back"), type="primary", on_click=lambda: run_write(
                "report_back", _report_back, _("Report-back recorded.")))

# --- History ---------------------------------------------------------------------
with tab_history:
    show_history(loc, detail.timeline, {a.id: a.title for a in detail.actions})


def _acknowledge() -> None:
    with write_session(ctx.engine) as session:
        acknowledge_input(session=session, actor=ctx.user, input_id=input_id)


def _set_status(action_id: int, form: str) -> None:
    s = st.session_state
    with write_session(ctx.engine) as session:
        set_action_status(session=session, actor=ctx.user, action_id=action_id,
                          status=s[f"{form}_status"], reason=s[f"{form}_reason"] or None,
                          outcome=s[f"{form}_outcome"])


def _create_action() -> None:
    s = st.session_state
    with write_session(ctx.engine) as session:
        create_action(session=session, actor=ctx.user, input_ids=[input_id],
                      link_kind=LinkKind(s.na_link), data={
                          "kind_code": s.na_kind, "title": s.na_title,
                          "section_code": s.na_section, "is_public_commitment": s.na_public,
                          "due_date": s.na_due, "locality_id": item.locality_id})
    s.na_title = ""


def _link() -> None:
    s = st.session_state
    with write_session(ctx.engine) as session:
        link_action(session=session, actor=ctx.user, action_id=s.la_action,
                    input_ids=[input_id], kind=LinkKind(s.la_kind))


def _report_back() -> None:
    s = st.session_state
    messages = {s[f"rb_lang{n}"]: s[f"rb_text{n}"] for n in range(3)
                if s[f"rb_lang{n}"] and s[f"rb_text{n}"].strip()}
    now = datetime.now(UTC)
    day = s.rb_date
    at = now if day == now.date() else max(datetime.combine(day, time(12), UTC), item.received_at)
    with write_session(ctx.engine) as session:
        record_report_back(session=session, actor=ctx.user, data={
            "input_ids": [input_id], "audience": s.rb_audience, "method": s.rb_method,
            "reported_at": at, "messages": messages, "approved_public": s.rb_public})
    for n in range(3):
        s[f"rb_text{n}"] = ""
