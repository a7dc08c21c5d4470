"""Draw the demo mission as numpy columns (no database here), so a million inputs take seconds.

All times are epoch seconds and -1 stands for NULL (a missing time, id or lookup).
Ids are 0-based row numbers; ``tracker.demo`` shifts them past existing rows when it loads.
The loop facts follow ``tracker.loop``'s rules exactly.
"""

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tracker import demo_text as T
from tracker import demo_weights as W
from tracker.codes import NotPossibleReason, Urgency
from tracker.demo_weights import (
    by_group_max,
    by_group_min,
    cover,
    group,
    lognormal,
    lookup,
    matrix,
    pick,
    run_max,
    run_starts,
    uids,
    weights,
)
from tracker.seed import BASE_HOURS, SECTIONS, URGENCY_FACTOR

DAY = W.DAY
Arrays = dict[str, np.ndarray]


@dataclass
class Drawn:
    """The demo as arrays: nodes of the place tree, then one dict of columns per record kind."""

    places: list[tuple[Any, ...]]  # name, level, parent row, region row, type, setting, lat, lon
    geo: Arrays  # per locality-level place: its node row, region number, names, setting, camp
    inputs: Arrays
    actions: Arrays
    pairs: Arrays  # action_input rows
    report_backs: Arrays
    links: Arrays  # report_back_input rows
    messages: Arrays
    uids: dict[str, np.ndarray] = field(default_factory=dict)
    start: int = 0


def build(*, inputs: int, seed: int, as_of: int, levels: dict[tuple[str, str], int]) -> Drawn:
    """The whole demo data set for ``inputs`` inputs, a pure function of seed and as_of."""
    rng = np.random.default_rng(seed)
    start = (as_of - W.SPAN_DAYS * DAY) // DAY * DAY
    places, geo = _places(rng)
    inp = _inputs(rng, inputs, as_of, start, geo, levels)
    act, pairs = _actions(rng, inp, geo, as_of, start)
    rbs, links, msgs = _report_backs(rng, inp, act, pairs, geo, as_of, start)
    _facts(inp, act, pairs, rbs, links)
    drawn = Drawn(places, geo, inp, act, pairs, rbs, links, msgs, start=start)
    uid_rng = np.random.default_rng([seed, 7])
    for name, n in (("locality", len(places)), ("app_user", len(W.USERS)),
                    ("input", inputs), ("action", act["kind"].size),
                    ("report_back", rbs["t"].size), ("audit_event", 1)):
        drawn.uids[name] = uids(uid_rng, n)
    return drawn


def _places(rng: np.random.Generator) -> tuple[list[tuple[Any, ...]], Arrays]:
    """Mission → regions → territories → localities, every node under a region tagged with it."""
    rows: list[tuple[Any, ...]] = [(W.MISSION_NAME, "mission", -1, -1, None, None, None, None)]
    loc_node, loc_region = [], []
    for r, (region, lat, lon, _, territories) in enumerate(W.REGIONS):
        reg = len(rows)
        rows.append((region, "region", 0, reg, None, None, lat, lon))
        for territory, places in territories:
            tlat, tlon = lat + rng.uniform(-.5, .5), lon + rng.uniform(-.6, .6)
            ter = len(rows)
            rows.append((territory, "territory", reg, reg, None, None, round(tlat, 4),
                         round(tlon, 4)))
            for name, place_type, setting in places:
                loc_node.append(len(rows))
                loc_region.append(r)
                rows.append((name, "locality", ter, reg, place_type, setting,
                             round(tlat + rng.uniform(-.25, .25), 5),
                             round(tlon + rng.uniform(-.25, .25), 5)))
    return rows, {"node": np.array(loc_node), "region": np.array(loc_region),
                  "names": [rows[k][0] for k in loc_node],
                  "camp": np.array([rows[k][4] in ("idp_site", "poc_site") for k in loc_node]),
                  "setting": np.array([rows[k][5] for k in loc_node])}


