"""The shape of the demo mission: invented places, role accounts, and how often things happen.

Every place is invented (the country Ruvesia, its regions, territories and places);
any likeness to a real place is a coincidence. Usernames are roles, never people.
Security and basic services are common, alerts come mostly through the alert
network and are urgent, misconduct and sexual violence are rare and restricted.
The small numpy helpers at the end turn these weights into columns.
"""

from typing import Any

import numpy as np

from tracker.codes import Audience, Urgency
from tracker.demo_text import LANGUAGES
from tracker.seed import ACTION_KINDS, CHANNELS, INPUT_TYPES, SECTIONS, THEMES

DAY = 86_400
SPAN_DAYS = 548  # about 18 months
SILENT_DAYS = 100  # silent localities get nothing in the last 100 days

CH = [c for c, _ in CHANNELS]
TY = [c for c, _ in INPUT_TYPES]
TH = [c for c, _, _ in THEMES]
KI = [c for c, _ in ACTION_KINDS]
UR = [u.value for u in Urgency]
LANGS = list(LANGUAGES)
RESTRICTED = [TH.index(c) for c, _, r in THEMES if r]
MEETINGS = {"town_hall": 60, "protection_committee": 12, "cla_engagement": 15,
            "jpt_mission": 25, "patrol": 8, "perception_survey": 10}
CALLS = ("alert_network", "hotline_sms", "radio_call_in", "remote")

CHANNEL_W = {"town_hall": 10, "protection_committee": 8, "alert_network": 12,
             "cla_engagement": 14, "jpt_mission": 4, "patrol": 12, "perception_survey": 5,
             "hotline_sms": 8, "complaint_box": 4, "radio_call_in": 6, "remote": 4,
             "walk_in": 6, "partner": 7}
TYPE_BASE = {"question": 14, "request": 26, "complaint": 14, "suggestion": 7, "thanks": 5,
             "rumour": 7, "alert": 12, "perception": 15}
TYPE_BY_CHANNEL = {
    "alert_network": {"alert": 85, "rumour": 5, "request": 5, "complaint": 3, "question": 2},
    "perception_survey": {"perception": 70, "suggestion": 10, "complaint": 10, "request": 10},
    "complaint_box": {"complaint": 70, "suggestion": 15, "thanks": 5, "request": 10},
    "radio_call_in": {"question": 35, "rumour": 20, "complaint": 15, "perception": 15,
                      "request": 10, "thanks": 5},
    "hotline_sms": {"alert": 25, "complaint": 25, "question": 20, "request": 15, "rumour": 10,
                    "thanks": 5},
}
THEME_BASE = {"security": 20, "crsv": 1.2, "conduct": 0.6, "human_rights": 6,
              "child_protection": 4, "land_conflict": 8, "security_forces": 6, "justice": 5,
              "ddr_cvr": 4, "basic_services": 22, "humanitarian": 12, "mandate": 5,
              "rumours": 3, "health": 5}
THEME_BY_TYPE = {
    "alert": {"security": 55, "crsv": 3, "human_rights": 4, "child_protection": 3,
              "land_conflict": 15, "security_forces": 10, "justice": 1, "ddr_cvr": 3,
              "humanitarian": 2, "health": 4},
    "request": {"security": 14, "crsv": 0.8, "human_rights": 2, "child_protection": 3,
                "land_conflict": 4, "security_forces": 2, "justice": 4, "ddr_cvr": 4,
                "basic_services": 40, "humanitarian": 20, "mandate": 1, "health": 6},
    "complaint": {"security": 12, "crsv": 1.5, "conduct": 2, "human_rights": 10,
                  "child_protection": 4, "land_conflict": 10, "security_forces": 14,
                  "justice": 10, "ddr_cvr": 4, "basic_services": 12, "humanitarian": 10,
                  "mandate": 8, "rumours": 0.5, "health": 2},
    "rumour": {"rumours": 55, "security": 15, "health": 10, "mandate": 10, "humanitarian": 5,
               "land_conflict": 5},
    "question": {"mandate": 20, "security": 15, "basic_services": 15, "humanitarian": 15,
                 "ddr_cvr": 8, "justice": 8, "rumours": 5, "health": 6, "human_rights": 4,
                 "child_protection": 2, "land_conflict": 2},
    "thanks": {"security": 35, "basic_services": 30, "humanitarian": 10, "health": 10,
               "mandate": 10, "child_protection": 5},
    "suggestion": {"security": 20, "basic_services": 25, "land_conflict": 10, "ddr_cvr": 10,
                   "justice": 10, "mandate": 10, "humanitarian": 10, "child_protection": 5},
    "perception": {"security": 25, "mandate": 25, "security_forces": 15, "basic_services": 10,
                   "justice": 10, "humanitarian": 10, "land_conflict": 5},
}
URGENCY_BY_TYPE = {"alert": (0, 10, 55, 35), "complaint": (20, 55, 22, 3),
                   "request": (25, 55, 17, 3)}
