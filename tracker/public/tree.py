"""The public screens of one period, suppressed as one table over the tree of places.

A screen suppressed on its own protects its cells from its own totals, not from the
screen next door: the mission's count minus the counts its regions show gives back
the one region shown as "fewer than 5", and a region's count of a theme minus its
localities' gives back a locality's. So every screen of a period is cut from one
table — every place, each with its inputs, answered, waiting and theme counts, and
each parent equal to its children plus what was filed at the parent itself — and
that table goes through one ``suppress`` call. A screen then shows its own row: the
same answer whichever screen of the period is asked first.

What links the rows:

* inputs, answered and waiting of a place = the sum over its children plus the inputs
  filed at the place itself: a cell no screen shows (``Cell.displayed`` False), but
  guarded like any other while it is small;
* a theme's count likewise, for every theme some row of the parent or its children
  lists; where a row does not list it, its count is a cell no screen shows
  (``Cell.displayed`` False) that lies within that row's "other themes";
* a sensitive theme's rounded count at the mission and its regions likewise.

Not covered: two periods (or two dates) differenced against each other, and that an
unlisted theme has at most the count of the last listed one.
"""

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from sqlalchemy import select
from sqlmodel import Session

from tracker.codes import LocalityLevel
from tracker.models import Locality
from tracker.public.suppression import Cell, Relation, Shown, suppress

PUBLIC_THRESHOLD = 5
SENSITIVE_THRESHOLD = 10
SENSITIVE_ROUNDING = 5

Node = int | None  # a place's id; None is the mission
_loc = Locality.__table__.c


SCREEN_LEVELS = (LocalityLevel.REGION.value, LocalityLevel.LOCALITY.value)


@dataclass(frozen=True)
class PlaceTree:
    """The places a public screen can be about: the mission, its regions, their localities.

    A territory has no screen of its own (one more published table is one more to
    difference): its inputs count at its region, as filed at the region itself.
    """

    parent: dict[int, Node]  # region or locality -> the region or mission above it
    level: dict[int, str]
    home: dict[int, Node] = field(default_factory=dict)  # any place -> its node

    def node(self, place_id: int | None) -> Node:
        """The node a place's inputs are counted at."""
        return None if place_id is None else self.home.get(place_id)

    def level_of(self, node: Node) -> str:
        return LocalityLevel.MISSION.value if node is None else self.level[node]

    def nodes(self) -> list[Node]:
        """The mission, then every region and locality in id order (the table's rows)."""
        return [None, *sorted(self.parent)]

    def lineage(self, place_id: int | None) -> list[Node]:
        """The place's node and every node above it, up to the mission."""
        chain: list[Node] = []
        node = self.node(place_id)
        while node is not None:
            chain.append(node)
            node = self.parent[node]
        return [*chain, None]

    def children(self) -> dict[Node, list[int]]:
        kids: dict[Node, list[int]] = {}
        for node in sorted(self.parent):
            kids.setdefault(self.parent[node], []).append(node)
        return kids

    def below(self, node: Node) -> list[int]:
        """Places whose inputs count at ``node`` (any level, itself included)."""
        return [p for p in self.home if node in self.lineage(p)]


def load_tree(session: Session) -> PlaceTree:
    rows = {i: (p, level) for i, p, level in
            session.execute(select(_loc.id, _loc.parent_id, _loc.level)).all()}

    def home(place: int | None) -> Node:
        while place is not None and rows[place][1] not in SCREEN_LEVELS:
            place = rows[place][0]
        return place

    kept = [i for i, (_, level) in rows.items() if level in SCREEN_LEVELS]
    return PlaceTree(parent={i: home(rows[i][0]) for i in kept},
                     level={i: rows[i][1] for i in kept}, home={i: home(i) for i in rows})


@dataclass(frozen=True)
class AreaTally:
    """The raw counts of one place's screen (inputs at the place or below it)."""

    total: int
    answered: int
    with_report_back: int
    themes: dict[str, int]  # public inputs per theme
    sensitive: dict[str, int]  # mission and regions only
    outside: Callable[[list[str]], int]  # public inputs with a theme not among those listed


def sum_up(tree: PlaceTree, rows: Iterable[tuple[int | None, str, int]],
           levels: Iterable[str] | None = None) -> dict[Node, dict[str, int]]:
    """Counts filed at each place, added to it and to every place above it.

    ``levels``: only nodes of these levels keep counts (sensitive themes: the mission
    and its regions)."""
    keep = None if levels is None else set(levels)
    filed: dict[int | None, Counter[str]] = defaultdict(Counter)
    for place, name, n in rows:  # each place's own first: its lineage is walked once
        filed[place][name] += int(n)
    out: dict[Node, dict[str, int]] = {node: {} for node in tree.nodes()}
    for place, counts in filed.items():
        for node in tree.lineage(place):
            if keep is None or tree.level_of(node) in keep:
                into = out[node]
                for name, n in counts.items():
                    into[name] = into.get(name, 0) + n
    return out


def from_sums(summed: dict[Node, dict[str, int]], sensitive: dict[Node, dict[str, int]],
              outside: Callable[[Node], Callable[[list[str]], int]]) -> dict[Node, AreaTally]:
    """Each node's tally from ``sum_up`` rows named "total", "answered", "with_rb" and
    "theme:<code>"."""
    return {node: AreaTally(
        total=got.get("total", 0), answered=got.get("answered", 0),
        with_report_back=got.get("with_rb", 0),
        themes={k[6:]: v for k, v in got.items() if k.startswith("theme:")},
        sensitive=sensitive.get(node, {}), outside=outside(node)) for node, got in summed.items()}


