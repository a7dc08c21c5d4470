"""Small-cell suppression for everything one public screen shows at once (pure, no database).

A screen is a list of ``Cell`` counts and the ``Relation`` s a viewer knows hold
between them (a total is the sum of its parts, or — ``overlapping`` — the union of
parts that may overlap, like themes of inputs that carry several). ``suppress``
returns what each cell may show. The rules, in order:

1. **Primary**: a count of 1 … threshold-1 shows as ``FewerThan(threshold)``.
2. **Zero** is shown as 0 — an empty cell is about nobody — except as a part of a
   total shown as ``FewerThan`` (by rule 1, or by this rule, down a chain of totals):
   there the zero shows ``FewerThan`` too. Next to a small
   total a 0 tells what the whole small group has in common ("fewer than 5 inputs,
   0 answered"), and if zeros always showed, "fewer than 5" would mean "at least 1",
   which a small total can pin (four hidden parts of a total under 5 are 1 each).
   A zero is never hidden to protect another cell: a viewer knows such a cell is
   not 0 (rule 5), so it would protect nothing.
3. **Rounding**: a cell with ``round_to`` (sensitive themes) that is shown is rounded
   to the nearest multiple (halves up), and never to a value below its threshold: it
   is raised to the smallest multiple at or above the threshold instead.
4. **Secondary**: wherever an exact relation has exactly one hidden cell and the
   others shown, one more non-zero shown cell of it is hidden (``SUPPRESSED``) — the
   one that leaves the fewest other relations with a single hidden cell (net of those
   it completes), then a part before the total, then the smallest, then the earlier in
   the list. (Over a tree of places, hiding a parent's total often costs less than a
   part that is itself the total of other parts.) Relations are visited in order,
   again and again until nothing changes, so hiding a cell for one relation is made
   safe in every other relation it is in.
5. **Audit**: what a viewer can infer is then solved exactly (``solver``): a cell
   shown exactly is known; a rounded one lies in its rounding interval; a
   ``FewerThan(t)`` cell in 1 … t-1 (0 … t-1 as a part of a hidden small total); a
   ``SUPPRESSED`` cell is at least its threshold (rules 1, 2 and 4 say so). While
   some non-zero hidden cell — or the exact value behind a rounded one — has only
   one possible value, one more non-zero shown cell sharing a relation with it is
   hidden (the first, smallest first, that frees it; else the smallest).

The output depends only on the arguments, in order: the same screen always shows the
same thing. A cell no screen shows (``Cell(displayed=False)``: inputs filed at a region
itself, a theme a place does not list) only links others: a viewer knows it is at least
0, it is never hidden to protect another, and it is guarded only while small. Other
screens are modelled by putting them in the same call (``tracker.public.tree``). Not
modelled: a viewer who reverse-engineers the choice of complement (e.g. "the smallest
part was hidden"), and knowledge from other dates.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from tracker.public.solver import Constraint, Partition, System, equal, pinned, tightened


class SuppressionError(ValueError):
    """The screen's own structure discloses a cell (e.g. mixed thresholds); fix the caller."""


@dataclass(frozen=True, slots=True)
class Cell:
    """One count a screen wants to show; ``threshold`` and ``round_to`` are its protection."""

    key: str
    value: int
    threshold: int = 5
    round_to: int | None = None
    displayed: bool = True  # False: on no screen, only in relations (a viewer knows ≥ 0)

    def __post_init__(self) -> None:
        if self.value < 0:
            raise ValueError(f"{self.key}: a count cannot be negative")
        if self.threshold < 1:
            raise ValueError(f"{self.key}: the threshold must be at least 1")
        if self.round_to is not None and self.round_to < 1:
            raise ValueError(f"{self.key}: round_to must be at least 1")


