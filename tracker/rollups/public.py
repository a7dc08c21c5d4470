"""What the public display counts, read from the rollups instead of the inputs.

``tracker.public.content`` decides what may be shown; this gives it the raw tallies.
``tree_from_rollups``: every place's counts for the period, from the ``pub_set`` cells
(inputs that may be counted in public, by their set of themes: the sets holding a
sensitive theme are dropped here, so which themes are sensitive is read now, not when
the cells were counted) and the ``consent_theme`` cells (sensitive themes at region or
mission level). ``from_rollups``: the rest of one screen, from the ``h_public_rb``
histograms (the median wait, to within a bucket) and ``rollup_action_place`` (which
actions answer a public input of the area). ``tree_from_inputs`` and ``from_inputs``
(``tracker.public``) count the same from the inputs, and the tests hold them equal.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import exists, func, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from tracker.metrics import Filters, area_clause
from tracker.models import Action, Locality, RollupActionPlace, RollupCell
from tracker.public.tree import SENSITIVE_LEVELS, AreaTally, Node, PlaceTree, from_sums, sum_up
from tracker.rollups import hist
from tracker.rollups.read import period_clause

_rc, _ap = RollupCell.__table__, RollupActionPlace.__table__
_loc = Locality.__table__.c


@dataclass(frozen=True)
class Tallies:
    """What one public screen reads beyond the counts of every place (``tree_from_rollups``)."""

    linked: ColumnElement[bool]  # actions answering a public input of the area
    median_hours: Callable[[], float | None]  # to a first report-back


def tree_from_rollups(session: Session, filters: Filters, tree: PlaceTree,
                      sensitive: list[str]) -> dict[Node, AreaTally]:
    """Every place's tallies for the period (``tracker.public.tree``), in two grouped reads."""
    c = _rc.c
    hidden = set(sensitive)
    sets: dict[Node, dict[frozenset[str], int]] = {node: {} for node in tree.nodes()}
    counts: list[tuple[int | None, str, int]] = []
    own: dict[int | None, dict[frozenset[str], int]] = defaultdict(dict)
    for place, code, n, closed, rb in session.execute(
            select(c.locality_id, c.code, func.sum(c.inputs), func.sum(c.closed),
                   func.sum(c.with_report_back))
            .where(c.dim == "pub_set", period_clause(filters)).group_by(c.locality_id, c.code)):
        codes = frozenset(code.split("|")) - {""}
        if codes & hidden:
            continue
        counts += [(place, "total", n), (place, "answered", closed), (place, "with_rb", rb)]
        counts += [(place, f"theme:{code}", n) for code in codes]
        own[place][codes] = own[place].get(codes, 0) + int(n)
    for place, by_set in own.items():
        for node in tree.lineage(place):
            into = sets[node]
            for codes, n in by_set.items():
                into[codes] = into.get(codes, 0) + n
    sens = sum_up(tree, session.execute(
        select(c.locality_id, c.code, func.sum(c.inputs))
        .where(c.dim == "consent_theme", c.code.in_(sensitive), period_clause(filters))
        .group_by(c.locality_id, c.code)).all(), SENSITIVE_LEVELS) if sensitive else {}
    summed = sum_up(tree, counts)

    def outside(node: Node) -> Callable[[list[str]], int]:
        return lambda listed: sum(n for codes, n in sets[node].items() if codes - set(listed))

    return from_sums(summed, sens, outside)


def _area(session: Session, area_id: int | None) -> list[ColumnElement[bool]]:
    if area_id is None or (clause := area_clause(session, area_id)) is None:
        return []
    return [clause]


def from_rollups(session: Session, filters: Filters) -> Tallies:
    """The rest of ``tracker.public.content``'s tallies for an area and period, from the rollups."""
    c = _rc.c
    cells = _rc.join(Locality.__table__, c.locality_id == _loc.id)
    area = _area(session, filters.area_id)
    where = [period_clause(filters), *area]

    def median_hours() -> float | None:
        stmt = select(c.counts).select_from(cells).where(c.dim == "h_public_rb", *where)
        return hist.percentiles(*hist.read_merged(session, stmt), qs=(0.5,))[0]

    actions = Action.__table__.c
    if area:  # a place's actions, listed from its index
        linked = actions.id.in_(select(_ap.c.action_id).select_from(
            _ap.join(Locality.__table__, _ap.c.locality_id == _loc.id)).where(
            _ap.c.public.is_(True), *area))
    else:  # the mission's: nearly every action, each looked up by its own key
        linked = exists().where(_ap.c.action_id == actions.id, _ap.c.public.is_(True))
    return Tallies(linked=linked, median_hours=median_hours)
