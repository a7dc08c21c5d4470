"""Everything the public "You said — we did" screen shows, for one area and period.

The page lays it out; every rule is here. Counts are read from the rollups
(``tracker.rollups.public``; ``exact`` counts the same from the inputs); every
input count on the screen goes through one ``suppress`` call with every other screen
of the period, so no total on one slide, or on the next place's screen, can give back
a hidden cell. What is counted, and where:

* **Public inputs** — consent to public use is not "none", sensitivity is public or
  internal, and no theme is a sensitive one (``Term.restricted``: sexual violence,
  conduct of UN personnel). They make the total, the themes, the answered (loop
  closed: people were told) / waiting split and the speed. Confidential and
  restricted inputs, and any input on a sensitive theme, are in none of these counts
  (an honest undercount): added to a total next to per-theme counts of public
  inputs, the difference would show how many protected inputs a place has, which is
  exactly what must stay unknown.
* **Sensitive themes** — only when the area is a region or the mission: the count of
  every input (any sensitivity, consent not "none") on that theme, threshold 10,
  rounded to 5, listed among the top themes only when shown (10 or more) and ranked
  by its rounded value. No other cell shares an input with it in a known way.
* **Relations on the screen** — inputs = answered + waiting; and the listed themes
  with "other themes" (public inputs with a theme not listed) cover the inputs, each
  within it (themes overlap: an input may carry several). Commitments due = kept +
  not kept.
* **Actions** (done, commitments kept X of Y, open commitments with titles and due
  dates) count the mission's acts, not people: threshold 1. Only actions linked to a
  public input of the area count; an action known only through a protected input is
  never shown. Done: closed in the period; commitments: due in the period and by now;
  open commitments: all still open, soonest due first.
* **Speed** — median days from an input to its first report-back, only when at least
  5 public inputs have one; the answered rate only when the inputs, answered and
  waiting counts are all shown.
* **Messages** — approved report-backs of the period linked to a public input of the
  area and to no other kind of input, in the viewer's language, else the fallback
  chain (``FALLBACKS``, then English), else any version; newest first.

* **Order** — themes are chosen by count (sensitive ones by their rounded count) and
  listed with shown counts first, largest first, then hidden ones in taxonomy order,
  so the order never ranks hidden values.

Nothing returned names a person, an officer, a source group, an input's own words, or
a place below the area asked for. The input counts of every screen of a period — the
mission, each region, each locality — are suppressed together (``tracker.public.tree``),
so a region shown next to its localities gives none of them back; a territory has no
screen. Not covered: differencing two periods (or the same period on two dates); that
an unlisted theme has at most the count of the last listed one.
"""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlmodel import Session

from tracker.codes import LocalityLevel
from tracker.errors import ValidationError
from tracker.i18n import SOURCE_LOCALE
from tracker.metrics import Filters, scope
from tracker.models import Input, Term
from tracker.percentiles import percentiles
from tracker.public.sources import (
    OpenCommitment,
    PublicMessage,
    actions,
    area_of,
    linked_actions,
    messages,
    public_input,
    sensitive_codes,
    tree_from_inputs,
)
from tracker.public.suppression import Cell, Count, Relation, Shown, Suppressed, rounded, suppress
from tracker.public.tree import load_tree, row, suppress_tree
from tracker.rollups.public import Tallies, from_rollups, tree_from_rollups
from tracker.sqltypes import hours_between, utcnow

PUBLIC_THRESHOLD = 5
SENSITIVE_THRESHOLD = 10
SENSITIVE_ROUNDING = 5
MIN_FOR_SPEED = 5
# A locality's messages are looked for among at most this many of the mission's newest
# report-backs, before its own are listed (``tracker.public.sources.messages``).
PROBE_AT_MOST = 2000

_in = Input.__table__.c


@dataclass(frozen=True, slots=True)
class ThemeCount:
    """A theme this area raised; ``label`` is the taxonomy's source text, for translation."""

    code: str
    label: str
    sensitive: bool
    count: Shown


@dataclass(frozen=True, slots=True)
class PublicContent:
    """One screen: what the area raised, what the mission did, how fast, what it said."""

    area_name: str
    area_level: str
    since: date | None
    until: date | None
    language: str
    as_of: datetime
    inputs: Shown
    answered: Shown
    waiting: Shown
    answered_rate: float | None
    themes: tuple[ThemeCount, ...]
    other_themes: Shown
    actions_done: Shown
    commitments_due: Shown
    commitments_kept: Shown
    open_commitments: tuple[OpenCommitment, ...]
    median_days_to_report_back: float | None
    messages: tuple[PublicMessage, ...]


def _top_themes(terms: dict[str, Term], public: dict[str, int], sensitive: dict[str, int],
                top: int) -> list[tuple[str, str, bool, int, int]]:
    """(code, label, sensitive, count, sort order) of the themes to list, best first."""
    ranked: list[tuple[int, int, str, bool, int]] = []
    for code, n in public.items():
        ranked.append((-n, getattr(terms.get(code), "sort_order", 999), code, False, n))
    for code, n in sensitive.items():
        if n >= SENSITIVE_THRESHOLD:
            shown = rounded(n, SENSITIVE_THRESHOLD, SENSITIVE_ROUNDING)
            ranked.append((-shown, getattr(terms.get(code), "sort_order", 999), code, True, n))
    ranked.sort()
    return [(code, getattr(terms.get(code), "label", code), sens, n, order)
            for _, order, code, sens, n in ranked[:top]]


