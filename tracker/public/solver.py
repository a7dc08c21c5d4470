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
               watch: list[list[int]], limit: int) -> bool:
    """Tighten bounds to a fixpoint (or until ``limit`` revisions); False if infeasible."""
    queue = deque(range(len(cons)))
    queued = [True] * len(cons)
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


def feasible(system: System, guide: Sequence[int], budget: int = 20_000) -> bool | None:
    """Is there an integer point in ``system``? None when ``budget`` nodes did not decide.

    ``guide`` (a known nearby solution) orders the branches: the search tries each
    variable's guide value first, so alternatives close to the truth are found fast.
    """
    cons = system.constraints
    watch = system.watchers()
    limit = 50 * len(cons) + 1_000
    stack = [(list(system.lo), list(system.hi))]
    while stack:
        budget -= 1
        if budget < 0:
            return None
        lo, hi = stack.pop()
        if not _propagate(lo, hi, cons, watch, limit):
            continue
        open_vars = [i for i in range(len(lo)) if lo[i] < hi[i]]
        if not open_vars:
            if _satisfied(lo, cons):
                return True
            continue
        var = min(open_vars, key=lambda i: (hi[i] - lo[i], i))
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
                stack.append((child_lo, child_hi))
    return False


def pinned(system: System, var: int, truth: Sequence[int], budget: int = 20_000) -> bool:
    """True if ``var`` takes the value ``truth[var]`` in every solution (or we cannot tell)."""
    value = truth[var]
    for low, high in ((system.lo[var], value - 1), (value + 1, system.hi[var])):
        if low > high:
            continue
        lo, hi = list(system.lo), list(system.hi)
        lo[var], hi[var] = low, high
        found = feasible(System(tuple(lo), tuple(hi), system.constraints), truth, budget)
        if found is None:
            return True
        if found:
            return False
    return True
