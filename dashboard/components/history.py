"""The input detail's History tab: the audit trail of an input told in the reader's words.

The trail keeps what the services wrote: codes, ids, ISO timestamps, whole snapshots.
Here each event gets a name, and only the fields a reader follows are shown, labelled
and written for the locale. Ids, uids, counters, pseudonymous source codes and derived
dates are left out; free text (the community's words, a translation, an outcome) is
never repeated here, only said to have changed; a source's contact never appears.
"""

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

import streamlit as st

from dashboard.components.labels import code_formatter, place_formatter, term_label
from dashboard.resources import load_people
from tracker.codes import TermKind
from tracker.escaping import md
from tracker.i18n import N_, Localizer, language_label
from tracker.queries import TimelineEvent

DATE, CODE, PLACE, LANGUAGE, YES_NO, TEXT = "date", "code", "place", "language", "yes_no", "text"

# The fields shown, with their label and how their value is written; any other field
# of an event (ids, counters, the source code, the contact) is never shown.
FIELDS: dict[str, tuple[str, str]] = {
    "received_at": (N_("Received"), DATE),
    "channel_code": (N_("Channel"), TermKind.CHANNEL),
    "locality_id": (N_("Locality"), PLACE),
    "type_code": (N_("Type"), TermKind.INPUT_TYPE),
    "theme_codes": (N_("Themes"), TermKind.THEME),
    "urgency": (N_("Urgency"), CODE),
    "sensitivity": (N_("Sensitivity"), CODE),
    "language": (N_("Language"), LANGUAGE),
    "consent_contact": (N_("May be contacted back"), YES_NO),
    "consent_public": (N_("Public use"), CODE),
    "respond_by": (N_("Respond by"), DATE),
    "acknowledged_at": (N_("Acknowledged on"), DATE),
    "original_text": (N_("The community's words"), TEXT),
    "translation": (N_("Translation"), TEXT),
    "summary": (N_("Summary"), TEXT),
    "source_group": (N_("Source"), TEXT),
    "title": (N_("Title"), TEXT),
    "description": (N_("Description"), TEXT),
    "outcome": (N_("Outcome"), TEXT),
    "kind_code": (N_("Kind"), TermKind.ACTION_KIND),
    "section_code": (N_("Section"), TermKind.SECTION),
    "component_code": (N_("Component"), TermKind.COMPONENT),
    "status": (N_("Status"), CODE),
    "not_possible_reason": (N_("Reason if not possible"), CODE),
    "is_public_commitment": (N_("Public commitment"), YES_NO),
    "due_date": (N_("Due date"), DATE),
    "closed_at": (N_("Closed on"), DATE),
    "kind": (N_("Kind of link"), CODE),
}
# What a new record shows: what it is and where, not the whole snapshot.
CREATED = {
    "input": ("type_code", "theme_codes", "urgency", "sensitivity", "locality_id"),
    "action": ("kind_code", "section_code", "status", "is_public_commitment", "due_date"),
}
# (entity, verb) → what happened; ``{action}`` is the action's title (or number).
EVENTS: dict[tuple[str, str], str] = {
    ("input", "record"): N_("Input recorded"),
    ("input", "edit"): N_("Input corrected"),
    ("input", "acknowledge"): N_("Receipt acknowledged"),
    ("input", "link"): N_("Linked to the action {action}"),
    ("input", "unlink"): N_("Unlinked from the action {action}"),
    ("input", "report_back"): N_("Reported back"),
    ("input", "share"): N_("Shared with {name}"),
    ("input", "unshare"): N_("No longer shared with {name}"),
    ("input", "store_contact"): N_("Source's contact details kept, encrypted"),
    ("input", "read_contact"): N_("Source's contact details read"),
    ("action", "create"): N_("Action created: {action}"),
    ("action", "status"): N_("Action status changed: {action}"),
    ("action", "edit"): N_("Action corrected: {action}"),
}


