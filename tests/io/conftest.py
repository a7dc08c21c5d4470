"""Fixtures for the import and export tests: the demo's places, a few users, helpers.

Tests marked ``slow`` here (bigger data, more examples) run only with HEARBACK_SLOW=1;
the same properties are checked at a smaller size on every run.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from tests.io.samples import MAPPINGS
from tracker.codes import Role
from tracker.io.importer import ImportResult, import_file
from tracker.io.mapping import Mapping, load_mapping
from tracker.models import Locality, User
from tracker.services import create_locality, create_user, ensure_system_user

MISSION = "UN Mission in Ruvesia (demo)"


@dataclass
class Places:
    """A corner of the demo mission: Kiravo region, Mbuvi and Sakaré territories."""

    admin: User
    officer: User
    viewer: User
    mission: Locality
    kiravo: Locality
    mbuvi: Locality
    kasolima: Locality
    centre: Locality
    idp: Locality
    sakare: Locality  # the town, in the territory of the same name


@pytest.fixture
def places(session: Session) -> Places:
    admin = ensure_system_user(session)

    def place(name: str, level: str, parent: Locality | None, **kw: Any) -> Locality:
        return create_locality(session=session, actor=admin, data={
            "name": name, "level": level, "parent_id": parent.id if parent else None, **kw})

    def user(name: str, role: Role) -> User:
        return create_user(session=session, actor=admin, data={
            "username": name, "role": role, "component_code": "civilian",
            "section_code": "civil_affairs"})

    mission = place(MISSION, "mission", None)
    kiravo = place("Kiravo", "region", mission)
    mbuvi = place("Mbuvi", "territory", kiravo)
    sakare_t = place("Sakaré", "territory", kiravo)
    return Places(
        admin=admin, officer=user("officer.k", Role.OFFICER), viewer=user("viewer.k", Role.VIEWER),
        mission=mission, kiravo=kiravo, mbuvi=mbuvi,
        kasolima=place("Kasolima", "locality", mbuvi, setting="rural"),
        centre=place("Mbuvi-Centre", "locality", mbuvi, setting="urban"),
        idp=place("Lwandisi IDP site", "locality", mbuvi, setting="rural"),
        sakare=place("Sakaré", "locality", sakare_t, setting="urban"),
    )


def mapping(name: str) -> Mapping:
    return load_mapping(MAPPINGS / f"{name}.toml")


def run(session: Session, actor: User, data: bytes | Path | str, mapping: Mapping,
        name: str | None = None, **kw: Any) -> ImportResult:
    if name is None and isinstance(data, bytes):
        name = "file.csv"
    return import_file(session, actor, data, mapping, name=name, **kw)


def count(session: Session, model: Any) -> int:
    return session.execute(select(func.count()).select_from(model)).scalar_one()