def _inputs(rng: np.random.Generator, n: int, as_of: int, start: int, geo: Arrays,
            levels: dict[tuple[str, str], int]) -> Arrays:
    """What was said, where, when and by which group; sorted by time so ids run with it."""
    ch = rng.choice(len(W.CH), n, p=_norm(weights(W.CH, W.CHANNEL_W)))
    cover(rng, ch, len(W.CH))
    ty = pick(rng, ch, matrix(W.CH, W.TY, W.TYPE_BY_CHANNEL, W.TYPE_BASE))
    cover(rng, ty, len(W.TY))
    th = pick(rng, ty, matrix(W.TY, W.TH, W.THEME_BY_TYPE, W.THEME_BASE))
    cover(rng, th, len(W.TH))
    alert_net = (ch == W.CH.index("alert_network")).astype(np.int64)
    # Volume grows over the period (density 1 + x); alerts come at any hour.
    x = np.sqrt(1 + 3 * rng.random(n)) - 1
    hour = pick(rng, alert_net, np.array([W.HOURS_DAY, np.ones(24)]))
    t = start + (x * W.SPAN_DAYS).astype(np.int64) * DAY + hour * 3600 + rng.integers(0, 3600, n)
    t = np.where(t > as_of, t - DAY, t)
    order = np.argsort(t, kind="stable")
    ch, ty, th, t, alert_net = ch[order], ty[order], th[order], t[order], alert_net[order]
    setting, camp = geo["setting"], geo["camp"]
    w_talk = np.select([camp, setting == "urban", setting == "rural"], [2.5, 3.0, 1.2], 0.7)
    w_alert = np.select([camp, setting == "urban", setting == "rural"], [1.5, 1.0, 1.5], 2.0)
    loc = pick(rng, alert_net, np.array([w_talk, w_alert]))
    _silence(rng, loc, t, as_of, geo)
    lang = pick(rng, geo["region"][loc], np.array([r[3] for r in W.REGIONS], float))
    partner = ch == W.CH.index("partner")
    lang[partner & (rng.random(n) < .5)] = W.LANGS.index("en")
    second = _norm_row(weights(W.TH, W.THEME_BASE), zero=W.RESTRICTED)
    th2 = rng.choice(len(W.TH), n, p=second)
    th2 = np.where((rng.random(n) < .3) & (th2 != th), th2, -1)
    restricted = np.isin(th, W.RESTRICTED)
    urg = pick(rng, ty, matrix(W.TY, W.UR, W.URGENCY_BY_TYPE, W.URGENCY_BASE))
    urg = np.where(th == W.TH.index("crsv"), np.maximum(urg, 2), urg)
    sens = pick(rng, ty, matrix(W.TY, ["p", "i", "c"], {"alert": (2, 58, 40),
                                                       "complaint": (5, 70, 25)}, (15, 75, 10)))
    sens[restricted] = 3
    officers = list(W.OFF.values())
    rec = np.array(officers)[pick(rng, ch, matrix(W.CH, list(W.OFF), W.RECORDER_BY_CHANNEL, {}))]
    for theme, (tag, p) in W.RECORDER_BY_THEME.items():
        rec[(th == W.TH.index(theme)) & (rng.random(n) < p)] = W.OFF[tag]
    gmat = matrix(W.CH, W.G, {**{c: W.GROUP_CALLS for c in W.CALLS}, **W.GROUP_BY_CHANNEL},
                  W.GROUP_BASE)
    grp = pick(rng, ch, gmat)
    flags = np.array([g[1:] for g in W.SOURCE_GROUPS], bool)[grp]
    flags[:, 2] |= camp[loc]
    flags[:, 3] |= rng.random(n) < .03
    size = np.array([W.MEETINGS.get(c, 0) for c in W.CH], float)[ch]
    lam = (size * rng.lognormal(0, .4, n))[:, None] * W.SHARES[np.array(W.GROUP_SHARE)[grp]]
    people = rng.poisson(lam)
    people[size == 0] = -1
    chi = {c: W.CH.index(c) for c in W.CH}
    p_contact = np.select([ch == chi["alert_network"],
                           np.isin(ch, [chi["hotline_sms"], chi["remote"], chi["walk_in"]])],
                          [.85, .5], .25)
    consent_public = rng.choice(3, n, p=[.15, .7, .15])
    consent_public[restricted] = 0
    is_alert = ty == W.TY.index("alert")
    calls = np.isin(ch, [chi[c] for c in W.CALLS])
    recorded = np.minimum(t + np.where(calls, lognormal(rng, 900, n, 1.0),
                                       lognormal(rng, 6 * 3600, n, .8)), as_of)
    ack = np.maximum(recorded, t + np.where(is_alert, lognormal(rng, 3600, n, 1.0),
                                            lognormal(rng, 20 * 3600, n, 1.0)))
    ack = np.where((rng.random(n) < .92) & (ack <= as_of), ack, -1)
    hours = np.array([[levels.get((tc, u), max(1, round(BASE_HOURS[tc] * URGENCY_FACTOR[
        Urgency(u)]))) for u in W.UR] for tc in W.TY], np.int64)
    age = (as_of - t) / DAY
    p_handled = weights(W.TY, W.P_HANDLED)[ty] * np.minimum(1.0, .35 + age / 30)
    p_handled = np.where(is_alert & (age < 14), p_handled * .6, p_handled)
    handled = rng.random(n) < p_handled
    by_action = handled & (rng.random(n) < weights(W.TY, W.P_BY_ACTION)[ty])
    text_idx, translation = _texts(rng, ty, th, lang, loc, len(geo["node"]))
    summary = np.where(rng.random(n) < .3, (ty * len(W.TH) + th) * len(geo["node"]) + loc, -1)
    return {"t": t, "ch": ch, "ty": ty, "th": th, "th2": th2, "loc": loc, "lang": lang,
            "urg": urg, "sens": sens, "rec": rec, "grp": grp, "flags": flags, "people": people,
            "contact": rng.random(n) < p_contact, "consent_public": consent_public,
            "source": np.where(alert_net == 1, loc * 5 + rng.integers(0, 5, n), -1),
            "recorded": recorded, "ack": ack, "respond_by": t + hours[ty, urg] * 3600,
            "restricted": restricted, "is_alert": is_alert, "by_action": by_action,
            "direct": handled & ~by_action, "text": text_idx, "translation": translation,
            "summary": summary}


