"""An exact, dependency-free search over the integer solutions of a small linear system.

The public screen's suppression must prove that a viewer cannot pin down a hidden
count from what is shown. What a viewer knows is a box of integer bounds (one per
cell) and linear constraints ``Σ aᵢ·xᵢ ≥ b`` (a total equals, or is covered by, its
parts). A cell's value is *disclosed* when every solution gives it the same value.

``feasible`` decides whether any integer point satisfies the system by bounds
propagation plus branching (a tiny constraint solver: complete, and exact on the few
dozen cells a screen holds). Its work is capped; when the cap is hit it answers
``None`` ("could not decide"), and every caller treats that as "disclosed", so a
budget never lets a value through.
"""

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

Terms = tuple[tuple[int, int], ...]  # (variable index, coefficient)


@dataclass(frozen=True, slots=True)
class Constraint:
    """``Σ coefficient · x[index] ≥ bound`` (an equality is two of these)."""

    terms: Terms
    bound: int


@dataclass(frozen=True, slots=True)
class System:
    """Variables 0..n-1 with inclusive bounds, and the constraints between them."""

    lo: tuple[int, ...]
    hi: tuple[int, ...]
    constraints: tuple[Constraint, ...]

    def watchers(self) -> list[list[int]]:
        """For each variable, the constraints it appears in (to re-propagate on change)."""
        watch: list[list[int]] = [[] for _ in self.lo]
        for c, con in enumerate(self.constraints):
            for i, _ in con.terms:
                watch[i].append(c)
        return watch


def equal(terms: Terms, bound: int) -> tuple[Constraint, Constraint]:
    """``Σ a·x = bound`` as two inequalities."""
    return Constraint(terms, bound), Constraint(tuple((i, -a) for i, a in terms), -bound)


