"""Real headless Chromium against a real ``hearback serve`` on a local port.

Chromium comes from the system (Debian's package); Playwright only drives it. Without
either, these tests skip — unless HEARBACK_REQUIRE_BROWSER=1 (CI), where they fail.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("HEARBACK_CHROMIUM", "/usr/bin/chromium")
REQUIRED = os.environ.get("HEARBACK_REQUIRE_BROWSER") == "1"
SHOTS = Path(os.environ.get("HEARBACK_SCREENSHOTS", Path(__file__).parent / "screenshots"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if REQUIRED:
            raise
        pytest.skip("playwright is not installed")
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        if REQUIRED:
            pytest.fail(f"no Chromium at {CHROMIUM}")
        pytest.skip("no Chromium on this machine")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
        ])
        yield b
        b.close()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``hearback serve --demo`` on a free port; yields its base URL."""
    db = tmp_path_factory.mktemp("served") / "served.db"
    yield from serve(db, "--demo", "--demo-inputs", "1500")


def serve(db: Path, *options: str) -> Iterator[str]:
    """Run ``hearback serve`` on ``db`` and a free port; yield its URL, stop it after."""
    port = _free_port()
    env = os.environ | {"HEARBACK_DATABASE_URL": f"sqlite:///{db}"}
    env.pop("DATABASE_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "tracker.cli", "serve", *options, "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"hearback serve exited: {proc.stdout.read()}")  # type: ignore[union-attr]
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("hearback serve did not answer within 120 s")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    pg = context.new_page()
    yield pg
    context.close()


def wait_for_app(pg, selector: str, timeout: float = 60_000) -> None:  # type: ignore[no-untyped-def]
    """Wait until ``selector`` is on screen and Streamlit has finished running."""
    pg.locator(selector).first.wait_for(timeout=timeout)
    pg.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout)
    pg.wait_for_timeout(1500)  # let Vega finish drawing the charts


def shoot(pg, name: str) -> Path:  # type: ignore[no-untyped-def]
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    pg.screenshot(path=str(path), full_page=True)
    return path


def sign_in(pg, server: str, lang: str = "en", user: str = "leader.hom") -> None:  # type: ignore[no-untyped-def]
    """Sign in with a demo account through the sign-in form, as a person would."""
    from tracker.demo_accounts import DEMO_PASSWORD

    pg.goto(f"{server}/?lang={lang}")
    wait_for_app(pg, "[data-testid='stTextInput'] input[type='password']")
    fields = pg.locator("[data-testid='stTextInput'] input")
    fields.nth(0).fill(user)
    fields.nth(1).fill(DEMO_PASSWORD)
    pg.locator("[data-testid='stFormSubmitButton'] button").click()
    pg.locator("[data-testid='stSidebarNav']").wait_for(timeout=60_000)


def open_in_app(pg, url_path: str, selector: str) -> None:  # type: ignore[no-untyped-def]
    """Follow the sidebar's link to a page (a reload would start a new, signed-out session)."""
    pg.locator(f"[data-testid='stSidebarNav'] a[href$='/{url_path}']").click()
    wait_for_app(pg, selector)
