"""The public screen's content, on a small world built through the services.

North region: the town Mbeto and the village Lisa; South: the camp Site Nord.
NOW = T0 + 30 days (1 April 2026).

| inputs (all by officer.a)                         | place   | counted publicly?          |
|---------------------------------------------------|---------|----------------------------|
| B0-B5 basic services; B0-B4 reported back (RB1)   | town    | yes                        |
| S0, S1 security; S0 told in an unapproved RB4     | town    | yes                        |
| H0-H3 health; H0 told in RB5 (with C, see below)  | town    | yes                        |
| N basic services, consent "none"                  | town    | never                      |
| C basic services, confidential                    | town    | never                      |
| K0-K5 conduct (restricted); K0 in RB2, action A4  | town    | region level, rounded      |
| V0-V4 land; all told in RB3 (ln + fr)             | village | yes                        |
| K6-K11 conduct (restricted)                       | village | region level, rounded      |
| X0-X2 crsv (restricted)                           | village | under 10: never listed     |
| E rumours; told in RB6 (English only)             | camp    | yes                        |

Actions: A1 commitment on B0-B5, due 20 March, done 12 March (kept); A2 commitment on
S1, due 25 March, in progress (late); A3 commitment on H1, due 15 April, planned; A4
commitment on K0 only ("never shown"); A5 a done action on V0.
"""

import dataclasses
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlmodel import Session

from tests.utils.factories import T0, World, build_world, make_input
from tracker.errors import NotFoundError, ValidationError
from tracker.metrics import Filters, scope
from tracker.models import Input
from tracker.public.content import PublicContent, public_content
from tracker.public.sources import messages, sensitive_codes
from tracker.public.suppression import FEWER_THAN, SUPPRESSED, Count
from tracker.services import create_action, record_report_back, set_action_status

NOW = T0 + timedelta(days=30)
D = timedelta(days=1)
SECRETS = [
    "restricted words", "confidential words", "no consent words", "women's group",
    "CONDUCT INVESTIGATION TITLE", "CONDUCT REPORT MESSAGE", "MIXED MESSAGE",
    "UNAPPROVED MESSAGE", "officer.a", "officer.b", "Kivale", "Doruma",
]


def _report(session: Session, w: World, ids: list[int], at: Any, messages: dict[str, str],
            approved: bool = True) -> None:
    record_report_back(session=session, actor=w.officer, data={
        "input_ids": ids, "audience": "public", "method": "town_hall", "reported_at": at,
        "messages": messages, "approved_public": approved})


def _commit(session: Session, w: World, ids: list[int], title: str, due: date | None,
            at: Any = T0 + D, **kw: Any) -> int:
    data = {"kind_code": "qip", "title": title, "created_at": at,
            "is_public_commitment": due is not None, "due_date": due} | kw
    return create_action(session=session, actor=w.officer, data=data, input_ids=ids).id


