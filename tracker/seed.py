"""Default taxonomies and service levels (DESIGN.md); data an admin may edit later.

Seeding only inserts what is missing, so running it again never overwrites an
admin's edits.
"""

from sqlmodel import Session, select

from tracker.codes import TermKind, Urgency
from tracker.i18n import N_
from tracker.models import ServiceLevel, Term

CHANNELS = [
    ("town_hall", N_("Community meeting / town hall")),
    ("protection_committee", N_("Local protection committee")),
    ("alert_network", N_("Alert network call (phone/radio/toll-free)")),
    ("cla_engagement", N_("CLA engagement")),
    ("jpt_mission", N_("Joint protection team mission")),
    ("patrol", N_("Patrol (dismounted or vehicle)")),
    ("perception_survey", N_("Perception survey")),
    ("hotline_sms", N_("Hotline / SMS")),
    ("complaint_box", N_("Complaint box")),
    ("radio_call_in", N_("Radio call-in")),
    ("remote", N_("Remote (phone/video)")),
    ("walk_in", N_("Walk-in at base")),
    ("partner", N_("Via partner NGO/CSO")),
]

INPUT_TYPES = [
    ("question", N_("Question")),
    ("request", N_("Request / need")),
    ("complaint", N_("Complaint")),
    ("suggestion", N_("Suggestion")),
    ("thanks", N_("Thanks / praise")),
    ("rumour", N_("Rumour / misinformation")),
    ("alert", N_("Alert / threat (early warning)")),
    ("perception", N_("Perception / opinion")),
]

# (code, label, restricted by default)
THEMES = [
    ("security", N_("Physical security and threats"), False),
    ("crsv", N_("Protection of women and girls / conflict-related sexual violence"), True),
    ("conduct", N_("Conduct of UN personnel (incl. sexual exploitation and abuse)"), True),
    ("human_rights", N_("Human rights"), False),
    ("child_protection", N_("Child protection"), False),
    ("land_conflict", N_("Intercommunal conflict and land"), False),
    ("security_forces", N_("Host-state security forces"), False),
    ("justice", N_("Justice and rule of law"), False),
    ("ddr_cvr", N_("DDR / community violence reduction"), False),
    ("basic_services", N_("Basic services and quick-impact project needs"), False),
    ("humanitarian", N_("Humanitarian assistance"), False),
    ("mandate", N_("Mission mandate and conduct"), False),
    ("rumours", N_("Information and rumours"), False),
    ("health", N_("Health (epidemics)"), False),
]

COMPONENTS = [("civilian", N_("Civilian")), ("military", N_("Military")), ("police", N_("Police"))]

# (code, label, component)
SECTIONS = [
    ("civil_affairs", N_("Civil Affairs"), "civilian"),
    ("human_rights", N_("Human Rights"), "civilian"),
    ("child_protection", N_("Child Protection"), "civilian"),
    ("womens_protection", N_("Women's Protection"), "civilian"),
    ("public_information", N_("Public Information"), "civilian"),
    ("ddr", N_("DDR / CVR"), "civilian"),
    ("rule_of_law", N_("Rule of Law"), "civilian"),
    ("conduct_discipline", N_("Conduct and Discipline"), "civilian"),
    ("engagement_platoon", N_("Engagement platoon"), "military"),
    ("battalion", N_("Infantry battalion"), "military"),
    ("cimic", N_("CIMIC"), "military"),
    ("ipo", N_("Individual police officers"), "police"),
    ("fpu", N_("Formed police unit"), "police"),
]

ACTION_KINDS = [
    ("patrol", N_("Patrol or presence")),
    ("jpt", N_("Joint protection team mission")),
    ("referral", N_("Referral to a partner")),
    ("qip", N_("Quick impact project")),
    ("meeting", N_("Meeting or mediation")),
    ("advocacy", N_("Advocacy with authorities")),
    ("investigation", N_("Investigation or verification")),
    ("information", N_("Public information / rumour response")),
    ("other", N_("Other")),
]

# Base hours to close an input of each type at medium urgency; urgency scales it.
BASE_HOURS = {
    "alert": 24,
    "complaint": 14 * 24,
    "request": 28 * 24,
    "question": 7 * 24,
    "rumour": 3 * 24,
    "suggestion": 28 * 24,
    "thanks": 28 * 24,
    "perception": 28 * 24,
}
URGENCY_FACTOR = {Urgency.LOW: 2.0, Urgency.MEDIUM: 1.0, Urgency.HIGH: 0.5, Urgency.CRITICAL: 0.25}


def default_terms() -> list[Term]:
    terms: list[Term] = []
    terms += [Term(kind=TermKind.CHANNEL, code=c, label=lbl, sort_order=i)
              for i, (c, lbl) in enumerate(CHANNELS)]
    terms += [Term(kind=TermKind.INPUT_TYPE, code=c, label=lbl, sort_order=i)
              for i, (c, lbl) in enumerate(INPUT_TYPES)]
    terms += [Term(kind=TermKind.THEME, code=c, label=lbl, restricted=r, sort_order=i)
              for i, (c, lbl, r) in enumerate(THEMES)]
    terms += [Term(kind=TermKind.COMPONENT, code=c, label=lbl, sort_order=i)
              for i, (c, lbl) in enumerate(COMPONENTS)]
    terms += [Term(kind=TermKind.SECTION, code=c, label=lbl, parent_code=p, sort_order=i)
              for i, (c, lbl, p) in enumerate(SECTIONS)]
    terms += [Term(kind=TermKind.ACTION_KIND, code=c, label=lbl, sort_order=i)
              for i, (c, lbl) in enumerate(ACTION_KINDS)]
    return terms


def default_service_levels() -> list[ServiceLevel]:
    return [
        ServiceLevel(type_code=t, urgency=u.value, hours=max(1, round(h * URGENCY_FACTOR[u])))
        for t, h in BASE_HOURS.items()
        for u in Urgency
    ]


def seed_defaults(session: Session) -> int:
    """Insert the default terms and service levels that are missing; return how many."""
    have_terms = {(t.kind, t.code) for t in session.exec(select(Term))}
    have_levels = {(s.type_code, s.urgency) for s in session.exec(select(ServiceLevel))}
    added = 0
    for term in default_terms():
        if (term.kind, term.code) not in have_terms:
            session.add(term)
            added += 1
    for level in default_service_levels():
        if (level.type_code, level.urgency) not in have_levels:
            session.add(level)
            added += 1
    session.commit()
    return added
