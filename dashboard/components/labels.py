"""Translated labels for stored codes: the database keeps codes, the screen shows words."""

from collections.abc import Callable

from dashboard.resources import load_places, load_term_labels
from tracker.i18n import N_, Localizer


def term_label(loc: Localizer, kind: str, code: str | None) -> str:
    if not code:
        return "–"
    label = load_term_labels().get((kind, code), code)
    return loc.gettext(label)


def term_formatter(loc: Localizer, kind: str) -> Callable[[str], str]:
    return lambda code: term_label(loc, kind, code)


def place_formatter() -> Callable[[int], str]:
    paths = {p.id: p.path for p in load_places()}
    return lambda place_id: paths.get(place_id, f"#{place_id}")


def code_formatter(loc: Localizer) -> Callable[[str], str]:
    """For fixed vocabularies (status, urgency, audience…): the code's English msgid."""
    return lambda code: loc.gettext(CODE_LABELS.get(code, code)) if code else "–"


# English labels of the fixed codes in tracker.codes (msgids for the catalogs).
CODE_LABELS: dict[str, str] = {
    "received": N_("Received"), "acknowledged": N_("Acknowledged"), "in_action": N_("In action"),
    "actioned": N_("Actioned"), "closed": N_("Closed"),
    "planned": N_("Planned"), "in_progress": N_("In progress"), "done": N_("Done"),
    "not_possible": N_("Not possible"),
    "outside_mandate": N_("Outside the mandate"), "no_access": N_("No access"),
    "no_resources": N_("No resources"), "referred_elsewhere": N_("Referred elsewhere"), "other": N_("Other"),
    "answers": N_("Answers the input"), "informed_by": N_("Informed by the input"),
    "referred": N_("Referred to a partner"),
    "low": N_("Low"), "medium": N_("Medium"), "high": N_("High"), "critical": N_("Critical"),
    "public": N_("Public"), "internal": N_("Internal"), "confidential": N_("Confidential"),
    "restricted": N_("Restricted"),
    "none": N_("Not to be shown"), "aggregate": N_("In totals only"), "quote": N_("May be quoted"),
    "person": N_("The person"), "community": N_("The community"), "committee": N_("A committee"),
    "town_hall": N_("Town hall"), "radio": N_("Radio"), "sms": N_("SMS"), "visit": N_("Visit"),
    "notice_board": N_("Notice board"), "protection_committee": N_("Local protection committee"),
    "phone": N_("Phone"),
    "admin": N_("Admin"), "officer": N_("Officer"), "section_head": N_("Section head"),
    "leadership": N_("Leadership"), "viewer": N_("Viewer"),
    "mission": N_("Mission"), "region": N_("Region"), "territory": N_("Territory"),
    "locality": N_("Locality"),
    "urban": N_("Urban"), "rural": N_("Rural"), "remote": N_("Remote"),
}
