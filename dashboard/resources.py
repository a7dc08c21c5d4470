"""Process-wide resources and cached reads.

The engine is cached once per server (never a session). ``st.cache_data`` is shared by
every visitor, so anything access-dependent is keyed by the user's id and role; every
write clears the data caches (``after_write``) so no page shows stale figures.
"""

from typing import Any

import streamlit as st
from sqlalchemy import Engine

from tracker import reference
from tracker.db import make_engine, read_session
from tracker.demo_accounts import is_demo_database
from tracker.models import User
from tracker.settings import get_settings


@st.cache_resource
def get_engine() -> Engine:
    return make_engine()


@st.cache_data(ttl=300, max_entries=8)
def load_people() -> list[reference.Person]:
    with read_session(get_engine()) as session:
        return reference.people(session)


@st.cache_data(ttl=300, max_entries=2)
def load_is_demo() -> bool:
    with read_session(get_engine()) as session:
        return is_demo_database(session)


@st.cache_data(ttl=60, max_entries=64)
def load_user(user_id: int) -> User | None:
    with read_session(get_engine()) as session:
        return reference.user_by_id(session, user_id)


@st.cache_data(ttl=300, max_entries=16)
def load_terms(kind: str) -> list[reference.TermItem]:
    with read_session(get_engine()) as session:
        return reference.terms(session, kind)


@st.cache_data(ttl=300, max_entries=4)
def load_term_labels() -> dict[tuple[str, str], str]:
    with read_session(get_engine()) as session:
        return reference.term_labels(session)


@st.cache_data(ttl=300, max_entries=8)
def load_places(level: str | None = None) -> list[reference.Place]:
    with read_session(get_engine()) as session:
        return reference.places(session, level)


def contact_key() -> str | None:
    """The key that encrypts sources' contacts: the app's secrets first, then the environment."""
    try:
        secret = st.secrets.get("contact_key")
    except Exception:  # no secrets file, or a malformed one
        secret = None
    return str(secret) if secret else get_settings().contact_key


def after_write() -> None:
    """A save changes figures, queues and lists: drop every cached read."""
    st.cache_data.clear()


def cached(ttl: int = 60, max_entries: int = 64) -> Any:
    """Decorator for access-dependent reads: callers pass the user's id and role in the key."""
    return st.cache_data(ttl=ttl, max_entries=max_entries, show_spinner=False)