def _norm(w: np.ndarray) -> np.ndarray:
    return w / w.sum()


def _norm_row(w: np.ndarray, zero: list[int]) -> np.ndarray:
    w = w.copy()
    w[zero] = 0
    return w / w.sum()


def _silence(rng: np.random.Generator, loc: np.ndarray, t: np.ndarray, as_of: int,
             geo: Arrays) -> None:
    """A few far localities fall silent: their recent inputs move to a neighbour."""
    far = np.flatnonzero(geo["setting"] != "urban")
    silent = np.sort(rng.choice(far, size=3, replace=False))
    recent = np.isin(loc, silent) & (t > as_of - W.SILENT_DAYS * DAY)
    for r in np.unique(geo["region"][silent]):
        rows = np.flatnonzero(recent & (geo["region"][loc] == r))
        others = np.setdiff1d(np.flatnonzero(geo["region"] == r), silent)
        loc[rows] = rng.choice(others, size=rows.size)


def _texts(rng: np.random.Generator, ty: np.ndarray, th: np.ndarray, lang: np.ndarray,
           loc: np.ndarray, n_places: int) -> tuple[np.ndarray, np.ndarray]:
    """Index of each input's sentence in ``text_table`` and of its English version."""
    topic = np.where(ty == W.TY.index("thanks"), len(W.TH), th)
    n_entries = np.array([[sum(lg in e for e in _phrases(k)) for lg in W.LANGS]
                          for k in range(len(W.TH) + 1)])
    entry = (rng.random(len(ty)) * n_entries[topic, lang]).astype(np.int64)
    nl = len(W.LANGS)
    text = ((topic * nl + lang) * 3 + entry) * n_places + loc
    en = W.LANGS.index("en")
    english = ((topic * nl + en) * 3 + entry) * n_places + loc
    return text, np.where((lang != en) & (rng.random(len(ty)) < .35), english, -1)


def _phrases(topic: int) -> list[dict[str, str]]:
    return T.THANKS_PHRASES if topic == len(W.TH) else T.THEME_PHRASES[W.TH[topic]]