def event_title(loc: Localizer, event: TimelineEvent, actions: Mapping[int, str],
                people: Mapping[int, str]) -> str:
    """What happened, in a few words."""
    message = EVENTS.get((event.entity, event.verb), N_("Change recorded"))
    values = event.after or event.before or {}
    action_id = event.entity_id if event.entity == "action" else values.get("action_id")
    action = actions.get(action_id) or f"#{action_id}"  # an action unlinked since: its number
    name = people.get(values.get("user_id", -1)) or loc.gettext("an account no longer active")
    return loc.gettext(message, action=action, name=name)


def event_details(loc: Localizer, event: TimelineEvent) -> list[str]:
    """The fields the event set or changed, as "label: before → after"."""
    before, after = event.before or {}, event.after or {}
    if event.verb in ("record", "create"):
        return [_field(loc, name, after[name]) for name in CREATED.get(event.entity, ())
                if after.get(name) not in (None, False, [])]
    details = []
    for name in FIELDS:
        if before.get(name) == after.get(name):
            continue
        if event.verb == "acknowledge" and _same_day(loc, event.at, after.get(name)):
            continue  # acknowledged when it says: the event's own date tells it
        details.append(_change(loc, name, before.get(name), after.get(name)))
    return details


def show_history(loc: Localizer, events: Iterable[TimelineEvent],
                 actions: Mapping[int, str]) -> None:
    """The timeline, newest first: when, who, what, and what changed."""
    events = list(events)
    if not events:
        st.caption(loc.gettext(
            "The audit trail holds no event for this input. A demo data set is loaded in "
            "one step, which the trail records once for the whole set."))
        return
    people = {p.id: p.display_name or p.username for p in load_people()}
    for event in reversed(events):
        who = event.username or loc.gettext("system")
        line = (f"{md(loc.datetime(event.at, 'short'))} · **{md(who)}** · "
                f"{md(event_title(loc, event, actions, people))}")
        if event.reason:
            line += " — " + md(loc.gettext("reason: {reason}", reason=event.reason))
        st.markdown(line)
        details = event_details(loc, event)
        if details:
            st.caption(" · ".join(md(d) for d in details))


def _field(loc: Localizer, name: str, value: Any) -> str:
    label, _ = FIELDS[name]
    return loc.gettext("{field}: {value}", field=loc.gettext(label), value=_value(loc, name, value))


def _change(loc: Localizer, name: str, before: Any, after: Any) -> str:
    label, kind = FIELDS[name]
    if kind == TEXT:  # never the words themselves
        return loc.gettext("{field} changed", field=loc.gettext(label))
    if before is None:  # set for the first time: its value says it all
        return _field(loc, name, after)
    # TRANSLATORS: a value that changed; in a right-to-left language the arrow points left.
    return loc.gettext("{field}: {before} → {after}", field=loc.gettext(label),
                       before=_value(loc, name, before), after=_value(loc, name, after))


def _value(loc: Localizer, name: str, value: Any) -> str:
    kind = FIELDS[name][1]
    if value is None or value == []:
        return "–"
    if isinstance(value, list):
        return ", ".join(_value(loc, name, v) for v in value)
    if kind == DATE:
        when = _when(value)
        return loc.date(when) if when is not None else "–"
    if kind == YES_NO:
        return loc.gettext("Yes") if value else loc.gettext("No")
    if kind == PLACE:
        return place_formatter()(value)
    if kind == LANGUAGE:
        return language_label(str(value))
    if kind == CODE:
        return code_formatter(loc)(str(value))
    if kind == TEXT:
        return ""
    return term_label(loc, kind, str(value))


def _when(value: Any) -> date | datetime | None:
    """A date or timestamp as the trail keeps it (ISO text)."""
    if isinstance(value, date):
        return value
    try:
        text = str(value)
        return datetime.fromisoformat(text) if "T" in text else date.fromisoformat(text)
    except ValueError:
        return None


def _same_day(loc: Localizer, at: datetime, value: Any) -> bool:
    when = _when(value)
    return when is not None and loc.date(when) == loc.date(at)
