"""AppTest fixtures: a small database on a temporary SQLite file, caches cleared per test."""

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy import Engine
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from dashboard.context import AUTH_KEY
from tests.utils.factories import World, build_world, make_input
from tracker.db import make_engine
from tracker.signin import start_session

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")


@dataclass
class AppDB:
    engine: Engine
    world: World
    url: str
    tokens: dict[str, str]  # a live sign-in per world user: admin, officer, viewer, leader


_signed_in: dict[str, str] = {}


@pytest.fixture(autouse=True)
def _propagate_page_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    """A broken page must fail as ``at.exception``, not hide behind the polite message,
    and with its real message (the shipped config.toml redacts it for browsers)."""
    monkeypatch.setenv("HEARBACK_PROPAGATE_ERRORS", "1")
    st.set_option("client.showErrorDetails", "full")


@pytest.fixture(autouse=True)
def _clear_caches() -> Iterator[None]:
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def app_db(tmp_path: Path, sqlite_template: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppDB]:
    path = tmp_path / "app.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        world = build_world(session)
        make_input(session, world.officer, world.town)
        make_input(session, world.officer, world.village, theme_codes=["security"],
                   type_code="alert", urgency="critical", hours=5)
    monkeypatch.setenv("HEARBACK_DATABASE_URL", url)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    tokens = {name: start_session(engine, getattr(world, name))
              for name in ("admin", "officer", "other_officer", "viewer", "leader")}
    _signed_in.clear()
    _signed_in.update(tokens)
    yield AppDB(engine, world, url, tokens)
    _signed_in.clear()
    engine.dispose()


def open_page(page: str, *, as_user: str | None = "officer", **query: str) -> AppTest:
    """Run the app signed in as the world's ``as_user`` (None: signed out), then switch to
    ``page`` (a path under dashboard/)."""
    at = AppTest.from_file(APP, default_timeout=60)
    if as_user is not None and _signed_in:
        at.session_state[AUTH_KEY] = _signed_in[as_user]
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    if page:
        at.switch_page(page)
        for key, value in query.items():
            at.query_params[key] = value
        at.run()
    return at


def click(at: AppTest, label: str) -> AppTest:
    """Press the (form submit) button whose label is ``label``."""
    matches = [b for b in at.button if b.label == label]
    assert matches, f"no button {label!r} in {[b.label for b in at.button]}"
    matches[0].click()
    return at.run()