URGENCY_BASE = (45, 45, 9, 1)
# Share handled at all (an action or a direct answer), and of those, by an action.
P_HANDLED = {"alert": .85, "request": .68, "complaint": .72, "question": .78, "rumour": .72,
             "thanks": .55, "suggestion": .55, "perception": .45}
P_BY_ACTION = {"alert": .95, "request": .92, "complaint": .85, "suggestion": .5,
               "question": .25, "rumour": .3, "thanks": .1, "perception": .15}
KIND_BY_THEME = {
    "security": {"patrol": 60, "jpt": 10, "meeting": 15, "information": 5, "advocacy": 10},
    "crsv": {"referral": 80, "investigation": 15, "patrol": 5},
    "conduct": {"investigation": 80, "referral": 20},
    "human_rights": {"investigation": 50, "advocacy": 40, "referral": 10},
    "child_protection": {"referral": 60, "advocacy": 20, "investigation": 20},
    "land_conflict": {"meeting": 70, "patrol": 15, "advocacy": 15},
    "security_forces": {"advocacy": 60, "investigation": 30, "meeting": 10},
    "justice": {"advocacy": 60, "meeting": 20, "referral": 20},
    "ddr_cvr": {"qip": 40, "meeting": 40, "referral": 20},
    "basic_services": {"qip": 65, "referral": 25, "advocacy": 10},
    "humanitarian": {"referral": 80, "advocacy": 10, "meeting": 10},
    "mandate": {"information": 60, "meeting": 40},
    "rumours": {"information": 90, "meeting": 10},
    "health": {"referral": 60, "information": 30, "qip": 10},
}
KIND_OTHER = 2.0  # weight of "other" everywhere
# kind: group window days, inputs per action cap, link delay hours, duration days,
# P(not possible), P(public commitment), promised days, not-possible reason
KIND_PARAMS = {
    "patrol": (14, 10, 12, 3, .03, .10, 7, "no_access"),
    "jpt": (30, 15, 72, 10, .05, .10, 21, "no_access"),
    "referral": (3, 3, 24, 7, .05, 0, 0, "referred_elsewhere"),
    "qip": (180, 60, 240, 75, .12, .40, 120, "no_resources"),
    "meeting": (30, 25, 72, 10, .05, .20, 21, "other"),
    "advocacy": (45, 15, 96, 30, .15, .05, 45, "outside_mandate"),
    "investigation": (7, 2, 48, 30, .10, 0, 0, "no_access"),
    "information": (30, 50, 48, 5, .02, .15, 14, "other"),
    "other": (30, 5, 72, 14, .10, 0, 0, "outside_mandate"),
}
P_STALLED = .06
KIND_SECTIONS = {"patrol": {"battalion": 5, "engagement_platoon": 3, "fpu": 2},
                 "jpt": {"civil_affairs": 1}, "referral": {"civil_affairs": 1},
                 "qip": {"civil_affairs": 6, "cimic": 4}, "meeting": {"civil_affairs": 1},
                 "advocacy": {"human_rights": 5, "rule_of_law": 5},
                 "investigation": {"human_rights": 6, "ipo": 4},
                 "information": {"public_information": 1}, "other": {"civil_affairs": 1}}
THEME_SECTION = {"crsv": "womens_protection", "conduct": "conduct_discipline",
                 "child_protection": "child_protection", "ddr_cvr": "ddr",
                 "justice": "rule_of_law", "human_rights": "human_rights"}
SECTION_KINDS = ("referral", "investigation", "advocacy", "meeting", "qip", "other")
MSG_KEYS = [*KI, "interim", "not_possible", "direct"]
METHODS = ["town_hall", "radio", "visit", "protection_committee", "notice_board", "sms",
           "phone"]
AUDIENCES = [a.value for a in Audience]
METHOD_AUDIENCE = np.array([AUDIENCES.index(a) for a in (
    "community", "public", "community", "committee", "public", "person", "person")])
