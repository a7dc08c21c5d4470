"""Local accounts: argon2 password hashes, lock-out after failures, server-side sessions.

A session is a random token held by the browser session; the database keeps only its
SHA-256, with when it started and was last used, so sign-out, idle time and the
absolute limit end it on the server (a copied token stops working too). Sign-in
failures say the same thing whether the name or the password was wrong.
"""

import hashlib
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, select, update
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from tracker.audit import record_event
from tracker.db import read_session, write_session
from tracker.errors import HearbackError, PermissionDenied, ValidationError
from tracker.models import User, UserSession
from tracker.services._unit import unit_of_work
from tracker.services.directory import SYSTEM_USERNAME
from tracker.settings import Settings, get_settings
from tracker.sqltypes import utcnow

MIN_PASSWORD_LENGTH = 10
# Touching ``last_seen_at`` on every rerun would make every click a write.
TOUCH_EVERY = timedelta(minutes=1)
_hasher = PasswordHasher()  # argon2id with the library's recommended parameters
_DUMMY_HASH = _hasher.hash("hearback: no such account")


class SignInFailed(HearbackError):
    """Wrong name or password, an inactive account, or a locked one (``locked_minutes``)."""

    def __init__(self, message: str, *, locked_minutes: int | None = None,
                 unknown_account: bool = False) -> None:
        super().__init__(message)
        self.locked_minutes = locked_minutes
        self.unknown_account = unknown_account


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters",
                              field="password")
    return _hasher.hash(password)


def _matches(stored: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def set_password(session: Session, *, actor: User | None, user: User, password: str) -> None:
    """Give ``user`` a new password (an admin, the user themself, or the CLI with no actor)."""
    if actor is not None and actor.id != user.id and actor.role != "admin":
        raise PermissionDenied("only an admin can set another user's password")
    if user.username == SYSTEM_USERNAME:
        raise ValidationError("the system account cannot sign in", field="username")
    with unit_of_work(session):
        user.password_hash = hash_password(password)
        user.failed_signins, user.locked_until = 0, None
        session.add(user)
        record_event(session, actor=actor, verb="set_password", entity="user",
                     entity_id=user.id, entity_uid=user.uid)


def _find(session: Session, username: str) -> User | None:
    return session.execute(
        select(User).where(User.username == username.strip())  # type: ignore[arg-type]
    ).scalar_one_or_none()


def _open(session: Session, user: User, now: datetime, method: str) -> str:
    token = secrets.token_urlsafe(32)
    session.add(UserSession(token_hash=token_hash(token), user_id=user.id,  # type: ignore[arg-type]
                            created_at=now, last_seen_at=now, method=method))
    record_event(session, actor=user, verb="sign_in", entity="user", entity_id=user.id,
                 entity_uid=user.uid, after={"method": method})
    return token


def sign_in(engine: Engine, username: str, password: str, *, now: datetime | None = None,
            settings: Settings | None = None) -> str:
    """Check the password and open a session; return its token (for the browser only)."""
    now, settings = now or utcnow(), settings or get_settings()
    with write_session(engine) as session, unit_of_work(session):
        user = _find(session, username)
        if user is not None and user.locked_until is not None and user.locked_until > now:
            minutes = max(1, round((user.locked_until - now).total_seconds() / 60))
            raise SignInFailed(f"too many failed attempts: try again in {minutes} minutes",
                               locked_minutes=minutes)
        ok = _matches(user.password_hash if user else None, password)
        if user is None or not user.active or not ok:
            if user is not None and not ok:
                _count_failure(session, user, now, settings)
                session.commit()
            raise SignInFailed("the user name or the password is not right")
        if _hasher.check_needs_rehash(user.password_hash or ""):
            user.password_hash = _hasher.hash(password)
        user.failed_signins, user.locked_until = 0, None
        session.add(user)
        return _open(session, user, now, "password")


def _count_failure(session: Session, user: User, now: datetime, settings: Settings) -> None:
    user.failed_signins += 1
    if user.failed_signins >= settings.max_failed_signins:
        user.locked_until = now + timedelta(minutes=settings.lockout_minutes)
        user.failed_signins = 0
        record_event(session, actor=None, verb="lock", entity="user", entity_id=user.id,
                     entity_uid=user.uid,
                     after={"locked_until": user.locked_until.isoformat()},
                     reason=f"{settings.max_failed_signins} failed sign-ins in a row")
    session.add(user)


def sign_in_external(engine: Engine, username: str, *, method: str = "oidc",
                     now: datetime | None = None) -> str:
    """Open a session for an account an identity provider vouched for (``st.login``)."""
    now = now or utcnow()
    with write_session(engine) as session, unit_of_work(session):
        user = _find(session, username)
        if user is None or not user.active or user.username == SYSTEM_USERNAME:
            raise SignInFailed(f"no active Hearback account for {username!r}: ask an admin",
                               unknown_account=True)
        return _open(session, user, now, method)


def start_session(engine: Engine, user: User, *, now: datetime | None = None) -> str:
    """A session for ``user`` without a password check: the caller has authenticated them."""
    with write_session(engine) as session, unit_of_work(session):
        return _open(session, session.get(User, user.id) or user, now or utcnow(), "trusted")


def _end(session: Session, record: UserSession, now: datetime, reason: str) -> None:
    record.ended_at, record.end_reason = now, reason
    session.add(record)


def resume(engine: Engine, token: str | None, *, now: datetime | None = None,
           settings: Settings | None = None) -> User | None:
    """The user a live session belongs to, or None if it ended, expired or never was.

    Called on every page view, so it only reads unless the session must be touched
    (at most once a minute) or ended: page views never queue behind SQLite's write lock.
    """
    if not token:
        return None
    now, settings = now or utcnow(), settings or get_settings()
    with read_session(engine) as session:
        record = session.execute(select(UserSession).where(
            UserSession.token_hash == token_hash(token))).scalar_one_or_none()  # type: ignore[arg-type]
        if record is None or record.ended_at is not None:
            return None
        user = session.get(User, record.user_id)
    reason = ("disabled" if user is None or not user.active
              else "idle" if now - record.last_seen_at > timedelta(minutes=settings.session_idle_minutes)
              else "expired" if now - record.created_at > timedelta(hours=settings.session_max_hours)
              else None)
    if reason is None and now - record.last_seen_at < TOUCH_EVERY:
        return user
    values = {"last_seen_at": now} if reason is None else {"ended_at": now, "end_reason": reason}
    try:
        with engine.begin() as conn:
            conn.execute(update(UserSession).where(
                UserSession.id == record.id, UserSession.ended_at.is_(None))  # type: ignore[arg-type,union-attr]
                .values(**values))
    except DBAPIError:  # a read-only or full database still serves reads
        pass
    return user if reason is None else None


def sign_out(engine: Engine, token: str | None, *, now: datetime | None = None) -> None:
    """End the session now; the token is worthless afterwards."""
    if not token:
        return
    now = now or utcnow()
    with write_session(engine) as session, unit_of_work(session):
        record = session.execute(select(UserSession).where(
            UserSession.token_hash == token_hash(token))).scalar_one_or_none()  # type: ignore[arg-type]
        if record is None or record.ended_at is not None:
            return
        _end(session, record, now, "signed_out")
        user = session.get(User, record.user_id)
        record_event(session, actor=user, verb="sign_out", entity="user", entity_id=record.user_id,
                     entity_uid=user.uid if user else None)