def _propagate(lo: list[int], hi: list[int], cons: Sequence[Constraint],
               watch: list[list[int]], limit: int, start: Sequence[int] | None = None,
               changed: set[int] | None = None) -> bool:
    """Tighten bounds to a fixpoint (or until ``limit`` revisions); False if infeasible.

    ``start``: the only constraints that can have become tighter (those watching the
    variable just branched on); the rest were at their fixpoint already. ``changed``
    collects the variables whose bounds moved.
    """
    queue = deque(range(len(cons)) if start is None else start)
    queued = set(queue)
    steps = 0
    while queue:
        steps += 1
        if steps > limit:
            return True  # stopping early is sound: the search below still checks every leaf
        c = queue.popleft()
        queued.discard(c)
        con = cons[c]
        top = sum(a * (hi[i] if a > 0 else lo[i]) for i, a in con.terms)
        if top < con.bound:
            return False
        for i, a in con.terms:
            rest = top - (a * hi[i] if a > 0 else a * lo[i])
            need = con.bound - rest  # a * x[i] >= need
            if a > 0:
                new = -((-need) // a)
                if new <= lo[i]:
                    continue
                if new > hi[i]:
                    return False
                lo[i] = new
            else:
                new = need // a
                if new >= hi[i]:
                    continue
                if new < lo[i]:
                    return False
                hi[i] = new
            if changed is not None:
                changed.add(i)
            for other in watch[i]:
                if other != c and other not in queued:
                    queued.add(other)
                    queue.append(other)
    return True


def _holds(con: Constraint, point: Sequence[int]) -> bool:
    return sum(a * point[i] for i, a in con.terms) >= con.bound


def feasible(system: System, guide: Sequence[int], budget: int = 20_000,
             watch: list[list[int]] | None = None, moved: Sequence[int] | None = None,
             ) -> bool | None:
    """Is there an integer point in ``system``? None when ``budget`` nodes did not decide.

    ``guide`` (a known nearby solution) leads the search: each node first tries the
    guide's point kept within its bounds, and splits only a variable of the first
    constraint that point breaks (the one of narrowest range), trying its guide value
    first. So the search stays on the few cells an alternative has to move, not on
    every open cell of a large screen; the point and the broken constraints are kept
    up to date from the variables whose bounds moved, not recomputed.

    ``moved``: the guide solves the system but for these variables' bounds, which are
    all that changed since the bounds were last propagated (what ``Partition`` asks).
    """
    cons = system.constraints
    watch = watch or system.watchers()
    limit = 50 * len(cons) + 1_000
    lo, hi = list(system.lo), list(system.hi)
    changed = set(moved or ())
    start = None if moved is None else sorted({c for i in moved for c in watch[i]})
    if not _propagate(lo, hi, cons, watch, limit, start, changed):
        return False
    point = [min(max(g, lo[i]), hi[i]) for i, g in enumerate(guide)]
    suspects = range(len(cons)) if moved is None else {c for i in changed for c in watch[i]}
    broken = {c for c in suspects if not _holds(cons[c], point)}
    stack: list[tuple[list[int], list[int], int | None, list[int], set[int]]] = [
        (lo, hi, None, point, broken)]
    while stack:
        budget -= 1
        if budget < 0:
            return None
        lo, hi, branched, point, broken = stack.pop()
        if branched is not None:
            moved = {branched}
            if not _propagate(lo, hi, cons, watch, limit, watch[branched], moved):
                continue
            recheck: set[int] = set()
            for i in moved:
                near = min(max(guide[i], lo[i]), hi[i])
                if near != point[i]:
                    point[i] = near
                    recheck.update(watch[i])
            for c in recheck:
                if _holds(cons[c], point):
                    broken.discard(c)
                else:
                    broken.add(c)
        if not broken:
            return True
        free = [i for i, _ in cons[min(broken)].terms if lo[i] < hi[i]]
        if not free:
            continue  # broken with every variable fixed: no solution here
        var = min(free, key=lambda i: (hi[i] - lo[i], i))
        g = guide[var]
        if lo[var] <= g <= hi[var]:
            pieces = [(g, g), (lo[var], g - 1), (g + 1, hi[var])]
        else:
            mid = (lo[var] + hi[var]) // 2
            near_low = abs(g - lo[var]) <= abs(g - hi[var])
            pieces = [(lo[var], mid), (mid + 1, hi[var])]
            if not near_low:
                pieces.reverse()
        for low, high in reversed(pieces):  # the stack pops the preferred piece first
            if low <= high:
                child_lo, child_hi = lo.copy(), hi.copy()
                child_lo[var], child_hi[var] = low, high
                stack.append((child_lo, child_hi, var, point.copy(), set(broken)))
    return False


def tightened(system: System) -> System:
    """The same solutions, with every bound propagation can prove tightened.

    Done once per screen state, it turns the cells a viewer can work out (an unshown
    remainder between shown totals, say) into constants, so that ``component`` keeps
    only what can really move.
    """
    lo, hi = list(system.lo), list(system.hi)
    cons = system.constraints
    if not _propagate(lo, hi, cons, system.watchers(), 200 * len(cons) + 10_000):
        return system  # no solution at all: leave it for ``feasible`` to say so
    return System(tuple(lo), tuple(hi), cons)


def component(system: System, var: int,
              watch: list[list[int]] | None = None) -> tuple[System, list[int]]:
    """The part of ``system`` that can move ``var``, and which variables it keeps.

    A variable whose bounds meet is a constant: it links nothing. The constraints
    outside ``var``'s component are satisfied by the true values whatever ``var`` takes,
    so what ``var`` can take is decided by its component alone — on a screen with
    hundreds of cells, mostly shown exactly, that is a few dozen variables.
    """
    watch = watch or system.watchers()
    lo, hi = system.lo, system.hi
    keep, seen_cons, todo = {var: 0}, set(), [var]
    while todo:
        i = todo.pop()
        for c in watch[i]:
            if c in seen_cons:
                continue
            seen_cons.add(c)
            for j, _ in system.constraints[c].terms:
                if j not in keep and lo[j] < hi[j]:
                    keep[j] = len(keep)
                    todo.append(j)
    cons = []
    for c in sorted(seen_cons):
        con = system.constraints[c]
        fixed = sum(a * lo[j] for j, a in con.terms if j not in keep)
        cons.append(Constraint(tuple((keep[j], a) for j, a in con.terms if j in keep),
                               con.bound - fixed))
    order = sorted(keep, key=keep.__getitem__)
    return System(tuple(lo[j] for j in order), tuple(hi[j] for j in order), tuple(cons)), order


class Partition:
    """One system's components, each built once however many cells are asked about."""

    def __init__(self, system: System) -> None:
        self.system = system
        self.watch = system.watchers()
        self._part: dict[int, tuple[System, dict[int, int], list[list[int]]]] = {}

    def part(self, var: int) -> tuple[System, dict[int, int], list[list[int]]]:
        """``var``'s component, where each of its variables sits in it, and its watchers."""
        if var not in self._part:
            part, order = component(self.system, var, self.watch)
            found = (part, {j: k for k, j in enumerate(order)}, part.watchers())
            lo, hi = self.system.lo, self.system.hi
            for j in order:
                if lo[j] < hi[j] or j == var:  # a constant's own component is just itself
                    self._part[j] = found
        return self._part[var]

    def pinned(self, var: int, truth: Sequence[int], budget: int = 20_000) -> bool:
        """True if ``var`` takes the value ``truth[var]`` in every solution (or we cannot tell)."""
        part, where, watch = self.part(var)
        at, value = where[var], truth[var]
        guide = [0] * len(where)
        for j, k in where.items():
            guide[k] = truth[j]
        for low, high in ((part.lo[at], value - 1), (value + 1, part.hi[at])):
            if low > high:
                continue
            lo, hi = list(part.lo), list(part.hi)
            lo[at], hi[at] = low, high
            found = feasible(System(tuple(lo), tuple(hi), part.constraints), guide, budget,
                             watch, moved=[at])
            if found is None:
                return True
            if found:
                return False
        return True


def pinned(system: System, var: int, truth: Sequence[int], budget: int = 20_000) -> bool:
    """True if ``var`` takes the value ``truth[var]`` in every solution (or we cannot tell)."""
    return Partition(system).pinned(var, truth, budget)