def _display_order(theme: ThemeCount, order: int) -> tuple[int, int, int, str]:
    """Shown counts by size, then hidden ones in taxonomy order: never by hidden size."""
    s = theme.count
    if isinstance(s, Count):
        return (0, -s.value, order, theme.code)
    return (1 if isinstance(s, Suppressed) else 2, 0, order, theme.code)


def from_inputs(session: Session, filters: Filters, sensitive: list[str]) -> Tallies:
    """The rest of the tallies straight from the inputs (the reference the rollups are
    held to)."""
    area_only = scope(session, Filters(area_id=filters.area_id), period=False)
    public_where = [*scope(session, filters), public_input(Input.__table__, sensitive)]
    return Tallies(
        linked=linked_actions(area_only, sensitive),
        median_hours=lambda: percentiles(
            session, hours_between(_in.first_report_back_at, _in.received_at), public_where,
            qs=(0.5,))[0],
    )


def public_content(
    session: Session, *, area_id: int | None, since: date | None, until: date | None,
    lang: str, now: datetime | None = None, top: int = 5, max_messages: int = 6,
    commitments: int = 8, exact: bool = False,
) -> PublicContent:
    """Everything the public screen shows for an area and period, suppressed as one.

    Counts come from the rollups (``tracker.rollups.public``); ``exact`` counts the inputs
    themselves instead (the same numbers; the median wait exact rather than to a bucket)."""
    now = now or utcnow()
    if now.tzinfo is None:
        raise ValidationError("must include a time zone", field="now")
    if since and until and since > until:
        raise ValidationError("the period ends before it starts", field="until")
    lang = lang.replace("-", "_").split("_")[0].lower() or SOURCE_LOCALE
    area_name, level = area_of(session, area_id)
    if level == LocalityLevel.TERRITORY.value:
        raise ValidationError("the public display shows the mission, a region or a locality",
                              field="area_id")
    sensitive = sensitive_codes(session)
    filters = Filters(since=since, until=until, area_id=area_id)
    start, end = filters.period_bounds()
    area_only = scope(session, Filters(area_id=area_id), period=False)
    tallies = from_inputs(session, filters, sensitive) if exact else from_rollups(session, filters)
    tree = load_tree(session)
    node = tree.node(area_id)
    every = (tree_from_inputs(session, scope(session, Filters(since=since, until=until)), tree,
                              sensitive) if exact else
             tree_from_rollups(session, Filters(since=since, until=until), tree, sensitive))
    terms = {t.code: t for t in session.execute(select(Term).where(Term.kind == "theme")).scalars()}
    ranked = {n: _top_themes(terms, t.themes, t.sensitive, top) for n, t in every.items()}
    shown = row(suppress_tree(tree, every, {
        n: [(code, sens) for code, _, sens, _, _ in r] for n, r in ranked.items()}), node)
    here = every[node]
    total, answered, with_rb = here.total, here.answered, here.with_report_back
    listed = ranked[node]
    done, due, kept, promised = actions(session, tallies.linked, start, end, since, until, now,
                                        commitments)
    shown |= suppress([
        Cell("actions_done", done, 1),
        Cell("commitments_due", due, 1),
        Cell("commitments_kept", kept, 1),
        Cell("commitments_not_kept", due - kept, 1),
    ], [Relation("commitments_due", ("commitments_kept", "commitments_not_kept"))])

    themes = sorted(
        ((ThemeCount(code, label, sens, shown[f"theme:{code}"]), order)
         for code, label, sens, _, order in listed),
        key=lambda pair: _display_order(*pair),
    )
    exact = [shown[k] for k in ("inputs", "answered", "waiting")]
    rate = None
    if all(isinstance(s, Count) for s in exact) and total >= PUBLIC_THRESHOLD:
        rate = answered / total
    # Among the mission's newest, a place with a share s of its inputs has about s of
    # their report-backs: probing four times the expected number rarely falls short.
    mission = every[tree.node(None)].total
    probe = int(4 * max_messages * mission / total) if total else PROBE_AT_MOST + 1
    median = None
    if with_rb >= MIN_FOR_SPEED:
        hours = tallies.median_hours()
        median = None if hours is None else hours / 24
    return PublicContent(
        area_name=area_name,
        area_level=level,
        since=since,
        until=until,
        language=lang,
        as_of=now,
        inputs=shown["inputs"],
        answered=shown["answered"],
        waiting=shown["waiting"],
        answered_rate=rate,
        themes=tuple(t for t, _ in themes),
        other_themes=shown["themes:other"],
        actions_done=shown["actions_done"],
        commitments_due=shown["commitments_due"],
        commitments_kept=shown["commitments_kept"],
        open_commitments=promised,
        median_days_to_report_back=median,
        messages=messages(session, area_only, sensitive, start, end, now, lang, max_messages,
                          one_place=area_id if level == LocalityLevel.LOCALITY.value else None,
                          probe=probe if probe <= PROBE_AT_MOST else 0),
    )


__all__ = [
    "OpenCommitment",
    "PublicContent",
    "PublicMessage",
    "ThemeCount",
    "public_content",
]