SENSITIVE_LEVELS = (LocalityLevel.MISSION.value, LocalityLevel.REGION.value)
Listed = list[tuple[str, bool]]  # (theme code, sensitive) in the order the screen ranks them


def _key(node: Node, name: str) -> str:
    return f"{'mission' if node is None else node}|{name}"


def _theme_cell(node: Node, code: str, n: int, sensitive: bool, displayed: bool) -> Cell:
    if sensitive:
        return Cell(_key(node, f"theme:{code}"), n, SENSITIVE_THRESHOLD, SENSITIVE_ROUNDING,
                    displayed=displayed)
    return Cell(_key(node, f"theme:{code}"), n, PUBLIC_THRESHOLD, displayed=displayed)


def table(tree: PlaceTree, tallies: dict[Node, AreaTally],
          listed: dict[Node, Listed]) -> tuple[list[Cell], list[Relation]]:
    """The cells and relations of every screen of the period (see the module doc)."""
    cells: dict[str, Cell] = {}
    relations: list[Relation] = []
    for node in tree.nodes():
        t = tallies[node]
        public = [code for code, sens in listed[node] if not sens]
        for name, n in (("inputs", t.total), ("answered", t.answered),
                        ("waiting", t.total - t.answered)):
            cells[_key(node, name)] = Cell(_key(node, name), n, PUBLIC_THRESHOLD)
        for code, sens in listed[node]:
            n = (t.sensitive if sens else t.themes).get(code, 0)
            cells[_key(node, f"theme:{code}")] = _theme_cell(node, code, n, sens, True)
        cells[_key(node, "themes:other")] = Cell(
            _key(node, "themes:other"), t.outside(public), PUBLIC_THRESHOLD)
        relations.append(Relation(_key(node, "inputs"),
                                  (_key(node, "answered"), _key(node, "waiting"))))
        relations.append(Relation(_key(node, "inputs"), (
            *(_key(node, f"theme:{c}") for c in public), _key(node, "themes:other")),
            overlapping=True))
    unseen: dict[Node, list[str]] = {}

    def theme_key(node: Node, code: str, sens: bool) -> str:
        key = _key(node, f"theme:{code}")
        if key not in cells:
            n = (tallies[node].sensitive if sens else tallies[node].themes).get(code, 0)
            cells[key] = _theme_cell(node, code, n, sens, False)
            if not sens:
                unseen.setdefault(node, []).append(key)
        return key

    def add_sum(parent: Node, kids: Sequence[Node], keys: Callable[[Node], str]) -> str:
        """``parent = Σ kids + direct``; direct (filed at the parent itself) is on no screen."""
        total = cells[keys(parent)]
        direct = _key(parent, "direct:" + total.key.split("|", 1)[1])
        cells[direct] = Cell(direct, total.value - sum(cells[keys(k)].value for k in kids),
                             total.threshold, displayed=False)
        relations.append(Relation(total.key, (*(keys(k) for k in kids), direct)))
        return direct

    for parent, kids in tree.children().items():
        columns = [add_sum(parent, kids, lambda n, name=name: _key(n, name))
                   for name in ("inputs", "answered", "waiting")]
        relations.append(Relation(columns[0], tuple(columns[1:])))
        themes = [add_sum(parent, kids, lambda n, c=code: theme_key(n, c, False))
                  for code in _codes(listed, [parent, *kids], False)]
        if themes:
            relations.append(Relation(columns[0], tuple(themes), overlapping=True, partial=True))
        regions = _regions(tree, parent, kids)
        for code in _codes(listed, regions, True):
            add_sum(parent, regions[1:], lambda n, c=code: theme_key(n, c, True))
    for node, keys in unseen.items():
        relations.append(Relation(_key(node, "themes:other"), tuple(keys),
                                  overlapping=True, partial=True))
    return list(cells.values()), relations


def _regions(tree: PlaceTree, parent: Node, kids: Sequence[int]) -> list[Node]:
    """The mission and its regions, where sensitive themes are counted; else nothing."""
    if parent is not None:
        return []
    return [None, *(k for k in kids if tree.level[k] == LocalityLevel.REGION.value)]


def _codes(listed: dict[Node, Listed], members: Iterable[Node], sensitive: bool) -> list[str]:
    """Themes some of ``members`` list (of the one kind), in first-seen order."""
    codes: dict[str, None] = {}
    for node in members:
        codes.update((code, None) for code, sens in listed[node] if sens == sensitive)
    return list(codes)


def suppress_tree(tree: PlaceTree, tallies: dict[Node, AreaTally],
                  listed: dict[Node, Listed]) -> dict[str, Shown]:
    """What every cell of every screen of the period shows, keyed ``"<node>|<cell>"``."""
    cells, relations = table(tree, tallies, listed)
    return dict(_suppressed(tuple(cells), tuple(relations)))


@lru_cache(maxsize=8)
def _suppressed(cells: tuple[Cell, ...], relations: tuple[Relation, ...]) -> dict[str, Shown]:
    """Every screen of a period asks for the same table: it is solved once while unchanged
    (a large mission's short period, with many small places, takes seconds to solve)."""
    return suppress(cells, relations)


def row(shown: dict[str, Shown], node: Node) -> dict[str, Shown]:
    """One screen's cells (without the node prefix)."""
    prefix = _key(node, "")
    return {k[len(prefix):]: v for k, v in shown.items() if k.startswith(prefix)}