@pytest.fixture
def world(session: Session) -> World:
    w = build_world(session)
    o = w.officer

    def add(place: Any, n: int, theme: str, hours: float = 0, **kw: Any) -> list[int]:
        kw.setdefault("original_text", f"{theme} words")
        return [make_input(session, o, place, hours=hours + i, theme_codes=[theme], **kw).id
                for i in range(n)]

    b = add(w.town, 6, "basic_services")
    s = add(w.town, 2, "security", hours=6)
    h = add(w.town, 4, "health", hours=8)
    add(w.town, 1, "basic_services", consent_public="none", original_text="no consent words")
    c = add(w.town, 1, "basic_services", sensitivity="confidential",
            original_text="confidential words", source_group="women's group, IDP site")
    k = add(w.town, 6, "conduct", original_text="restricted words")
    k += add(w.village, 6, "conduct", original_text="restricted words")
    add(w.village, 3, "crsv", original_text="restricted words")
    v = add(w.village, 5, "land_conflict", hours=20)
    e = add(w.camp, 1, "rumours", hours=300)

    a1 = _commit(session, w, b, "Borehole repaired", date(2026, 3, 20))
    set_action_status(session=session, actor=o, action_id=a1, status="done", at=T0 + 10 * D)
    a2 = _commit(session, w, [s[1]], "Night patrols on the market road", date(2026, 3, 25))
    set_action_status(session=session, actor=o, action_id=a2, status="in_progress", at=T0 + 2 * D)
    _commit(session, w, [h[1]], "Vaccination day at the health post", date(2026, 4, 15))
    _commit(session, w, [k[0]], "CONDUCT INVESTIGATION TITLE", date(2026, 3, 15))
    a5 = _commit(session, w, [v[0]], "Mediation meeting", None, at=T0 + 2 * D)
    set_action_status(session=session, actor=o, action_id=a5, status="done", at=T0 + 5 * D)

    _report(session, w, b[:5], T0 + 10 * D,
            {"fr": "Le forage est réparé.", "en": "The borehole is repaired."})
    _report(session, w, [k[0]], T0 + 11 * D, {"fr": "CONDUCT REPORT MESSAGE"})
    _report(session, w, v, T0 + 12 * D, {"ln": "Likita ya kimya esalemi.", "fr": "La médiation a eu lieu."})
    _report(session, w, [s[0]], T0 + 20 * D, {"fr": "UNAPPROVED MESSAGE"}, approved=False)
    _report(session, w, [h[0], c[0]], T0 + 15 * D, {"fr": "MIXED MESSAGE"})
    _report(session, w, e, T0 + 324 * timedelta(hours=1), {"en": "The mission is not leaving."})
    return w


def _content(session: Session, area_id: int | None, lang: str = "fr", **kw: Any) -> PublicContent:
    return public_content(session, area_id=area_id, since=kw.pop("since", None),
                          until=kw.pop("until", None), lang=lang, now=NOW, **kw)


def _themes(content: PublicContent) -> list[tuple[str, Any]]:
    return [(t.code, t.count) for t in content.themes]


def test_town_counts_and_small_cells(session: Session, world: World) -> None:
    c = _content(session, world.town.id)
    assert (c.area_name, c.area_level) == ("Mbeto", "locality")
    # 12 public inputs (N: no consent, C: confidential, K: restricted are not counted).
    assert (c.inputs, c.answered, c.waiting) == (Count(12), Count(7), Count(5))
    assert c.answered_rate == pytest.approx(7 / 12)
    assert _themes(c) == [("basic_services", Count(6)), ("security", FEWER_THAN(5)),
                          ("health", FEWER_THAN(5))]
    assert c.other_themes == Count(0)
    assert not any(t.sensitive for t in c.themes)  # conduct: 6 here, never at locality level
    assert c.actions_done == Count(1)  # A1; A4 is known only through a restricted input
    assert (c.commitments_due, c.commitments_kept) == (Count(2), Count(1))
    assert [(p.title, p.due_date, p.overdue) for p in c.open_commitments] == [
        ("Night patrols on the market road", date(2026, 3, 25), True),
        ("Vaccination day at the health post", date(2026, 4, 15), False),
    ]
    # First report-back, in hours: B0-B4 240..236, H0 352, S0 474 -> median 239: exact from
    # the inputs, to within its histogram bucket (2 hours there) from the rollups.
    assert c.median_days_to_report_back == pytest.approx(239 / 24, abs=2 / 24)
    exact = _content(session, world.town.id, exact=True)
    assert exact.median_days_to_report_back == pytest.approx(239 / 24)
    assert [(m.text, m.language, m.fallback) for m in c.messages] == [
        ("Le forage est réparé.", "fr", False)]


def test_region_rounds_the_sensitive_theme(session: Session, world: World) -> None:
    c = _content(session, world.north.id, lang="ln")
    assert (c.area_name, c.area_level) == ("North", "region")
    assert (c.inputs, c.answered, c.waiting) == (Count(17), Count(12), Count(5))
    conduct = next(t for t in c.themes if t.code == "conduct")
    assert conduct.sensitive and conduct.count == Count(10, 5)  # 12 restricted inputs
    assert "crsv" not in [t.code for t in c.themes]  # 3: under 10, not listed at all
    assert _themes(c) == [
        ("conduct", Count(10, 5)), ("basic_services", Count(6)), ("land_conflict", Count(5)),
        ("security", FEWER_THAN(5)), ("health", FEWER_THAN(5))]
    assert c.actions_done == Count(2)  # A1 and A5
    # Lingala first, then French (the fallback chain), newest first.
    assert [(m.language, m.fallback) for m in c.messages] == [("ln", False), ("fr", True)]
    assert c.messages[0].text == "Likita ya kimya esalemi."