def text_table(names: list[str]) -> np.ndarray:
    """Every (topic, language, entry, place) sentence, pre-rendered once."""
    out: list[str | None] = []
    for topic in range(len(W.TH) + 1):
        entries = _phrases(topic)
        for lg in W.LANGS:
            for e in range(3):
                phrase = entries[e].get(lg) if e < len(entries) else None
                out += [phrase.format(place=p) if phrase else None for p in names]
    return lookup(out)


def _actions(rng: np.random.Generator, inp: Arrays, geo: Arrays, as_of: int,
             start: int) -> tuple[Arrays, Arrays]:
    """Group input→kind pairs into actions (a borehole answers many requests) and run them."""
    th, loc = inp["th"], inp["loc"]
    idx = np.flatnonzero(inp["by_action"])
    km = matrix(W.TH, W.KI, W.KIND_BY_THEME, {})
    km[:, W.KI.index("other")] += W.KIND_OTHER
    k1 = pick(rng, th[idx], km)
    threat = np.isin(th[idx], [W.TH.index(c) for c in ("security", "land_conflict")])
    k1[inp["is_alert"][idx] & threat & (rng.random(idx.size) < .5)] = W.KI.index("patrol")
    k2 = pick(rng, th[idx], km)
    two = (rng.random(idx.size) < .12) & (k2 != k1)
    p_inp, p_kind = np.r_[idx, idx[two]], np.r_[k1, k2[two]]
    prm = {k: np.array([W.KIND_PARAMS[c][j] for c in W.KI]) for j, k in enumerate(
        ("window", "cap", "delay", "dur", "p_np", "p_commit", "promise", "reason"))}
    recv = inp["t"][p_inp]
    # Small data sets widen the windows of shared actions, so a borehole still answers many.
    stretch = np.where(prm["cap"] >= 15, np.clip(50_000 / th.size, 1, 12), 1)
    window = (prm["window"] * stretch * DAY).astype(np.int64)
    key = ((inp["restricted"][p_inp] * len(W.KI) + p_kind) * len(geo["node"]) + loc[p_inp]) \
        * 10_000 + (recv - start) // window[p_kind]
    order, act = group(key, recv, prm["cap"][p_kind])
    p_inp, p_kind, recv = p_inp[order], p_kind[order], recv[order]
    linked = inp["recorded"][p_inp] + lognormal(rng, prm["delay"][p_kind] * 3600, recv.size)
    first = np.flatnonzero(run_starts(act))
    linked = np.maximum(linked, linked[first][act])
    ok = linked <= as_of
    p_inp, p_kind, linked, act = p_inp[ok], p_kind[ok], linked[ok], act[ok]
    change = run_starts(act)
    act, first = np.cumsum(change) - 1, np.flatnonzero(change)
    kind, created = p_kind[first], linked[first]
    last_link = run_max(linked, first)
    na = first.size
    dur = lognormal(rng, prm["dur"][kind] * DAY, na, .6)
    r = rng.random(na)
    failed = r < prm["p_np"][kind]
    stalled = ~failed & (r < prm["p_np"][kind] + W.P_STALLED)
    started = created + dur // 5
    closed = np.where(failed, last_link + dur // 3 + DAY, last_link + dur)
    closed = np.where(stalled | (closed > as_of), -1, closed)
    opened = (started <= as_of) & ~(stalled & (rng.random(na) < .4))
    status = np.where(closed < 0, np.where(opened, 1, 0), np.where(failed, 3, 2))
    commit = rng.random(na) < prm["p_commit"][kind]
    due = (last_link + lognormal(rng, prm["promise"][kind] * DAY, na, .2)) // DAY
    secs = [s for s, _, _ in SECTIONS]
    sec = pick(rng, kind, matrix(W.KI, secs, W.KIND_SECTIONS, {}))
    first_theme = th[p_inp[first]]
    by_theme = np.isin(kind, [W.KI.index(k) for k in W.SECTION_KINDS])
    for theme, section in W.THEME_SECTION.items():
        sec[by_theme & (first_theme == W.TH.index(theme))] = secs.index(section)
    n_titles = np.array([len(T.ACTION_TITLES[k]) for k in W.KI])
    reasons = [r.value for r in NotPossibleReason]
    reason = np.array([reasons.index(x) for x in prm["reason"]])[kind]
    a = {"kind": kind, "created": created, "loc": loc[p_inp[first]],
         "lang": inp["lang"][p_inp[first]],
         "restricted": inp["restricted"][p_inp[first]], "status": status,
         "started": np.where(np.isin(status, (1, 2)), started, -1), "closed": closed,
         "reason": np.where(status == 3, reason, -1), "commit": commit,
         "due": np.where(commit, due, -1), "sec": sec, "creator": W.SECTION_USER[sec],
         "title": (kind * 4 + (rng.random(na) * n_titles[kind]).astype(np.int64))
         * len(geo["node"]) + loc[p_inp[first]],
         "outcome": np.select([status == 2, status == 3], [kind, len(W.KI) + reason], -1)}
    a["updated"] = np.maximum.reduce([created, a["started"], closed])
    link = np.where(p_kind == W.KI.index("referral"), 2, 0)
    told = np.isin(p_kind, [W.KI.index("patrol"), W.KI.index("jpt")]) & np.isin(
        inp["ty"][p_inp], [W.TY.index(c) for c in ("alert", "rumour", "perception")])
    link[(link == 0) & ((told & (rng.random(act.size) < .35)) | (rng.random(act.size) < .05))] = 1
    perm = np.argsort(created, kind="stable")  # ids in the order actions were created
    rank = np.empty_like(perm)
    rank[perm] = np.arange(na)
    a = {k: v[perm] for k, v in a.items()}
    return a, {"inp": p_inp, "act": rank[act], "linked": linked, "link": link}


def _report_backs(rng: np.random.Generator, inp: Arrays, act: Arrays, pairs: Arrays, geo: Arrays,
                  as_of: int, start: int) -> tuple[Arrays, Arrays, Arrays]:
    """Tell communities: after an action closes, while it runs (interim), or answer directly."""
    na, closed = act["created"].size, act["closed"]
    t_close = closed + lognormal(rng, 4 * DAY, na, .8)
    a_close = np.flatnonzero((closed >= 0) & (rng.random(na) < .85) & (t_close <= as_of))
    t_int = act["created"] + lognormal(rng, 3 * DAY, na, .8)
    a_int = np.flatnonzero((rng.random(na) < .2) & (t_int <= as_of)
                           & ((closed < 0) | (t_int < closed)))
    rb_close, rb_int = np.full(na, -1), np.full(na, -1)
    rb_close[a_close] = np.arange(a_close.size)
    rb_int[a_int] = a_close.size + np.arange(a_int.size)
    pa = pairs["act"]
    l_close = rb_close[pa] >= 0
    l_int = (rb_int[pa] >= 0) & (pairs["linked"] <= t_int[pa])
    d = np.flatnonzero(inp["direct"])  # answers without an action, grouped per fortnight
    key = np.where(inp["restricted"][d], -1 - d,
                   inp["loc"][d] * 10_000 + (inp["t"][d] - start) // (14 * DAY))
    order, grp = group(key, inp["t"][d], np.full(d.size, 30))
    d = d[order]
    first = np.flatnonzero(run_starts(grp))
    t_dir = run_max(inp["recorded"][d], first) + lognormal(rng, 5 * DAY, first.size, .8)
    ok_dir = t_dir <= as_of
    rb_dir = np.where(ok_dir, a_close.size + a_int.size + np.cumsum(ok_dir) - 1, -1)[grp]
    lead = d[first[ok_dir]]
    kind_key = np.where(act["status"] == 3, W.MSG_KEYS.index("not_possible"), act["kind"])
    rb = {"t": np.r_[t_close[a_close], t_int[a_int], t_dir[ok_dir]],
          "loc": np.r_[act["loc"][a_close], act["loc"][a_int], inp["loc"][lead]],
          "key": np.r_[kind_key[a_close], np.full(a_int.size, W.MSG_KEYS.index("interim")),
                       np.full(lead.size, W.MSG_KEYS.index("direct"))],
          "cat": np.r_[np.zeros(a_close.size, int), np.ones(a_int.size, int),
                       np.full(lead.size, 2)],
          "restricted": np.r_[act["restricted"][a_close], act["restricted"][a_int],
                              inp["restricted"][lead]],
          "rec": np.r_[act["creator"][a_close], act["creator"][a_int], inp["rec"][lead]],
          "lang": np.r_[act["lang"][a_close], act["lang"][a_int], inp["lang"][lead]]}
    nr = rb["t"].size
    link_rb = np.r_[rb_close[pa][l_close], rb_int[pa][l_int], rb_dir[rb_dir >= 0]]
    rb["method"] = pick(rng, np.where(rb["restricted"], 3, rb["cat"]), np.array(W.METHOD_W, float))
    audience = W.METHOD_AUDIENCE[rb["method"]]
    # An SMS or call answering several inputs went to the community, not to one person.
    person = W.AUDIENCES.index("person")
    several = np.bincount(link_rb, minlength=nr) > 1
    rb["audience"] = np.where((audience == person) & several & ~rb["restricted"],
                              W.AUDIENCES.index("community"), audience)
    rb["public"] = (~rb["restricted"] & (rb["audience"] != person)
                    & (rb["audience"] != W.AUDIENCES.index("committee")) & (rng.random(nr) < .6))
    rb["created"] = np.minimum(rb["t"] + rng.integers(0, 2 * DAY, nr), as_of)
    perm = np.argsort(rb["t"], kind="stable")
    rank = np.empty_like(perm)
    rank[perm] = np.arange(nr)
    rb = {k: v[perm] for k, v in rb.items()}
    links = {"rb": rank[link_rb],
             "inp": np.r_[pairs["inp"][l_close], pairs["inp"][l_int], d[rb_dir >= 0]]}
    # One to three language versions: the community's language, French, sometimes English.
    fr, en = W.LANGS.index("fr"), W.LANGS.index("en")
    prim = rb["lang"]
    add_fr = (prim != fr) & (rng.random(nr) < .7)
    add_en = (prim != en) & (rng.random(nr) < .25)
    m_rb = np.r_[np.arange(nr), np.flatnonzero(add_fr), np.flatnonzero(add_en)]
    m_lang = np.r_[prim, np.full(add_fr.sum(), fr), np.full(add_en.sum(), en)]
    o = np.argsort(m_rb, kind="stable")
    m_rb, m_lang = m_rb[o], m_lang[o]
    text = (rb["key"][m_rb] * len(W.LANGS) + m_lang) * len(geo["node"]) + rb["loc"][m_rb]
    return rb, links, {"rb": m_rb, "lang": m_lang, "text": text}


def _facts(inp: Arrays, act: Arrays, pairs: Arrays, rb: Arrays, links: Arrays) -> None:
    """The loop facts, by ``tracker.loop``'s rules; linking or telling also acknowledges."""
    n = inp["t"].size
    pi, li = pairs["inp"], links["inp"]
    a_closed, r_t = act["closed"][pairs["act"]], rb["t"][links["rb"]]
    inp["actions_total"] = np.bincount(pi, minlength=n)
    inp["actions_open"] = np.bincount(pi[a_closed < 0], minlength=n)
    none_open = inp["actions_open"] == 0
    inp["first_action"] = by_group_min(pi, pairs["linked"], n)
    last_closed = by_group_max(pi, a_closed, n)
    inp["last_closed"] = np.where(none_open, last_closed, -1)
    inp["first_rb"] = by_group_min(li, r_t, n)
    closes = (last_closed[li] < 0) | (r_t >= last_closed[li])
    inp["closed"] = np.where(none_open, by_group_min(li[closes], r_t[closes], n), -1)
    never = np.iinfo(np.int64).max
    first = np.minimum.reduce([np.where(x < 0, never, x)
                               for x in (inp["ack"], inp["first_action"], inp["first_rb"])])
    inp["ack"] = np.where(first == never, -1, first)
    inp["updated"] = np.maximum.reduce([inp["recorded"], inp["ack"],
                                        by_group_max(pi, pairs["linked"], n),
                                        by_group_max(li, r_t, n)])
