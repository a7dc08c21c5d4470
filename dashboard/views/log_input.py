"""Log an input: one short form an officer fills in under a minute."""

from datetime import UTC, datetime, time

import streamlit as st

from dashboard.components.labels import code_formatter, place_formatter, term_formatter
from dashboard.context import page_context
from dashboard.resources import after_write, contact_key, load_places, load_terms
from tracker.codes import ConsentPublic, LocalityLevel, Sensitivity, TermKind, Urgency
from tracker.db import write_session
from tracker.errors import HearbackError, ValidationError
from tracker.escaping import md
from tracker.i18n import LOCALES, language_label
from tracker.queries import earlier_open_asks
from tracker.services import record_input

ctx = page_context()
loc, _ = ctx.loc, ctx.loc.gettext
ERRORS, DONE = "li_errors", "li_done"
AUTO = "auto"
COUNTS = ["women", "young_women", "girls", "men", "young_men", "boys"]


def _submit() -> None:
    """Form callback: validate through the library; keep every typed value on error."""
    s = st.session_state
    received = datetime.combine(s.li_date, s.li_time or time(), UTC)
    data = {
        "received_at": received, "channel_code": s.li_channel, "locality_id": s.li_locality,
        "type_code": s.li_type, "theme_codes": s.li_themes, "urgency": s.li_urgency,
        "sensitivity": None if s.li_sensitivity == AUTO else s.li_sensitivity,
        "language": s.li_language, "original_text": s.li_text,
        "translation": s.li_translation or None, "source_group": s.li_group or None,
        "source_code": s.li_source_code or None,
        "source_women": s.li_f_women, "source_youth": s.li_f_youth,
        "source_displaced": s.li_f_displaced, "source_minority": s.li_f_minority,
        "consent_contact": s.li_consent_contact, "consent_public": s.li_consent_public,
        **{c: (s[f"li_{c}"] or None) for c in COUNTS},
    }
    try:
        with write_session(ctx.engine) as session:
            created = record_input(session=session, actor=ctx.user, data=data,
                                   contact=s.li_contact or None, contact_key=contact_key())
            asked = earlier_open_asks(session=session, actor=ctx.user,
                                      locality_id=created.locality_id,
                                      theme_codes=created.theme_codes,
                                      before=created.received_at,
                                      exclude_input_id=created.id)
    except ValidationError as exc:
        s[ERRORS] = exc.errors
        return
    except HearbackError as exc:
        s[ERRORS] = {"": str(exc)}
        return
    after_write()
    s[ERRORS] = {}
    s[DONE] = {"id": created.id, "count": asked.count,
               "earlier": [(i.id, i.received_at.isoformat()) for i in asked.items[:5]]}
    for key in ("li_text", "li_translation", "li_source_code", "li_contact"):
        s[key] = ""
    for c in COUNTS:
        s[f"li_{c}"] = 0


# The fields whose errors show under their own widget; any other error shows at the top.
SHOWN = {"locality_id", "received_at", "theme_codes", "original_text", "source_group",
         "source_code", "contact", "sensitivity"}


def _error(field: str) -> None:
    message = st.session_state.get(ERRORS, {}).get(field)
    if message:
        # A library message may quote what was typed: never let it render as Markdown.
        st.error(md(_(message)), icon="⚠️")


def _other_errors() -> None:
    """Errors of no field, or of a field with no place of its own on the form: a rule
    broken and not shown would look like a save that silently did nothing."""
    for field, message in st.session_state.get(ERRORS, {}).items():
        if field not in SHOWN and message:
            st.error(md(_(message)), icon="⚠️")


st.title(_("Log an input"))
if not ctx.can_write:
    st.info(_("Your role can read but not record inputs."))
    st.stop()

done = st.session_state.pop(DONE, None)
if done:
    st.success(_("Input #{id} recorded.", id=done["id"]))
    if done["count"]:
        st.warning(loc.ngettext(
            "This locality raised the same theme {n} time before and it is still open.",
            "This locality raised the same theme {n} times before and they are still open.",
            done["count"]))
        for input_id, when in done["earlier"]:
            st.page_link("views/input_detail.py", query_params={"id": str(input_id)},
                         label=_("Input #{id}, {date}", id=input_id,
                                 date=loc.date(datetime.fromisoformat(when))))
    st.page_link("views/input_detail.py", query_params={"id": str(done["id"])},
                 label=_("Open input #{id}", id=done["id"]), icon="🔎")