def test_village_never_shows_sensitive_themes(session: Session, world: World) -> None:
    c = _content(session, world.village.id)
    assert [t.code for t in c.themes] == ["land_conflict"]
    assert c.inputs == Count(5)


def test_a_tiny_place_shows_fewer_than_five_everywhere(session: Session, world: World) -> None:
    c = _content(session, world.camp.id)
    assert c.inputs == c.answered == FEWER_THAN(5)
    assert c.waiting == FEWER_THAN(5)  # 0 of fewer than 5 would say all were answered
    assert c.other_themes == FEWER_THAN(5)
    assert _themes(c) == [("rumours", FEWER_THAN(5))]
    assert c.answered_rate is None and c.median_days_to_report_back is None


def test_mission_messages_fall_back_to_english(session: Session, world: World) -> None:
    c = _content(session, None, lang="ln")
    assert (c.area_name, c.area_level) == ("Mission", "mission")
    # 18 = North's 17 + South's 1: were the total shown, the North screen would give
    # South's "fewer than 5" back. The waiting 5 stays: 13 answered would too.
    assert (c.inputs, c.answered, c.waiting) == (SUPPRESSED, SUPPRESSED, Count(5))
    assert [(m.language, m.fallback) for m in c.messages] == [
        ("en", True), ("ln", False), ("fr", True)]
    assert c.messages[0].text == "The mission is not leaving."
    assert [m.text for m in _content(session, None, lang="sw").messages][1] == (
        "La médiation a eu lieu.")  # no Swahili or English version: the first other one


def test_secondary_suppression_across_the_screen(session: Session, world: World) -> None:
    """1 answered of 7: the waiting count goes too, or 7 minus it would give the 1 back."""
    for i in range(6):
        make_input(session, world.officer, world.camp, hours=400 + i, theme_codes=["rumours"])
    c = _content(session, world.camp.id)
    assert c.inputs == Count(7)
    assert (c.answered, c.waiting) == (FEWER_THAN(5), SUPPRESSED)
    assert c.answered_rate is None
    assert _themes(c) == [("rumours", Count(7))]


def test_nothing_private_leaks(session: Session, world: World) -> None:
    for area in (None, world.north.id, world.town.id, world.village.id, world.camp.id):
        for lang in ("fr", "ln", "en"):
            c = _content(session, area, lang=lang)
            text = repr(c) + repr(dataclasses.asdict(c))
            for secret in SECRETS:
                assert secret.lower() not in text.lower(), (area, lang, secret)
            if area in (world.north.id, None):
                assert "Mbeto" not in text and "Lisa" not in text


