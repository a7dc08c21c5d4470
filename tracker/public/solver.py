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
               watch: list[list[int]], limit: int, start: Sequence[int] | None = None) -> bool:
    """Tighten bounds to a fixpoint (or until ``limit`` revisions); False if infeasible.

    ``start``: the only constraints that can have become tighter (those watching the
    variable just branched on); the rest were at their fixpoint already.
    """
    queue = deque(range(len(cons)) if start is None else start)
    queued = [False] * len(cons)
    for c in queue:
        queued[c] = True
    steps = 0
    while queue:
        steps += 1
        if steps > limit:
            return True  # stopping early is sound: the search below still checks every leaf
        c = queue.popleft()
        queued[c] = False
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
            for other in watch[i]:
                if other != c and not queued[other]:
                    queued[other] = True
                    queue.append(other)
    return True


def _satisfied(values: Sequence[int], cons: Sequence[Constraint]) -> bool:
    return all(sum(a * values[i] for i, a in con.terms) >= con.bound for con in cons)


def _to_branch(lo: list[int], hi: list[int], cons: Sequence[Constraint],
               guide: Sequence[int]) -> int | None:
    """The variable to split next; None when the guide, kept within bounds, solves it all.

    Trying the guide's point first and branching only inside a constraint it breaks
    keeps the search on the few cells an alternative has to move, not on every open
    cell of a large screen. -1: a broken constraint whose cells are all fixed.
    """
    point = [min(max(g, lo[i]), hi[i]) for i, g in enumerate(guide)]
    for con in cons:
        if sum(a * point[i] for i, a in con.terms) >= con.bound:
            continue
        free = [i for i, _ in con.terms if lo[i] < hi[i]]
        return min(free, key=lambda i: (hi[i] - lo[i], i)) if free else -1
    return None


def feasible(system: System, guide: Sequence[int], budget: int = 20_000) -> bool | None:
    """Is there an integer point in ``system``? None when ``budget`` nodes did not decide.

    ``guide`` (a known nearby solution) orders the branches: the search tries each
    variable's guide value first, so alternatives close to the truth are found fast.
    """
    cons = system.constraints
    watch = system.watchers()
    limit = 50 * len(cons) + 1_000
    stack: list[tuple[list[int], list[int], int | None]] = [
        (list(system.lo), list(system.hi), None)]
    while stack:
        budget -= 1
        if budget < 0:
            return None
        lo, hi, branched = stack.pop()
        if not _propagate(lo, hi, cons, watch, limit,
                          None if branched is None else watch[branched]):
            continue
        var = _to_branch(lo, hi, cons, guide)
        if var is None:
            return True
        if var < 0:
            continue
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
                stack.append((child_lo, child_hi, var))
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
        self._part: dict[int, tuple[System, dict[int, int]]] = {}

    def part(self, var: int) -> tuple[System, dict[int, int]]:
        """``var``'s component, and where each of its variables sits in it."""
        if var not in self._part:
            part, order = component(self.system, var, self.watch)
            where = {j: k for k, j in enumerate(order)}
            lo, hi = self.system.lo, self.system.hi
            for j in order:
                if lo[j] < hi[j] or j == var:  # a constant's own component is just itself
                    self._part[j] = (part, where)
        return self._part[var]

    def pinned(self, var: int, truth: Sequence[int], budget: int = 20_000) -> bool:
        """True if ``var`` takes the value ``truth[var]`` in every solution (or we cannot tell)."""
        part, where = self.part(var)
        at, value = where[var], truth[var]
        guide = [0] * len(where)
        for j, k in where.items():
            guide[k] = truth[j]
        for low, high in ((part.lo[at], value - 1), (value + 1, part.hi[at])):
            if low > high:
                continue
            lo, hi = list(part.lo), list(part.hi)
            lo[at], hi[at] = low, high
            found = feasible(System(tuple(lo), tuple(hi), part.constraints), guide, budget)
            if found is None:
                return True
            if found:
                return False
        return True


def pinned(system: System, var: int, truth: Sequence[int], budget: int = 20_000) -> bool:
    """True if ``var`` takes the value ``truth[var]`` in every solution (or we cannot tell)."""
    return Partition(system).pinned(var, truth, budget)
