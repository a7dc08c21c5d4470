"""Small builders for test records, going through the services like the app does."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session

from tracker.codes import Role
from tracker.models import Locality, User
from tracker.services import create_locality, create_user, ensure_system_user, record_input
from tracker.shapes import InputPublic

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@dataclass
class World:
    """A tiny mission: two regions, three localities, an officer and a viewer."""

    admin: User
    officer: User
    other_officer: User
    viewer: User
    leader: User
    mission: Locality
    north: Locality
    south: Locality
    town: Locality  # north, urban
    village: Locality  # north, rural
    camp: Locality  # south, remote


def build_world(session: Session) -> World:
    admin = ensure_system_user(session)

    def user(name: str, role: Role, section: str | None = "civil_affairs") -> User:
        return create_user(session=session, actor=admin, data={
            "username": name, "role": role, "component_code": "civilian", "section_code": section})

    def place(name: str, level: str, parent: Locality | None, **kw: Any) -> Locality:
        return create_locality(session=session, actor=admin, data={
            "name": name, "level": level, "parent_id": parent.id if parent else None, **kw})

    mission = place("Mission", "mission", None)
    north = place("North", "region", mission)
    south = place("South", "region", mission)
    n_terr = place("Kivale", "territory", north)
    s_terr = place("Doruma", "territory", south)
    return World(
        admin=admin,
        officer=user("officer.a", Role.OFFICER),
        other_officer=user("officer.b", Role.OFFICER, "human_rights"),
        viewer=user("viewer", Role.VIEWER),
        leader=user("leader", Role.LEADERSHIP),
        mission=mission,
        north=north,
        south=south,
        town=place("Mbeto", "locality", n_terr, setting="urban", latitude=1.0, longitude=2.0),
        village=place("Lisa", "locality", n_terr, setting="rural", latitude=1.1, longitude=2.1),
        camp=place("Site Nord", "locality", s_terr, setting="remote", latitude=0.5, longitude=2.5),
    )


def make_input(session: Session, actor: User, locality: Locality, *,
               received_at: datetime = T0, hours: float = 0, **overrides: Any) -> InputPublic:
    data: dict[str, Any] = {
        "received_at": received_at + timedelta(hours=hours),
        "channel_code": "town_hall",
        "locality_id": locality.id,
        "type_code": "request",
        "theme_codes": ["basic_services"],
        "language": "fr",
        "original_text": "Nous demandons un forage pour le quartier.",
    }
    data.update(overrides)
    return record_input(session=session, actor=actor, data=data)