places = [p.id for p in load_places(LocalityLevel.LOCALITY)]
if not places:
    st.warning(_("No localities yet: an admin adds them under Settings."))
    st.stop()

with st.form("log_input", clear_on_submit=False, border=True):
    _other_errors()
    c1, c2, c3 = st.columns([2, 1, 1])
    c1.selectbox(_("Locality"), places, key="li_locality", format_func=place_formatter(),
                 help=_("Type to search."))
    c2.date_input(_("Date received"), key="li_date", value=datetime.now(UTC).date(),
                  max_value=datetime.now(UTC).date())
    c3.time_input(_("Time (UTC)"), key="li_time", value=None, step=900)
    with c1:
        _error("locality_id")
    with c2:
        _error("received_at")
    c1, c2, c3 = st.columns(3)
    c1.selectbox(_("Channel"), [t.code for t in load_terms(TermKind.CHANNEL)], key="li_channel",
                 format_func=term_formatter(loc, TermKind.CHANNEL))
    c2.selectbox(_("Type"), [t.code for t in load_terms(TermKind.INPUT_TYPE)], key="li_type",
                 format_func=term_formatter(loc, TermKind.INPUT_TYPE))
    c3.selectbox(_("Urgency"), [u.value for u in Urgency], key="li_urgency", index=1,
                 format_func=code_formatter(loc))
    st.multiselect(_("Themes"), [t.code for t in load_terms(TermKind.THEME)], key="li_themes",
                   format_func=term_formatter(loc, TermKind.THEME),
                   placeholder=_("Choose one or more themes"))
    _error("theme_codes")
    c1, c2 = st.columns([1, 3])
    c1.selectbox(_("Language"), [*list(LOCALES), "other"], key="li_language",
                 index=LOCALES.index(loc.locale) if loc.locale in LOCALES else 0,
                 format_func=lambda c: _("Other") if c == "other" else language_label(c))
    c2.text_area(_("What was said, in the speaker's words"), key="li_text", height=100)
    with c2:
        _error("original_text")
    st.text_area(_("Translation or summary (optional)"), key="li_translation", height=68)

    st.markdown("**" + _("Source") + "**")
    c1, c2 = st.columns([3, 1])
    c1.text_input(_("Group (never a person's name)"), key="li_group",
                  placeholder=_("e.g. women's group, IDP site"))
    c2.text_input(_("Protected source code"), key="li_source_code",
                  placeholder="CAN-017")
    with c1:
        _error("source_group")
    with c2:
        _error("source_code")
    st.text_input(_("Contact details of a protected source (kept encrypted; only if you must "
                    "call back)"), key="li_contact", max_chars=500, type="password")
    _error("contact")
    flags = st.columns(4)
    flags[0].checkbox(_("Women's group"), key="li_f_women")
    flags[1].checkbox(_("Youth"), key="li_f_youth")
    flags[2].checkbox(_("Displaced people"), key="li_f_displaced")
    flags[3].checkbox(_("Minority"), key="li_f_minority")
    counts = st.columns(6)
    labels = [_("Women (36+)"), _("Young women (18–35)"), _("Girls (<18)"),
              _("Men (36+)"), _("Young men (18–35)"), _("Boys (<18)")]
    for col, name, label in zip(counts, COUNTS, labels, strict=True):
        col.number_input(label, min_value=0, step=1, key=f"li_{name}", value=0)

    st.markdown("**" + _("Consent and sensitivity") + "**")
    c1, c2, c3 = st.columns(3)
    c1.checkbox(_("May be contacted back"), key="li_consent_contact")
    c2.selectbox(_("Public use"), [c.value for c in ConsentPublic], index=1,
                 key="li_consent_public", format_func=code_formatter(loc))
    c3.selectbox(_("Sensitivity"), [AUTO] + [s.value for s in Sensitivity], key="li_sensitivity",
                 format_func=lambda c: _("From the themes") if c == AUTO else code_formatter(loc)(c),
                 help=_("Sexual violence and conduct of UN personnel are restricted by default."))
    with c3:
        _error("sensitivity")
    st.form_submit_button(_("Record input"), type="primary", on_click=_submit)
