"""The hearback command: the set-up path a field office runs, and its error messages."""

import json
import os
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from click.testing import CliRunner

from tracker.cli import cli
from tracker.db import why_read_only
from tracker.settings import PROJECT_ROOT

REQUIRED_KEYS = {
    "inputs_total", "inputs_closed", "closure_rate", "median_hours_to_acknowledge",
    "median_days_to_report_back", "p90_days_to_report_back", "overdue_open", "commitments_due",
    "commitments_kept", "repeat_asks", "share_women", "share_rural",
}


def run(*args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), obj={}, catch_exceptions=False, input=stdin)
    return result.exit_code, result.output


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'field.db'}"


def test_init_twice_is_harmless(db: str) -> None:
    code, out = run("--db", db, "init")
    head = ScriptDirectory(str(PROJECT_ROOT / "tracker" / "migrations")).get_current_head()
    assert code == 0 and f"schema {head}" in out and "92 default entries added" in out
    code, out = run("--db", db, "init")
    assert code == 0 and "0 default entries added" in out


def test_init_demo_metrics(db: str) -> None:
    assert run("--db", db, "init")[0] == 0
    code, out = run("--db", db, "demo", "--inputs", "400", "--seed", "7", "--as-of", "2026-06-30")
    assert code == 0, out
    assert "400 inputs" in out
    code, out = run("--db", db, "metrics", "--json")
    assert code == 0, out
    figures = json.loads(out)
    assert figures.keys() >= REQUIRED_KEYS
    assert figures["inputs_total"] == 400
    assert 0 < figures["inputs_closed"] < 400
    assert 0 < figures["closure_rate"] < 1
    assert figures["median_days_to_report_back"] > 0
    assert figures["p90_days_to_report_back"] >= figures["median_days_to_report_back"]
    assert 0 <= figures["share_women"] <= 1
    code, out = run("--db", db, "metrics", "--json", "--since", "2026-06-01",
                    "--until", "2026-06-30")
    assert code == 0
    assert 0 < json.loads(out)["inputs_total"] < 400


def test_demo_refuses_a_database_with_inputs(db: str) -> None:
    assert run("--db", db, "demo", "--inputs", "50")[0] == 0
    code, out = run("--db", db, "demo", "--inputs", "50")
    assert code == 1
    assert "Traceback" not in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--db", "nonsense://x", "init"], "cannot use database URL"),
        (["--db", "sqlite:////proc/hearback/none.db", "init"], "cannot create the folder"),
        (["--db", "postgresql://nobody@127.0.0.1:1/x", "init"], "cannot reach the database server"),
        (["metrics", "--since", "2026-02-30"], "Invalid value for '--since'"),
        (["metrics", "--since", "2026-03-02", "--until", "2026-03-01"], "--since is after --until"),
        (["metrics", "--area", "Atlantis"], "unknown place 'Atlantis'"),
    ],
    ids=["bad-url", "unwritable-path", "no-server", "bad-date", "reversed-period", "unknown-area"],
)
def test_clear_errors_without_traceback(db: str, args: list[str], message: str) -> None:
    if args[0] != "--db":
        assert run("--db", db, "init")[0] == 0
        args = ["--db", db, *args]
    code, out = run(*args)
    assert code != 0
    assert message in out
    assert "Traceback" not in out


def test_metrics_before_init_says_what_to_do(db: str) -> None:
    code, out = run("--db", db, "metrics", "--json")
    assert code == 1
    assert "hearback init" in out


def test_user_add(db: str) -> None:
    code, out = run("--db", db, "user", "add", "amina", "--role", "officer",
                    "--section", "civil_affairs", "--password-stdin", stdin="correct horse 1\n")
    assert code == 0 and "'amina' created with role officer" in out
    code, out = run("--db", db, "user", "add", "amina", "--role", "viewer", "--no-password")
    assert code == 1 and "taken" in out
    code, out = run("--db", db, "user", "add", "x y", "--role", "viewer", "--no-password")
    assert code == 1 and "username" in out


def test_user_update_switches_an_account_off_and_on(db: str) -> None:
    assert run("--db", db, "user", "add", "bob", "--role", "officer", "--no-password")[0] == 0
    code, out = run("--db", db, "user", "update", "bob", "--inactive")
    assert code == 0 and "'bob': role officer, inactive" in out
    code, out = run("--db", db, "user", "update", "bob", "--active", "--role", "viewer")
    assert code == 0 and "'bob': role viewer, active" in out
    code, out = run("--db", db, "user", "update", "ghost", "--inactive")
    assert code == 1 and "no user 'ghost'" in out and "Traceback" not in out


def test_a_read_only_sqlite_database_is_explained_where_to_fix_it(
        db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The person at the command line is told which file or folder this user may not
    write (as root in a test, permissions are simulated: root may write anywhere)."""
    assert run("--db", db, "init")[0] == 0
    real = os.access
    barred: set[Path] = {tmp_path}

    def access(path: Any, mode: int) -> bool:
        return False if mode == os.W_OK and Path(path) in barred else real(path, mode)

    monkeypatch.setattr("tracker.db.os.access", access)
    code, out = run("--db", db, "user", "add", "amina", "--role", "officer", "--password-stdin",
                    stdin="a long enough passphrase\n")
    assert code == 1
    assert "the database is read-only: nothing was saved" in out
    assert f"this user may not write its folder {tmp_path}, where SQLite keeps its journal" in out
    barred.add(tmp_path / "field.db")
    assert why_read_only(db) == f"this user may not write the file {tmp_path / 'field.db'}"
    assert why_read_only("postgresql+psycopg://u@127.0.0.1/x") is None
    assert why_read_only(f"sqlite:///{tmp_path / 'absent.db'}") is None
    monkeypatch.setattr("tracker.db.os.access", real)
    assert why_read_only(db) is None
