"""Every public screen of a period, suppressed as one table over the places.

A small mission: regions 1 and 2; localities 3 and 4 in region 1, 5 in region 2.
Inputs are filed at a locality, at a region itself or at the mission itself. The
oracle of ``tests/test_suppression.py`` (an enumeration independent of the solver)
checks the whole table: no screen, read with every other, gives a hidden count back.
"""

from collections import Counter
from collections.abc import Sequence

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_suppression import oracle
from tracker.public.suppression import Count, FewerThan, Suppressed, Unseen, suppress
from tracker.public.tree import AreaTally, Node, PlaceTree, row, table

TREE = PlaceTree(parent={1: None, 2: None, 3: 1, 4: 1, 5: 2},
                 level={1: "region", 2: "region", 3: "locality", 4: "locality", 5: "locality"},
                 home={0: None, 1: 1, 2: 2, 3: 3, 4: 4, 5: 5})
Item = tuple[int, frozenset[str], bool]  # place, themes, answered


def tallies(items: Sequence[Item], top: int) -> tuple[dict[Node, AreaTally], dict[Node, list]]:
    """What ``tree_from_rollups`` would read, and each screen's listed themes."""
    out, listed = {}, {}
    for node in TREE.nodes():
        mine = [(themes, closed) for place, themes, closed in items if node in TREE.lineage(place)]
        counts = Counter(t for themes, _ in mine for t in themes)
        out[node] = AreaTally(
            total=len(mine), answered=sum(closed for _, closed in mine), with_report_back=0,
            themes=dict(counts),
            sensitive={}, outside=lambda names, mine=mine: sum(
                1 for themes, _ in mine if themes - set(names)))
        listed[node] = [(t, False) for t in sorted(counts, key=lambda t: (-counts[t], t))[:top]]
    return out, listed


def test_a_region_minus_its_other_locality_gives_nothing_back() -> None:
    """Region 1 = localities 3 (2 inputs) and 4 (9): shown alone, each screen would be
    safe, but 11 - 9 gives locality 3's "fewer than 5" back."""
    items = [(3, frozenset({"water"}), False)] * 2 + [(4, frozenset({"water"}), True)] * 9
    items += [(5, frozenset({"land"}), True)] * 6
    counts, listed = tallies(items, 2)
    shown = suppress(*table(TREE, counts, listed))
    region, here, there = row(shown, 1), row(shown, 3), row(shown, 4)
    assert here["inputs"] == FewerThan(5)
    hidden = [s for s in (region["inputs"], there["inputs"]) if not isinstance(s, Count)]
    assert hidden, "a region shown exactly next to its other locality shown exactly"
    assert not isinstance(region["theme:water"], Count) or not isinstance(
        there["theme:water"], Count)
    assert oracle(*table(TREE, counts, listed), shown) == set()


def test_a_theme_a_locality_does_not_list_is_not_given_back() -> None:
    """Locality 4 lists only "water": its 2 inputs on "land" are in no screen of its own,
    yet region 1's "land" (9) minus locality 3's (7) would say 2."""
    items = [(3, frozenset({"land"}), False)] * 7 + [(4, frozenset({"water"}), True)] * 8
    items += [(4, frozenset({"land"}), True)] * 2
    counts, listed = tallies(items, 1)
    cells, relations = table(TREE, counts, listed)
    shown = suppress(cells, relations)
    assert isinstance(shown["4|theme:land"], Unseen)
    assert oracle(cells, relations, shown) == set()
    assert any(isinstance(shown[k], Suppressed) for k in ("1|theme:land", "3|theme:land"))


PLACES = st.sampled_from([0, 1, 2, 3, 3, 4, 4, 5, 5])
ITEMS = st.lists(st.tuples(PLACES, st.frozensets(st.sampled_from("ab"), min_size=1),
                           st.booleans()), max_size=10)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ITEMS, st.integers(1, 2))
def test_generated_trees(items: list[Item], top: int) -> None:
    counts, listed = tallies(items, top)
    cells, relations = table(TREE, counts, listed)
    shown = suppress(cells, relations)
    assert oracle(cells, relations, shown) == set()
    for cell in cells:
        if cell.displayed and 0 < cell.value < cell.threshold:
            assert shown[cell.key] == FewerThan(cell.threshold)
