"""Reference data for pickers and labels: taxonomy terms, places, people.

Small tables, read whole; the dashboard caches these results and clears the cache
when an admin edits them.
"""

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session

from tracker.codes import LocalityLevel, TermKind
from tracker.models import Locality, Term, User


@dataclass(frozen=True)
class TermItem:
    kind: str
    code: str
    label: str
    parent_code: str | None
    restricted: bool
    active: bool


@dataclass(frozen=True)
class Place:
    id: int
    name: str
    level: str
    parent_id: int | None
    region_id: int | None
    path: str  # "Region › Territory › Locality", for searchable pickers
    setting: str | None
    latitude: float | None
    longitude: float | None


@dataclass(frozen=True)
class Person:
    id: int
    username: str
    display_name: str
    role: str
    component_code: str | None
    section_code: str | None
    active: bool


def terms(session: Session, kind: TermKind | str | None = None, *,
          include_inactive: bool = False) -> list[TermItem]:
    stmt = select(Term).order_by(Term.kind, Term.sort_order, Term.label)
    if kind is not None:
        stmt = stmt.where(Term.kind == str(kind))
    if not include_inactive:
        stmt = stmt.where(Term.active.is_(True))  # type: ignore[attr-defined]
    return [
        TermItem(t.kind, t.code, t.label, t.parent_code, t.restricted, t.active)
        for t in session.execute(stmt).scalars()
    ]


def term_labels(session: Session) -> dict[tuple[str, str], str]:
    """(kind, code) → label, for every term including retired ones (history keeps them)."""
    return {(t.kind, t.code): t.label for t in terms(session, include_inactive=True)}


def places(session: Session, level: LocalityLevel | str | None = None) -> list[Place]:
    """Every place with its path from the region down, sorted by path."""
    rows = session.execute(select(Locality)).scalars().all()
    by_id = {r.id: r for r in rows}

    def path(node: Locality) -> str:
        parts: list[str] = []
        current: Locality | None = node
        while current is not None and current.level != LocalityLevel.MISSION:
            parts.append(current.name)
            current = by_id.get(current.parent_id) if current.parent_id else None
        return " › ".join(reversed(parts)) or node.name

    result = [
        Place(r.id, r.name, r.level, r.parent_id, r.region_id, path(r), r.setting,  # type: ignore[arg-type]
              r.latitude, r.longitude)
        for r in rows
        if level is None or r.level == str(level)
    ]
    return sorted(result, key=lambda p: p.path.lower())


def people(session: Session, *, include_inactive: bool = False) -> list[Person]:
    stmt = select(User).order_by(User.username)
    if not include_inactive:
        stmt = stmt.where(User.active.is_(True))  # type: ignore[attr-defined]
    return [
        Person(u.id, u.username, u.display_name, u.role, u.component_code,  # type: ignore[arg-type]
               u.section_code, u.active)
        for u in session.execute(stmt).scalars()
    ]


def user_by_id(session: Session, user_id: int) -> User | None:
    user = session.get(User, user_id)
    if user is not None:
        session.expunge(user)
    return user


def places_named(places: list[Place], wanted: str, level: LocalityLevel | str) -> list[Place]:
    """The places of ``level`` a link names: by number, by name, or by path (the picker's
    "Region › Territory › Locality"), ignoring case. A territory often bears the name of
    its main town, so the level decides which one a ``locality=`` link means; a list of
    more than one is a name shared by several places, which only a number or a path tells
    apart."""
    level = LocalityLevel(level).value
    text = wanted.strip()
    same_level = [p for p in places if p.level == level]
    if text.isascii() and text.isdecimal():  # "²" is a digit to isdigit(), not to int()
        return [p for p in same_level if p.id == int(text)]
    steps = _steps(text)
    by_path = [p for p in same_level if _steps(p.path) == steps]
    return by_path or [p for p in same_level if p.name.strip().casefold() == text.casefold()]


def _steps(path: str) -> list[str]:
    """A path's names, whichever separator a link typed (›, > or /)."""
    return [step.strip().casefold() for step in re.split(r"[›>/]", path)]
