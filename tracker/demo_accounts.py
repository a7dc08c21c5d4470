"""The demo data set's accounts: one documented password, so a new user can try every role."""

from functools import cache

from sqlalchemy import select
from sqlmodel import Session

from tracker.models import AuditEvent
from tracker.signin import hash_password

# Every demo account signs in with this (the demo is a fictional mission, never real data).
DEMO_PASSWORD = "hearback-demo"
DEMO_ACCOUNTS = ("demo.admin", "head.civil_affairs", "officer.ca1", "leader.hom", "viewer.demo")


@cache
def demo_password_hash() -> str:
    """One hash for every demo account (argon2 is slow on purpose: hash once)."""
    return hash_password(DEMO_PASSWORD)


def is_demo_database(session: Session) -> bool:
    """Whether the demo data set was loaded here (the sign-in page then names its accounts)."""
    return session.execute(select(AuditEvent.id).where(  # type: ignore[call-overload]
        AuditEvent.verb == "demo_generated").limit(1)).first() is not None  # type: ignore[arg-type]
