"""Protected sources: contacts only encrypted, read by few, erased on time, never in clear."""

import json
import logging
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, inspect, text
from sqlmodel import Session, select

from tests.utils.factories import T0, World, build_world
from tracker.cli import cli
from tracker.codes import Role
from tracker.contacts import has_contact, new_key, purge_contacts, read_contact
from tracker.errors import PermissionDenied, ValidationError
from tracker.models import Input, SourceContact
from tracker.services import create_user, record_input, update_user

KEY = new_key()
CONTACTS = ["Mama Furaha Bahati, +243 812 345 678", "Jean-Pierre Kasongo, 0998 765 432",
            "Chef Mwami Lubala, tel 0811223344", "Aisha Nyirabahire, +250 788 111 222"]
# What would expose each person: the name, and the number as written.
PIECES = [piece for c in CONTACTS for piece in (c, *c.split(", "))]


@pytest.fixture
def world(session: Session) -> World:
    return build_world(session)


def _record(session: Session, world: World, contact: str, hours: float = 0, **kw: object) -> int:
    data = {"received_at": T0 + timedelta(hours=hours), "channel_code": "alert_network",
            "locality_id": world.village.id, "type_code": "alert", "urgency": "high",
            "theme_codes": ["security"], "language": "fr", "source_code": f"AN-{hours:04.0f}",
            "original_text": "Mouvements armés signalés près du marché."} | kw
    return record_input(session=session, actor=world.officer, data=data, contact=contact,
                        contact_key=KEY).id  # type: ignore[return-value]


def test_without_a_key_nothing_is_stored(session: Session, world: World) -> None:
    before = session.exec(select(Input)).all()
    with pytest.raises(ValidationError, match="no encryption key") as caught:
        record_input(session=session, actor=world.officer, data={
            "received_at": T0, "channel_code": "alert_network", "locality_id": world.village.id,
            "type_code": "alert", "theme_codes": ["security"], "language": "fr",
            "original_text": "x"}, contact="+243 812 345 678", contact_key=None)
    assert caught.value.errors.keys() == {"contact"}
    assert session.exec(select(Input)).all() == before  # the input was not half-saved


def test_contact_is_encrypted_and_read_only_by_admin_or_recorder(session: Session,
                                                                 world: World) -> None:
    item = _record(session, world, CONTACTS[0])
    stored = session.exec(select(SourceContact.ciphertext)).one()
    assert "812" not in stored and "Furaha" not in stored
    assert read_contact(session, actor=world.officer, input_id=item, key=KEY) == CONTACTS[0]
    assert read_contact(session, actor=world.admin, input_id=item, key=KEY) == CONTACTS[0]
    for other in (world.other_officer, world.leader, world.viewer):
        with pytest.raises(PermissionDenied):
            read_contact(session, actor=other, input_id=item, key=KEY)
    with pytest.raises(Exception, match="another key"):
        read_contact(session, actor=world.admin, input_id=item, key=new_key())


def test_a_recorder_who_may_not_read_the_input_does_not_read_its_contact(
        session: Session, world: World) -> None:
    """A section head who recorded a restricted input reads neither its words nor its
    source's contact; an officer moved to a reading role no longer reads the contacts
    they kept ("only admins and the officer who recorded the input", docs/access.md)."""
    head = create_user(session=session, actor=world.admin, data={
        "username": "head", "role": Role.SECTION_HEAD, "section_code": "civil_affairs"})
    restricted = record_input(session=session, actor=head, contact=CONTACTS[1], contact_key=KEY,
                              data={"received_at": T0, "channel_code": "alert_network",
                                    "locality_id": world.village.id, "type_code": "complaint",
                                    "theme_codes": ["conduct"], "language": "fr",
                                    "original_text": "Plainte contre un casque bleu."}).id
    with pytest.raises(PermissionDenied):
        read_contact(session, actor=head, input_id=restricted, key=KEY)
    kept = _record(session, world, CONTACTS[0])
    assert read_contact(session, actor=world.officer, input_id=kept, key=KEY) == CONTACTS[0]
    update_user(session=session, actor=world.admin, username=world.officer.username,
                role=Role.VIEWER.value)
    session.refresh(world.officer)
    with pytest.raises(PermissionDenied):
        read_contact(session, actor=world.officer, input_id=kept, key=KEY)
    assert read_contact(session, actor=world.admin, input_id=restricted, key=KEY) == CONTACTS[1]


def _dump(engine: Engine) -> bytes:
    """Everything the database holds: the SQLite files' bytes, or every PostgreSQL row as text."""
    if engine.dialect.name == "sqlite":
        path = Path(engine.url.database or "")
        return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    chunks = []
    with engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                chunks.append(repr(tuple(row)))
    return "\n".join(chunks).encode("utf-8")


def test_no_contact_in_clear_in_the_database_or_the_logs(engine: Engine, session: Session,
                                                         world: World,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)  # statements and parameters
    try:
        ids = [_record(session, world, c, hours=i) for i, c in enumerate(CONTACTS)]
        for i in ids:
            read_contact(session, actor=world.admin, input_id=i, key=KEY)
    finally:
        logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
    session.close()
    dump = _dump(engine)
    logs = caplog.text
    assert "AN-0001" in logs or engine.dialect.name == "sqlite"  # the log did capture statements
    for piece in PIECES:
        assert piece.encode("utf-8") not in dump, piece
        assert piece not in logs, piece


def test_purge_erases_old_contacts_and_leaves_every_figure_unchanged(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'p.db'}"
    runner = CliRunner()
    assert runner.invoke(cli, ["--db", db, "demo", "--inputs", "300", "--seed", "3"],
                         obj={}).exit_code == 0
    from tracker.db import make_engine

    engine = make_engine(db)
    with Session(engine, expire_on_commit=False) as s:
        world = build_world(s)
        old = _record(s, world, CONTACTS[0], hours=0)
        new = _record(s, world, CONTACTS[1], hours=1)
        stored = s.get(SourceContact, 1)
        assert stored is not None
        s.execute(text("UPDATE source_contact SET recorded_at = :t WHERE input_id = :i"),
                  {"t": (T0 - timedelta(days=400)).replace(tzinfo=None), "i": old})
        s.commit()
    metrics = ["--db", db, "metrics", "--json"]
    before = json.loads(runner.invoke(cli, metrics, obj={}).output)
    purged = runner.invoke(cli, ["--db", db, "purge", "--contacts-older-than", "365"], obj={})
    assert purged.exit_code == 0 and "of 1 inputs" in purged.output
    assert json.loads(runner.invoke(cli, metrics, obj={}).output) == before
    with Session(engine) as s:
        assert not has_contact(s, old) and has_contact(s, new)
        assert s.get(Input, old) is not None  # the input itself stays
        with pytest.raises(PermissionDenied):
            purge_contacts(s, actor=world.officer, older_than_days=1)
    assert runner.invoke(cli, ["--db", db, "audit", "verify"], obj={}).exit_code == 0


def test_contact_key_command_makes_a_usable_key() -> None:
    out = CliRunner().invoke(cli, ["contacts", "new-key"], obj={}).output.strip()
    from tracker.contacts import _cipher

    assert _cipher(out).decrypt(_cipher(out).encrypt(b"x")) == b"x"