@dataclass(frozen=True, slots=True)
class Relation:
    """``total = Σ parts``; ``overlapping``: each part ⊆ total ⊆ union of parts;
    ``partial`` (with ``overlapping``): each part ⊆ total, and nothing more is known."""

    total_key: str
    part_keys: tuple[str, ...]
    overlapping: bool = False
    partial: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "part_keys", tuple(self.part_keys))
        members = (self.total_key, *self.part_keys)
        if len(set(members)) != len(members):
            raise ValueError(f"relation on {self.total_key!r} names a cell twice")
        if self.partial and not self.overlapping:
            raise ValueError(f"relation on {self.total_key!r}: partial is for overlapping parts")

    @property
    def keys(self) -> tuple[str, ...]:
        return (self.total_key, *self.part_keys)


@dataclass(frozen=True, slots=True)
class Count:
    """Shown as a number; ``rounded_to`` says it was rounded to that step."""

    value: int
    rounded_to: int | None = None


@dataclass(frozen=True, slots=True)
class FewerThan:
    """Shown as "fewer than ``threshold``" (primary suppression)."""

    threshold: int


@dataclass(frozen=True, slots=True)
class Suppressed:
    """Hidden so that a hidden neighbour cannot be recomputed (secondary suppression)."""


@dataclass(frozen=True, slots=True)
class Unseen:
    """A cell no screen shows (``Cell.displayed`` False); it only links others."""


SUPPRESSED = Suppressed()
UNSEEN = Unseen()
FEWER_THAN = FewerThan
Shown = Count | FewerThan | Suppressed | Unseen


