"""What the public display counts, read from the rollups instead of the inputs.

``tracker.public.content`` decides what may be shown; this gives it the raw tallies:
from the ``pub_set`` cells (inputs that may be counted in public, by their set of
themes: the sets holding a sensitive theme are dropped here, so which themes are
sensitive is read now, not when the cells were counted), the ``consent_theme`` cells
(sensitive themes at region or mission level), the ``h_public_rb`` histograms (the
median wait, to within a bucket) and ``rollup_action_place`` (which actions answer a
public input of the area). ``from_inputs`` in ``tracker.public.content`` computes the
same tallies from the inputs, and the tests hold the two equal.
"""

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from tracker.codes import LocalityLevel
from tracker.metrics import Filters, area_clause
from tracker.models import Action, Locality, RollupActionPlace, RollupCell
from tracker.public.tree import SENSITIVE_LEVELS, AreaTally, Node, PlaceTree, from_sums, sum_up
from tracker.rollups import hist
from tracker.rollups.read import period_clause

_rc, _ap = RollupCell.__table__, RollupActionPlace.__table__
_loc = Locality.__table__.c


@dataclass(frozen=True)
class Tallies:
    """The raw counts of one public screen, before suppression."""

    total: int
    answered: int
    with_report_back: int
    public_themes: dict[str, int]
    sensitive_themes: dict[str, int]
    outside: Callable[[list[str]], int]  # public inputs with a theme not among those listed
    linked: ColumnElement[bool]  # actions answering a public input of the area
    median_hours: Callable[[], float | None]  # to a first report-back


def tree_from_rollups(session: Session, filters: Filters, tree: PlaceTree,
                      sensitive: list[str]) -> dict[Node, AreaTally]:
    """Every place's tallies for the period (``tracker.public.tree``), in two grouped reads."""
    c = _rc.c
    hidden = set(sensitive)
    sets: dict[Node, dict[frozenset[str], int]] = {node: {} for node in tree.nodes()}
    counts: list[tuple[int | None, str, int]] = []
    for place, code, n, closed in session.execute(
            select(c.locality_id, c.code, func.sum(c.inputs), func.sum(c.closed))
            .where(c.dim == "pub_set", period_clause(filters)).group_by(c.locality_id, c.code)):
        codes = frozenset(code.split("|")) - {""}
        if codes & hidden:
            continue
        counts += [(place, "total", n), (place, "answered", closed)]
        counts += [(place, f"theme:{code}", n) for code in codes]
        for node in tree.lineage(place):
            sets[node][codes] = sets[node].get(codes, 0) + int(n)
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


def from_rollups(session: Session, filters: Filters, level: str, sensitive: list[str]) -> Tallies:
    """The tallies of ``tracker.public.content`` for an area and period, from the rollups."""
    c = _rc.c
    cells = _rc.join(Locality.__table__, c.locality_id == _loc.id)
    where = [period_clause(filters), *_area(session, filters.area_id)]
    sets = [(code, int(n), int(closed), int(rb)) for code, n, closed, rb in session.execute(
        select(c.code, func.sum(c.inputs), func.sum(c.closed), func.sum(c.with_report_back))
        .select_from(cells).where(c.dim == "pub_set", *where).group_by(c.code))]
    hidden = set(sensitive)
    public = [(set(code.split("|")) - {""}, n, closed, rb) for code, n, closed, rb in sets
              if not hidden & set(code.split("|"))]
    themes: dict[str, int] = {}
    for codes, n, _, _ in public:
        for code in codes:
            themes[code] = themes.get(code, 0) + n
    sensitive_themes: dict[str, int] = {}
    if sensitive and level in (LocalityLevel.MISSION.value, LocalityLevel.REGION.value):
        sensitive_themes = {code: int(n) for code, n in session.execute(
            select(c.code, func.sum(c.inputs)).select_from(cells)
            .where(c.dim == "consent_theme", c.code.in_(sensitive), *where).group_by(c.code))}

    def outside(listed: list[str]) -> int:
        return sum(n for codes, n, _, _ in public if codes - set(listed))

    def median_hours() -> float | None:
        stmt = select(c.counts).select_from(cells).where(c.dim == "h_public_rb", *where)
        return hist.percentiles(*hist.read_merged(session, stmt), qs=(0.5,))[0]

    places = select(_ap.c.action_id).select_from(
        _ap.join(Locality.__table__, _ap.c.locality_id == _loc.id)).where(
        _ap.c.public.is_(True), *_area(session, filters.area_id))
    return Tallies(
        total=sum(n for _, n, _, _ in public), answered=sum(x for _, _, x, _ in public),
        with_report_back=sum(x for _, _, _, x in public), public_themes=themes,
        sensitive_themes=sensitive_themes, outside=outside,
        linked=Action.__table__.c.id.in_(places), median_hours=median_hours,
    )