METHOD_W = [(28, 14, 16, 14, 12, 8, 8), (15, 0, 30, 20, 0, 15, 20), (25, 30, 10, 0, 10, 15, 10),
            (0, 0, 50, 20, 0, 0, 30)]  # closing, interim, direct answer, restricted

# (username, display name, role, component, section); officers record the inputs.
USERS = [("demo.admin", "Demo administrator", "admin", None, None),
         ("head.civil_affairs", "Head of Civil Affairs (demo)", "section_head", "civilian",
          "civil_affairs"),
         ("head.human_rights", "Head of Human Rights (demo)", "section_head", "civilian",
          "human_rights"),
         ("head.force", "Force engagement chief (demo)", "section_head", "military",
          "engagement_platoon"),
         ("head.police", "Police engagement chief (demo)", "section_head", "police", "ipo"),
         *[(f"officer.{tag}", f"{label} officer (demo)", "officer", comp, sec)
           for tag, label, comp, sec in [
               ("ca1", "Civil Affairs", "civilian", "civil_affairs"),
               ("ca2", "Civil Affairs", "civilian", "civil_affairs"),
               ("hr1", "Human Rights", "civilian", "human_rights"),
               ("cp1", "Child Protection", "civilian", "child_protection"),
               ("wpa1", "Women's Protection", "civilian", "womens_protection"),
               ("pi1", "Public Information", "civilian", "public_information"),
               ("ddr1", "DDR/CVR", "civilian", "ddr"),
               ("rol1", "Rule of Law", "civilian", "rule_of_law"),
               ("cdt1", "Conduct and Discipline", "civilian", "conduct_discipline"),
               ("ep1", "Engagement platoon", "military", "engagement_platoon"),
               ("cimic1", "CIMIC", "military", "cimic"),
               ("ipo1", "Police (IPO)", "police", "ipo")]],
         ("leader.hom", "Head of mission (demo)", "leadership", None, None),
         ("leader.cos", "Chief of staff (demo)", "leadership", None, None),
         ("viewer.demo", "Briefing room viewer (demo)", "viewer", None, None)]
USERNAMES = [u[0] for u in USERS]
OFF = {u[0].split(".")[1]: i for i, u in enumerate(USERS) if u[2] == "officer"}
SECTION_CODES = [s for s, _, _ in SECTIONS]
HEADS = {"civilian": 1, "military": 3, "police": 4}
# Who acts for a section: its officer, else the head of its component.
SECTION_USER = np.array([next((i for i, u in enumerate(USERS) if u[2] == "officer" and u[4] == s),
                              HEADS[comp]) for s, _, comp in SECTIONS])
RECORDER_BY_CHANNEL = {
    "town_hall": {"ca1": 3, "ca2": 3, "hr1": 1, "pi1": 1, "rol1": 1},
    "protection_committee": {"ca1": 3, "ca2": 3, "hr1": 1, "wpa1": 1},
    "alert_network": {"ca1": 1, "ca2": 1}, "cla_engagement": {"ca1": 4, "ca2": 4, "ep1": 1},
    "jpt_mission": {"ca1": 2, "hr1": 2, "cp1": 1, "wpa1": 1, "ep1": 1, "ipo1": 1},
    "patrol": {"ep1": 5, "cimic1": 2, "ipo1": 3}, "perception_survey": {"pi1": 3, "ca1": 1},
    "hotline_sms": {"ca1": 2, "ca2": 2, "pi1": 1}, "complaint_box": {"cdt1": 2, "ca2": 1},
    "radio_call_in": {"pi1": 1}, "remote": {"ca1": 2, "ca2": 2, "hr1": 1},
    "walk_in": {"ca1": 2, "ca2": 2, "ipo1": 1, "hr1": 1},
    "partner": {"hr1": 2, "cp1": 1, "wpa1": 1, "ddr1": 1, "ca1": 1},
}
RECORDER_BY_THEME = {"crsv": ("wpa1", .7), "conduct": ("cdt1", 1.0), "child_protection":
                     ("cp1", .6), "ddr_cvr": ("ddr1", .5), "justice": ("rol1", .5)}
