"""What the importer checks rows against, read once per run: codes, places, service levels.

Checking a code with one query per cell would cost more than the insert itself; these
tables are small, so they are held in memory for the run. Places a run is about to
create are held here too (as ``PendingPlace``), so that the next row naming the same
village finds it, and a dry run can say what would be created.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import select
from sqlmodel import Session

from tracker.codes import LEVEL_DEPTH, LocalityLevel, Role, TermKind
from tracker.models import Locality, ServiceLevel, Term, User
from tracker.services.inputs import DEFAULT_SERVICE_HOURS

PATH_SEPARATORS = re.compile(r"\s*[>›]\s*")
SHOWN_SEPARATOR = " > "


class PlaceError(ValueError):
    """A place cell that names no single place."""


@dataclass
class PendingPlace:
    """A place the run will create before the first row that needs it is written."""

    key: int  # negative: stands for the id until the place exists
    path: tuple[str, ...]
    level: str
    parent: int  # an id, or the key of another pending place
    setting: str | None = None
    place_type: str | None = None
    latitude: float | None = None
    longitude: float | None = None


# A file names the same few places row after row: both are pure, and remembered.
@lru_cache(maxsize=4096)
def split_path(text: str) -> tuple[str, ...]:
    return tuple(p for p in (part.strip() for part in PATH_SEPARATORS.split(text)) if p)


@lru_cache(maxsize=4096)
def _fold(path: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(" ".join(p.split()).casefold() for p in path)


@dataclass
class Reference:
    """Codes, places and service levels as the database holds them at the start of a run."""

    actor: User
    codes: dict[str, set[str]] = field(default_factory=dict)  # kind -> active codes
    restricted_themes: set[str] = field(default_factory=set)
    service_hours: dict[tuple[str, str], int] = field(default_factory=dict)
    levels: dict[int, str] = field(default_factory=dict)
    paths: dict[int, tuple[str, ...]] = field(default_factory=dict)
    _by_path: dict[tuple[str, ...], int] = field(default_factory=dict)
    _by_suffix: dict[tuple[str, ...], set[int]] = field(default_factory=dict)
    pending: dict[int, PendingPlace] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)  # active account name -> id

    @classmethod
    def load(cls, session: Session, actor: User) -> "Reference":
        ref = cls(actor=actor)
        ref.users = dict(session.execute(select(User.username, User.id).where(
            User.active.is_(True))).all())  # type: ignore[attr-defined]
        for kind, code, active, restricted in session.execute(
            select(Term.kind, Term.code, Term.active, Term.restricted)
        ):
            if active:
                ref.codes.setdefault(kind, set()).add(code)
            if kind == TermKind.THEME and restricted:
                ref.restricted_themes.add(code)
        ref.service_hours = {(t, u): h for t, u, h in session.execute(
            select(ServiceLevel.type_code, ServiceLevel.urgency, ServiceLevel.hours))}
        rows = session.execute(select(Locality.id, Locality.name, Locality.level,
                                      Locality.parent_id)).all()
        parents = {r.id: r.parent_id for r in rows}
        names = {r.id: r.name for r in rows}
        for r in rows:
            path: list[str] = []
            node: int | None = r.id
            guard = 0
            while node is not None and guard < 20:
                path.append(names[node])
                node = parents.get(node)
                guard += 1
            ref.add_place(r.id, tuple(reversed(path)), r.level)
        return ref

    # --- codes -----------------------------------------------------------------------------

    def has_code(self, kind: TermKind | str, code: str) -> bool:
        return code in self.codes.get(str(kind), set())

    def respond_by(self, type_code: str, urgency: str, received_at: datetime) -> datetime:
        """The same deadline ``tracker.services.inputs.respond_by`` gives."""
        hours = self.service_hours.get((type_code, urgency)) or DEFAULT_SERVICE_HOURS
        return received_at + timedelta(hours=hours)

    @property
    def is_admin(self) -> bool:
        return self.actor.role == Role.ADMIN

    # --- places ----------------------------------------------------------------------------

    def add_place(self, place_id: int, path: tuple[str, ...], level: str) -> None:
        folded = _fold(path)
        self.paths[place_id] = path
        self.levels[place_id] = level
        self._by_path[folded] = place_id
        for start in range(len(folded)):
            self._by_suffix.setdefault(folded[start:], set()).add(place_id)

    def find_place(self, text: str) -> int | None:
        """The id (or pending key) of the place ``text`` names: a name, a path from the
        top, or its last parts ('Kivale > Mbeto'); None if unknown; PlaceError if several
        places match (unless one of them is deeper than all others: the town of Sakaré,
        not the territory of Sakaré)."""
        path = split_path(text)
        if not path:
            return None
        folded = _fold(path)
        if folded in self._by_path:
            return self._by_path[folded]
        found = self._by_suffix.get(folded, set())
        if len(found) > 1:  # a town named like its territory: the deepest place is meant
            deepest = max(LEVEL_DEPTH[LocalityLevel(self.levels[i])] for i in found)
            at_depth = {i for i in found
                        if LEVEL_DEPTH[LocalityLevel(self.levels[i])] == deepest}
            found = at_depth if len(at_depth) == 1 else found
        if len(found) > 1:
            shown = "; ".join(sorted(SHOWN_SEPARATOR.join(self.paths[i]) for i in found)[:4])
            raise PlaceError(f"{len(found)} places are called {text.strip()!r} ({shown}): "
                             "give the path, e.g. 'Territory > Place'")
        return next(iter(found)) if found else None

    def exact_place(self, path: tuple[str, ...]) -> int | None:
        return self._by_path.get(_fold(path))

    def plan_place(self, path: tuple[str, ...], level: str, parent: int, **attrs: object) -> int:
        """Register a place to create (or find the one registered); return its pending key."""
        existing = self._by_path.get(_fold(path))
        if existing is not None:
            return existing
        key = -(len(self.pending) + 1)
        self.pending[key] = PendingPlace(key, path, level, parent, **attrs)  # type: ignore[arg-type]
        self.add_place(key, path, level)
        return key

    def forget_pending(self, key: int) -> None:
        """Drop a pending place that no written row needed after all (a dry run keeps it)."""
        place = self.pending.pop(key, None)
        if place is None:
            return
        folded = _fold(place.path)
        self._by_path.pop(folded, None)
        for start in range(len(folded)):
            ids = self._by_suffix.get(folded[start:], set())
            ids.discard(key)
        self.paths.pop(key, None)
        self.levels.pop(key, None)

    def created(self, key: int, place_id: int) -> None:
        """A pending place now exists: later rows use its id."""
        place = self.pending.pop(key)
        folded = _fold(place.path)
        self._by_path[folded] = place_id
        for start in range(len(folded)):
            ids = self._by_suffix.setdefault(folded[start:], set())
            ids.discard(key)
            ids.add(place_id)
        self.paths.pop(key, None)
        self.levels.pop(key, None)
        self.paths[place_id] = place.path
        self.levels[place_id] = place.level

    def can_hold(self, parent: int, level: str) -> bool:
        """Whether a place of ``level`` may sit under ``parent`` (a mission over a region...)."""
        parent_level = self.levels.get(parent)
        if parent_level is None:
            return False
        return LEVEL_DEPTH[LocalityLevel(parent_level)] < LEVEL_DEPTH[LocalityLevel(level)]