def test_text_columns_are_never_read(session: Session, world: World) -> None:
    """Counts are aggregates: no query even selects an input's words or its source."""
    statements: list[str] = []

    def capture(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", capture)
    try:
        _content(session, world.north.id)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    assert statements
    for column in ("original_text", "translation", "summary", "source_group", "source_code",
                   "display_name", "username"):
        assert not any(column in sql for sql in statements), column


@pytest.mark.parametrize("limit", [1, 3, 6])
def test_a_localitys_messages_are_the_same_whatever_is_probed_first(
        session: Session, world: World, limit: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """A locality's report-backs are looked for among the mission's newest first; found
    there or not (then listed from its inputs, and looked up a few ids at a time), they
    are the ones a region's way of finding them gives, in every period."""
    town = {text: i for i, text in session.execute(select(Input.id, Input.original_text).where(
        Input.locality_id == world.town.id).order_by(Input.id.desc()))}  # type: ignore[arg-type]
    first_basic, health = town["basic_services words"], town["health words"]
    # Five more for the town: two at the same moment, one older, and the newest of all
    # protected (it also tells a confidential input).
    _report(session, world, [first_basic], T0 + 16 * D, {"fr": "Town news 1"})
    _report(session, world, [health], T0 + 16 * D, {"fr": "Town news 2"})
    _report(session, world, [health], T0 + 17 * D, {"fr": "Town news 3"})
    _report(session, world, [first_basic], T0 + 9 * D, {"fr": "Town news 0"})
    _report(session, world, [health, town["confidential words"]], T0 + 18 * D,
            {"fr": "MIXED MESSAGE 2"})
    monkeypatch.setattr("tracker.public.sources.LOOKUP_CHUNK", 2)
    reads: list[str] = []

    def capture(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("SELECT report_back.id"):
            reads.append(statement)

    engine = session.get_bind()
    sensitive = sensitive_codes(session)
    ways = set()
    for place in (world.town, world.village, world.camp):
        area = scope(session, Filters(area_id=place.id), period=False)
        for since, until in ((None, None), (T0 + 11 * D, None), (None, T0 + 12 * D)):

            def texts(probe: int | None, area: Any = area, place: Any = place,
                      since: Any = since, until: Any = until) -> list[str]:
                reads.clear()
                event.listen(engine, "before_cursor_execute", capture)
                try:
                    found = messages(session, area, sensitive, since, until, NOW, "fr", limit,
                                     one_place=None if probe is None else place.id,
                                     probe=probe or 0)
                finally:
                    event.remove(engine, "before_cursor_execute", capture)
                if probe is not None:
                    ways.add((probe > 0, len(reads) > 1))
                return [m.text for m in found]

            probed = texts(None)  # as for a region: the newest probed until enough are found
            for probe in (0, 1, 2, 3, 4, 50):
                assert texts(probe) == probed, (place.name, since, until, probe)
    # Listed over several reads; found among the newest (one read); not found there, then
    # listed. No place has six messages: they are never all found among the newest.
    assert {(False, True), (True, True)} <= ways
    assert ((True, False) in ways) == (limit < 6)


def test_period_and_errors(session: Session, world: World) -> None:
    c = _content(session, world.town.id, until=date(2026, 3, 1))
    assert c.inputs == Count(0) and c.themes == () and c.messages == ()
    assert c.commitments_due == Count(0)
    assert _content(session, world.town.id) == _content(session, world.town.id)
    with pytest.raises(NotFoundError):
        _content(session, 10_000)


def test_an_empty_database_shows_zeros(session: Session) -> None:
    c = public_content(session, area_id=None, since=None, until=None, lang="fr", now=NOW)
    assert (c.area_name, c.area_level) == ("", "mission")
    assert c.inputs == c.answered == c.waiting == c.other_themes == Count(0)
    assert c.themes == c.messages == c.open_commitments == ()
    assert c.answered_rate is None and c.median_days_to_report_back is None


@pytest.mark.parametrize("since", [None, date(2026, 3, 5)])
def test_no_screen_gives_back_a_neighbours_hidden_count(session: Session, world: World,
                                                        since: date | None) -> None:
    """A parent's count minus the counts its places show never leaves one hidden place
    to be worked out: the viewer who reads every screen of the period learns nothing."""
    screens = {area: _content(session, area, since=since) for area in (
        None, world.north.id, world.south.id, world.town.id, world.village.id, world.camp.id)}
    family = {None: [world.north.id, world.south.id],
              world.north.id: [world.town.id, world.village.id], world.south.id: [world.camp.id]}
    for parent, kids in family.items():
        for column in ("inputs", "answered", "waiting"):
            shown = [getattr(screens[a], column) for a in (parent, *kids)]
            hidden = [s for s in shown if not isinstance(s, Count)]
            if len(hidden) == 1:  # what it hides can be worked out: only a 0 may be
                top, *parts = [s.value if isinstance(s, Count) else 0 for s in shown]
                assert top - sum(parts) == 0 if isinstance(shown[0], Count) else (
                    sum(parts) == 0), (parent, column, shown)
    with pytest.raises(ValidationError, match="mission, a region or a locality"):
        _content(session, world.town.parent_id)  # a territory: no screen of its own