# (description, women, youth, displaced, minority): group level, never a person.
SOURCE_GROUPS: list[tuple[str, bool, bool, bool, bool]] = [
    ("mixed community meeting", False, False, False, False),
    ("women's association", True, False, False, False),
    ("youth association", False, True, False, False),
    ("young women's group", True, True, False, False),
    ("traditional and customary leaders", False, False, False, False),
    ("religious leaders", False, False, False, False),
    ("IDP site committee", False, False, True, False),
    ("displaced women's group", True, False, True, False),
    ("market traders' association", False, False, False, False),
    ("farmers' cooperative", False, False, False, False),
    ("herders' community representatives", False, False, False, True),
    ("minority community representatives", False, False, False, True),
    ("parents and teachers' committee", False, False, False, False),
    ("local protection committee members", False, False, False, False),
    ("alert network focal point", False, False, False, False),
    ("anonymous caller", False, False, False, False),
    ("partner NGO field team", False, False, False, False),
]
G = [g[0] for g in SOURCE_GROUPS]
GROUP_BY_CHANNEL = {
    "alert_network": {"alert network focal point": 95, "anonymous caller": 5},
    "complaint_box": {"anonymous caller": 1}, "partner": {"partner NGO field team": 8,
                                                          "women's association": 1,
                                                          "IDP site committee": 1},
    "protection_committee": {"local protection committee members": 7, "women's association": 1,
                             "traditional and customary leaders": 1, "youth association": 1},
    "town_hall": {"mixed community meeting": 50, "traditional and customary leaders": 10,
                  "women's association": 10, "youth association": 10, "IDP site committee": 5,
                  "market traders' association": 5, "minority community representatives": 5,
                  "religious leaders": 5},
}
GROUP_CALLS = {"anonymous caller": 70, "women's association": 5, "youth association": 10,
               "market traders' association": 5, "traditional and customary leaders": 5,
               "parents and teachers' committee": 5}
GROUP_BASE = {"mixed community meeting": 10, "women's association": 12, "youth association": 10,
              "young women's group": 6, "traditional and customary leaders": 12,
              "religious leaders": 6, "IDP site committee": 8, "displaced women's group": 6,
              "market traders' association": 8, "farmers' cooperative": 8,
              "herders' community representatives": 4,
              "minority community representatives": 4, "parents and teachers' committee": 6}
# girls, young women, women, boys, young men, men: mixed / women / youth / young women / elders
SHARES = np.array([(4, 14, 30, 4, 18, 30), (2, 25, 70, 0, 0, 3), (5, 40, 0, 5, 50, 0),
                   (5, 90, 5, 0, 0, 0), (0, 2, 10, 0, 13, 75)], float) / 100
GROUP_SHARE = [0, 1, 2, 3, 4, 4, 0, 1, 0, 4, 4, 0, 0, 0, 4, 0, 0]
HOURS_DAY = np.array([1, 1, 1, 1, 1, 2, 4, 8, 10, 12, 12, 11, 9, 10, 11, 11, 10, 8, 6, 4, 3, 2,
                      1, 1], float)

COUNTRY = "Ruvesia"
MISSION_NAME = f"UN Mission in {COUNTRY} (demo)"

# region -> (centre lat, centre lon, language weights fr/en/ar/sw/ln/sg, territories);
# territory -> places (name, place type, setting). The box is arbitrary: invented names.
Place = tuple[str, str, str]
REGIONS: list[tuple[str, float, float, tuple[int, ...], list[tuple[str, list[Place]]]]] = [
    ("Kiravo", 3.6, 24.1, (30, 5, 0, 55, 10, 0), [
        ("Mbuvi", [("Mbuvi-Centre", "town", "urban"), ("Kasolima", "village", "rural"),
                   ("Lwandisi IDP site", "idp_site", "rural"), ("Nyamisoro", "village", "remote")]),
        ("Sakaré", [("Sakaré", "town", "urban"), ("Bilondwe", "village", "rural"),
                    ("Kitembazi", "village", "remote")]),
        ("Lotembe", [("Lotembe", "village", "rural"), ("Mabeko POC site", "poc_site", "urban"),
                     ("Ivunguri", "village", "remote")]),
    ]),
    ("Tumbasi", 2.2, 19.8, (45, 5, 0, 10, 40, 0), [
        ("Ikondoro", [("Ikondoro", "town", "urban"), ("Bosangwe", "village", "rural"),
                      ("Mokalandi IDP site", "idp_site", "rural"),
                      ("Lifumbé", "village", "remote")]),
        ("Fenuwa", [("Fenuwa", "town", "urban"), ("Ebonzi", "village", "rural"),
                    ("Yalisikoro", "village", "remote")]),
    ]),
    ("Nyéle", 4.3, 21.8, (30, 5, 55, 0, 0, 10), [
        ("Gbarasso", [("Gbarasso", "town", "urban"), ("Kourdéni", "village", "rural"),
                      ("Tiringa IDP site", "idp_site", "rural"),
                      ("Ouanzéra", "village", "remote")]),
        ("Oyéla", [("Oyéla", "village", "rural"), ("Ndakparo", "village", "remote"),
                   ("Bir Haloumi", "village", "remote")]),
        ("Tandaro", [("Tandaro", "town", "urban"), ("Koubérani", "village", "rural"),
                     ("Dalmézi IDP site", "idp_site", "rural")]),
    ]),
    ("Dabora", 2.0, 22.3, (45, 15, 10, 0, 0, 30), [
        ("Musakalé", [("Musakalé", "town", "urban"), ("Zumbaro", "village", "rural"),
                      ("Gbokarani", "village", "rural"),
                      ("Kobolozi IDP site", "idp_site", "rural")]),
        ("Elungara", [("Elungara", "village", "rural"), ("Yakorin", "village", "remote"),
                      ("Pendarou", "village", "remote")]),
    ]),
]