def rounded(value: int, threshold: int, step: int) -> int:
    """Nearest multiple of ``step`` (halves up), never below the threshold's multiple."""
    nearest = (value + step // 2) // step * step
    return max(nearest, -(-threshold // step) * step)


def primary(cell: Cell) -> Shown:
    """What the cell shows on its own (rules 1-3), before its relations are considered."""
    if not cell.displayed:
        return UNSEEN
    step = cell.round_to if cell.round_to and cell.round_to > 1 else None  # 1: exact
    if cell.value == 0:
        return Count(0, step)
    if cell.value < cell.threshold:
        return FewerThan(cell.threshold)
    if step:
        return Count(rounded(cell.value, cell.threshold, step), step)
    return Count(cell.value)


def first_pass(cells: Sequence[Cell], relations: Sequence[Relation]) -> dict[str, Shown]:
    """Rules 1-3: each cell on its own, then zeros under a hidden small total."""
    shown = {c.key: primary(c) for c in cells}
    by_key = {c.key: c for c in cells}
    changed = True
    while changed:  # a zero hidden so may be the total of more zeros (a place's places)
        changed = False
        for key in _under_small_totals(relations, shown):
            cell = by_key[key]
            if cell.value == 0 and cell.displayed and isinstance(shown[key], Count):
                shown[key] = FewerThan(cell.threshold)
                changed = True
    return shown


def _under_small_totals(relations: Sequence[Relation], shown: dict[str, Shown]) -> set[str]:
    """Parts of a total shown as "fewer than": a viewer cannot tell a 0 among them."""
    return {k for rel in relations if isinstance(shown[rel.total_key], FewerThan)
            and not rel.partial for k in rel.part_keys}


def bounds(cell: Cell, shown: Shown, may_be_zero: bool = False) -> tuple[int, int | None]:
    """What a viewer who knows the rules can infer about the cell from its display alone.

    ``may_be_zero``: the cell is a part of a total shown as "fewer than" (rule 2).
    """
    if isinstance(shown, FewerThan):
        return (0 if may_be_zero else 1), shown.threshold - 1
    if isinstance(shown, Suppressed):
        return cell.threshold, None
    if isinstance(shown, Unseen):
        return 0, None
    if not shown.rounded_to or shown.value == 0:
        return shown.value, shown.value
    step, r, t = shown.rounded_to, shown.value, cell.threshold
    low = r - step // 2
    smallest = -(-t // step) * step  # values from t up to it were raised to it (rule 3)
    return (t if r == smallest else max(t, low)), low + step - 1


def _check(cells: Sequence[Cell], relations: Sequence[Relation]) -> dict[str, int]:
    """Index the cells, refusing unknown keys and relations the values break."""
    index = {c.key: i for i, c in enumerate(cells)}
    if len(index) != len(cells):
        raise ValueError("two cells share a key")
    for rel in relations:
        missing = [k for k in rel.keys if k not in index]
        if missing:
            raise ValueError(f"relation names unknown cells: {missing}")
        total = cells[index[rel.total_key]].value
        parts = [cells[index[k]].value for k in rel.part_keys]
        if rel.partial:
            ok = max(parts, default=0) <= total
        elif rel.overlapping:
            ok = max(parts, default=0) <= total <= sum(parts)
        else:
            ok = total == sum(parts)
        if not ok:
            raise ValueError(f"the values break the relation on {rel.total_key!r}")
    return index


def _system(cells: Sequence[Cell], relations: Sequence[Relation], index: dict[str, int],
            shown: dict[str, Shown]) -> System:
    """The viewer's knowledge as bounds and linear constraints."""
    cap = 2 * sum(c.value for c in cells) + 2 * max((c.threshold for c in cells), default=1) + 10
    lo, hi = [], []
    zero_ok = _under_small_totals(relations, shown)
    for cell in cells:
        low, high = bounds(cell, shown[cell.key], cell.key in zero_ok)
        lo.append(low)
        hi.append(cap if high is None else high)
    cons: list[Constraint] = []
    for rel in relations:
        t = index[rel.total_key]
        parts = tuple((index[k], 1) for k in rel.part_keys)
        if rel.overlapping:
            if not rel.partial:
                cons.append(Constraint((*parts, (t, -1)), 0))
            cons.extend(Constraint(((t, 1), (p, -1)), 0) for p, _ in parts)
        else:
            cons.extend(equal((*parts, (t, -1)), 0))
    return System(tuple(lo), tuple(hi), tuple(cons))


def _guarded(cell: Cell, shown: Shown) -> bool:
    """Cells whose exact value must stay unknown: hidden or rounded, and not empty.

    A zero hidden by rule 2 may be recomputed (say, from a column whose total is 0):
    that it is 0 says nothing about anyone, and the solver still counts it when it
    asks whether the others can be recomputed. A cell no screen shows is guarded only
    while small: recomputing a count it could have shown discloses nothing.
    """
    if not cell.displayed:
        return 0 < cell.value < cell.threshold
    return cell.value > 0 and (not isinstance(shown, Count) or bool(shown.rounded_to))


def disclosed(cells: Sequence[Cell], relations: Sequence[Relation],
              shown: dict[str, Shown]) -> tuple[str, ...]:
    """Keys of non-zero hidden (or rounded) cells whose value follows from the screen."""
    index = _check(cells, relations)
    parts = Partition(tightened(_system(cells, relations, index, shown)))
    truth = [c.value for c in cells]
    return tuple(c.key for i, c in enumerate(cells)
                 if _guarded(c, shown[c.key]) and parts.pinned(i, truth))


def is_recoverable(cells: Sequence[Cell], relations: Sequence[Relation],
                   shown: dict[str, Shown]) -> bool:
    """True if any hidden (or rounded) cell's exact value can be recomputed from the screen."""
    return bool(disclosed(cells, relations, shown))


def _shown_nonzero(keys: Iterable[str], cells: Sequence[Cell], index: dict[str, int],
                   shown: dict[str, Shown]) -> list[int]:
    """Indexes of cells among ``keys`` shown as a non-zero number, smallest first."""
    found = {index[k] for k in keys
             if isinstance(shown[k], Count) and cells[index[k]].value > 0}
    return sorted(found, key=lambda i: (cells[i].value, i))


def _member_of(relations: Sequence[Relation]) -> dict[str, list[Relation]]:
    """The relations each cell is in (a tree of places has thousands of relations)."""
    member: dict[str, list[Relation]] = {}
    for rel in relations:
        for key in rel.keys:
            member.setdefault(key, []).append(rel)
    return member


def _knock_on(key: str, current: Relation | None, member: dict[str, list[Relation]],
              shown: dict[str, Shown]) -> int:
    """Relations hiding ``key`` would leave with one hidden cell, minus those it would fix."""
    cost = 0
    for rel in member.get(key, ()):
        if rel is current or rel.overlapping:
            continue
        hidden = sum(isinstance(shown[k], FewerThan | Suppressed) for k in rel.keys)
        cost += 1 if hidden == 0 else -1 if hidden == 1 else 0
    return cost


def _secondary(cells: Sequence[Cell], relations: Sequence[Relation], index: dict[str, int],
               shown: dict[str, Shown]) -> None:
    """Rule 4: no exact relation may be left with a single hidden cell (to a fixpoint)."""
    member = _member_of(relations)
    changed = True
    while changed:
        changed = False
        for rel in relations:
            if rel.overlapping:
                continue
            # A cell on no screen does not count as hidden: a viewer knows only that it
            # is at least 0, and it is 0 more often than not (few inputs are filed at
            # a region itself), which protects nothing.
            hidden = [k for k in rel.keys if isinstance(shown[k], FewerThan | Suppressed)]
            if len(hidden) != 1 or not _guarded(cells[index[hidden[0]]], shown[hidden[0]]):
                continue
            pick = _shown_nonzero(rel.keys, cells, index, shown)
            if pick:
                total = index[rel.total_key]
                pick.sort(key=lambda i: (_knock_on(cells[i].key, rel, member, shown),
                                         i == total))  # stable: then the smallest
                shown[cells[pick[0]].key] = SUPPRESSED
                changed = True


def _neighbours(key: str, member: dict[str, list[Relation]], wide: bool) -> list[str]:
    """Cells sharing a relation with ``key`` (``wide``: its whole connected group)."""
    seen, todo = {key}, [key]
    while todo:
        k = todo.pop()
        for rel in member.get(k, ()):
            for other in rel.keys:
                if other not in seen:
                    seen.add(other)
                    if wide:
                        todo.append(other)
    seen.discard(key)
    return sorted(seen)


def _audit(cells: Sequence[Cell], relations: Sequence[Relation], index: dict[str, int],
           shown: dict[str, Shown]) -> None:
    """Rule 5: hide more until no guarded cell can be recomputed exactly."""
    truth = [c.value for c in cells]
    member = _member_of(relations)
    cleared: set[int] = set()  # hiding more only widens what is possible: cleared stays cleared
    while True:
        parts = Partition(tightened(_system(cells, relations, index, shown)))
        target = None
        for i, cell in enumerate(cells):
            if i in cleared or not _guarded(cell, shown[cell.key]):
                continue
            if parts.pinned(i, truth):
                target = i
                break
            cleared.add(i)
        if target is None:
            return
        key = cells[target].key
        candidates = _shown_nonzero(_neighbours(key, member, False), cells, index, shown)
        candidates.sort(key=lambda i: _knock_on(cells[i].key, None, member, shown))  # stable
        if not candidates:
            candidates = _shown_nonzero(_neighbours(key, member, True), cells, index, shown)
        if not candidates and isinstance(shown[key], Count):
            candidates = [target]  # a rounded cell pinned by hidden neighbours: hide it too
        if not candidates:
            raise SuppressionError(f"{key!r} is disclosed by the screen's structure itself")
        choice = candidates[0]
        for i in candidates:
            trial = dict(shown) | {cells[i].key: SUPPRESSED}
            if not pinned(tightened(_system(cells, relations, index, trial)), target, truth):
                choice = i
                break
        shown[cells[choice].key] = SUPPRESSED


def suppress(cells: Sequence[Cell], relations: Sequence[Relation] = ()) -> dict[str, Shown]:
    """What each cell of one screen may show, in the cells' order (rules in the module doc)."""
    index = _check(cells, relations)
    shown = first_pass(cells, relations)
    _secondary(cells, relations, index, shown)
    _audit(cells, relations, index, shown)
    return {c.key: shown[c.key] for c in cells}
