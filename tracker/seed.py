"""Default taxonomies and service levels (DESIGN.md); data an admin may edit later.

Seeding only inserts what is missing, so running it again never overwrites an
admin's edits.
"""

from sqlmodel import Session, select

from tracker.codes import TermKind, Urgency
from tracker.models import ServiceLevel, Term

CHANNELS = [
    ("town_hall", "Community meeting / town hall"),
    ("protection_committee", "Local protection committee"),
    ("alert_network", "Alert network call (phone/radio/toll-free)"),
    ("cla_engagement", "CLA engagement"),
    ("jpt_mission", "Joint protection team mission"),
    ("patrol", "Patrol (dismounted or vehicle)"),
    ("perception_survey", "Perception survey"),
    ("hotline_sms", "Hotline / SMS"),
    ("complaint_box", "Complaint box"),
    ("radio_call_in", "Radio call-in"),
    ("remote", "Remote (phone/video)"),
    ("walk_in", "Walk-in at base"),
    ("partner", "Via partner NGO/CSO"),
]

INPUT_TYPES = [
    ("question", "Question"),
    ("request", "Request / need"),
    ("complaint", "Complaint"),
    ("suggestion", "Suggestion"),
    ("thanks", "Thanks / praise"),
    ("rumour", "Rumour / misinformation"),
    ("alert", "Alert / threat (early warning)"),
    ("perception", "Perception / opinion"),
]

# (code, label, restricted by default)
THEMES = [
    ("security", "Physical security and threats", False),
    ("crsv", "Protection of women and girls / conflict-related sexual violence", True),
    ("conduct", "Conduct of UN personnel (incl. sexual exploitation and abuse)", True),
    ("human_rights", "Human rights", False),
    ("child_protection", "Child protection", False),
    ("land_conflict", "Intercommunal conflict and land", False),
    ("security_forces", "Host-state security forces", False),
    ("justice", "Justice and rule of law", False),
    ("ddr_cvr", "DDR / community violence reduction", False),
    ("basic_services", "Basic services and quick-impact project needs", False),
    ("humanitarian", "Humanitarian assistance", False),
    ("mandate", "Mission mandate and conduct", False),
    ("rumours", "Information and rumours", False),
    ("health", "Health (epidemics)", False),
]

COMPONENTS = [("civilian", "Civilian"), ("military", "Military"), ("police", "Police")]

# (code, label, component)
SECTIONS = [
    ("civil_affairs", "Civil Affairs", "civilian"),
    ("human_rights", "Human Rights", "civilian"),
    ("child_protection", "Child Protection", "civilian"),
    ("womens_protection", "Women's Protection", "civilian"),
    ("public_information", "Public Information", "civilian"),
    ("ddr", "DDR / CVR", "civilian"),
    ("rule_of_law", "Rule of Law", "civilian"),
    ("conduct_discipline", "Conduct and Discipline", "civilian"),
    ("engagement_platoon", "Engagement platoon", "military"),
    ("battalion", "Infantry battalion", "military"),
    ("cimic", "CIMIC", "military"),
    ("ipo", "Individual police officers", "police"),
    ("fpu", "Formed police unit", "police"),
]

ACTION_KINDS = [
    ("patrol", "Patrol or presence"),
    ("jpt", "Joint protection team mission"),
    ("referral", "Referral to a partner"),
    ("qip", "Quick impact project"),
    ("meeting", "Meeting or mediation"),
    ("advocacy", "Advocacy with authorities"),
    ("investigation", "Investigation or verification"),
    ("information", "Public information / rumour response"),
    ("other", "Other"),
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