def weights(codes: list[str], w: dict[str, float], default: float = 0.0) -> np.ndarray:
    return np.array([float(w.get(c, default)) for c in codes])


def matrix(rows: list[str], cols: list[str], table: dict[str, Any], base: Any) -> np.ndarray:
    """Row r: the weights of ``table[r]`` (a dict or sequence), else ``base``."""
    def vec(w: Any) -> np.ndarray:
        return weights(cols, w) if isinstance(w, dict) else np.array(w, float)
    return np.array([vec(table.get(r, base)) for r in rows])


def pick(rng: np.random.Generator, parent: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Draw one column given another: row ``probs[parent[i]]`` weighs row i's choice."""
    p = probs / probs.sum(axis=1, keepdims=True)
    out = np.zeros(len(parent), np.int64)
    for c in range(p.shape[0]):
        idx = np.flatnonzero(parent == c)
        if idx.size:
            out[idx] = rng.choice(p.shape[1], size=idx.size, p=p[c])
    return out


def cover(rng: np.random.Generator, col: np.ndarray, k: int) -> None:
    """Make every code appear at least once, if the data set has room for them all."""
    k = min(k, len(col))
    col[rng.choice(len(col), size=k, replace=False)] = np.arange(k)


def lognormal(rng: np.random.Generator, median: np.ndarray | float, n: int,
              sigma: float = 0.7) -> np.ndarray:
    return (np.asarray(median) * rng.lognormal(0.0, sigma, n)).astype(np.int64)


def uids(rng: np.random.Generator, n: int) -> np.ndarray:
    """Random version-4 UUIDs as 36-byte strings, drawn from the seeded generator."""
    raw = np.frombuffer(rng.bytes(16 * n), np.uint8).reshape(n, 16).copy()
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    hexd = np.frombuffer(raw.tobytes().hex().encode(), np.uint8).reshape(n, 32)
    out = np.full((n, 36), ord("-"), np.uint8)
    out[:, [i for i in range(36) if i not in (8, 13, 18, 23)]] = hexd
    return out.view("S36").ravel()


def group(key: np.ndarray, when: np.ndarray, cap: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sort rows by (key, when) and cut runs of one key into groups of at most ``cap``."""
    order = np.lexsort((when, key))
    k, c = key[order], cap[order]
    pos = np.arange(len(k))
    change = run_starts(k)
    sub = (pos - np.maximum.accumulate(np.where(change, pos, 0))) // c
    new = change | run_starts(sub)
    return order, np.cumsum(new) - 1


def run_starts(a: np.ndarray) -> np.ndarray:
    """True where a run of equal values begins (empty in, empty out)."""
    return np.r_[True, a[1:] != a[:-1]][:a.size]


def run_max(values: np.ndarray, first: np.ndarray) -> np.ndarray:
    """The largest value of each run starting at ``first``."""
    return np.maximum.reduceat(values, first) if first.size else values[:0]


def lookup(strings: list[str | None]) -> np.ndarray:
    """An object array ending in None, so index -1 reads as NULL."""
    arr = np.empty(len(strings) + 1, object)
    arr[:-1] = strings
    arr[-1] = None
    return arr


def by_group_min(idx: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    out = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(out, idx, values)
    return np.where(out == np.iinfo(np.int64).max, -1, out)


def by_group_max(idx: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    out = np.full(n, -1, np.int64)
    np.maximum.at(out, idx, values)
    return out
