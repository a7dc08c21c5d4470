"""Sign-in: argon2 hashes, lock-out, sessions that end on the server, the user CLI."""

from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine
from sqlmodel import Session, select

from tests.utils.factories import T0, World, build_world
from tracker.cli import cli
from tracker.errors import PermissionDenied, ValidationError
from tracker.models import AuditEvent, User, UserSession
from tracker.settings import Settings
from tracker.signin import (
    SignInFailed,
    resume,
    set_password,
    sign_in,
    sign_in_external,
    sign_out,
    token_hash,
)

PASSWORD = "a long pass phrase"
POLICY = Settings(max_failed_signins=3, lockout_minutes=15, session_idle_minutes=30,
                  session_max_hours=12)


@pytest.fixture
def world(session: Session) -> World:
    w = build_world(session)
    set_password(session, actor=None, user=w.officer, password=PASSWORD)
    return w


def test_password_is_stored_as_an_argon2_hash(session: Session, world: World) -> None:
    stored = session.get(User, world.officer.id)
    assert stored is not None and stored.password_hash is not None
    assert stored.password_hash.startswith("$argon2id$") and PASSWORD not in stored.password_hash
    session.rollback()


def test_short_passwords_and_the_system_account_are_refused(session: Session, world: World) -> None:
    with pytest.raises(ValidationError, match="at least 10"):
        set_password(session, actor=None, user=world.officer, password="short")
    with pytest.raises(ValidationError, match="system"):
        set_password(session, actor=None, user=world.admin, password=PASSWORD)
    with pytest.raises(PermissionDenied):
        set_password(session, actor=world.viewer, user=world.officer, password=PASSWORD)


def test_sign_in_opens_a_session_known_only_by_its_hash(engine: Engine, session: Session,
                                                        world: World) -> None:
    token = sign_in(engine, "officer.a", PASSWORD, now=T0)
    hashes = [r.token_hash for r in session.exec(select(UserSession)).all()]
    session.rollback()  # end the read: SQLite writers wait for it otherwise
    assert hashes == [token_hash(token)] and token not in hashes[0]
    user = resume(engine, token, now=T0 + timedelta(minutes=5), settings=POLICY)
    assert user is not None and user.id == world.officer.id
    verbs = session.exec(select(AuditEvent.verb).where(AuditEvent.entity_id == world.officer.id,
                                                       AuditEvent.entity == "user")).all()
    assert "sign_in" in verbs


@pytest.mark.parametrize("name, password", [("officer.a", "wrong password!"),
                                            ("nobody", PASSWORD), ("viewer", PASSWORD)])
def test_wrong_name_or_password_say_the_same(engine: Engine, world: World, name: str,
                                             password: str) -> None:
    with pytest.raises(SignInFailed, match=r"^the user name or the password is not right$"):
        sign_in(engine, name, password, now=T0)


def test_lock_out_after_repeated_failures_then_release(engine: Engine, world: World) -> None:
    for i in range(POLICY.max_failed_signins):
        with pytest.raises(SignInFailed, match="not right"):
            sign_in(engine, "officer.a", f"guess number {i}", now=T0, settings=POLICY)
    # Locked: even the right password is refused until the lock-out ends.
    with pytest.raises(SignInFailed, match="try again in 15 minutes"):
        sign_in(engine, "officer.a", PASSWORD, now=T0 + timedelta(seconds=1), settings=POLICY)
    token = sign_in(engine, "officer.a", PASSWORD, now=T0 + timedelta(minutes=16), settings=POLICY)
    assert resume(engine, token, now=T0 + timedelta(minutes=17), settings=POLICY) is not None


def test_failures_are_forgotten_after_a_success(engine: Engine, world: World) -> None:
    for _ in range(POLICY.max_failed_signins - 1):
        with pytest.raises(SignInFailed):
            sign_in(engine, "officer.a", "not it at all", now=T0, settings=POLICY)
    sign_in(engine, "officer.a", PASSWORD, now=T0, settings=POLICY)
    with pytest.raises(SignInFailed, match="not right"):
        sign_in(engine, "officer.a", "not it at all", now=T0, settings=POLICY)
    sign_in(engine, "officer.a", PASSWORD, now=T0, settings=POLICY)  # not locked


def test_sessions_end_when_idle_after_the_absolute_limit_and_on_sign_out(
        engine: Engine, session: Session, world: World) -> None:
    idle = sign_in(engine, "officer.a", PASSWORD, now=T0)
    assert resume(engine, idle, now=T0 + timedelta(minutes=29), settings=POLICY) is not None
    assert resume(engine, idle, now=T0 + timedelta(minutes=60), settings=POLICY) is None
    # Once ended, it stays ended even if the clock were to go back.
    assert resume(engine, idle, now=T0 + timedelta(minutes=30), settings=POLICY) is None

    busy = sign_in(engine, "officer.a", PASSWORD, now=T0)
    for minutes in range(20, 12 * 60, 20):  # used every 20 minutes all day
        assert resume(engine, busy, now=T0 + timedelta(minutes=minutes), settings=POLICY)
    assert resume(engine, busy, now=T0 + timedelta(hours=12, minutes=1), settings=POLICY) is None

    gone = sign_in(engine, "officer.a", PASSWORD, now=T0)
    sign_out(engine, gone, now=T0 + timedelta(minutes=1))
    assert resume(engine, gone, now=T0 + timedelta(minutes=2), settings=POLICY) is None
    reasons = sorted(r for r in session.exec(select(UserSession.end_reason)).all() if r)
    session.rollback()
    assert reasons == ["expired", "idle", "signed_out"]
    assert resume(engine, "made-up-token", settings=POLICY) is None
    assert resume(engine, None) is None


def test_disabling_an_account_ends_its_sessions(engine: Engine, session: Session, world: World) -> None:
    token = sign_in(engine, "officer.a", PASSWORD, now=T0)
    officer = session.get(User, world.officer.id)
    assert officer is not None
    officer.active = False
    session.add(officer)
    session.commit()
    assert resume(engine, token, now=T0 + timedelta(minutes=1), settings=POLICY) is None


def test_identity_provider_accounts_must_exist(engine: Engine, world: World) -> None:
    assert resume(engine, sign_in_external(engine, "viewer"), settings=POLICY) is not None
    with pytest.raises(SignInFailed, match="ask an admin"):
        sign_in_external(engine, "stranger@example.org")
    with pytest.raises(SignInFailed):
        sign_in_external(engine, "system")


def test_cli_user_add_reads_the_password_from_stdin_or_a_prompt(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'x.db'}"
    runner = CliRunner()
    added = runner.invoke(cli, ["--db", db, "user", "add", "chief", "--role", "admin",
                                "--password-stdin"], input=f"{PASSWORD}\n", obj={})
    assert added.exit_code == 0, added.output
    prompted = runner.invoke(cli, ["--db", db, "user", "add", "amina", "--role", "viewer"],
                             input="shortpw\nshortpw\n", obj={})
    assert prompted.exit_code == 1 and "at least 10 characters" in prompted.output
    from tracker.db import make_engine
    engine = make_engine(db)
    assert resume(engine, sign_in(engine, "chief", PASSWORD)) is not None
    with Session(engine) as s:  # the refused account was not created half-way
        assert s.exec(select(User).where(User.username == "amina")).first() is None
