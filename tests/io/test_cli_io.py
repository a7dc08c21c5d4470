"""`hearback import` and `hearback export`: summaries, JSON, exit status, plain errors, and
the round trip through the command line (same `hearback metrics --json`)."""

import csv
import json
import os
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from tests.io.samples import EXAMPLES, MAPPINGS, csv_bytes, read_rows
from tracker.cli import cli

LOG = str(EXAMPLES / "spreadsheet_log.csv")
LOG_MAP = str(MAPPINGS / "spreadsheet_log.toml")


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), obj={}, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def db(tmp_path: Path) -> str:
    """A field office database with the demo mission's places and a viewer account."""
    url = f"sqlite:///{tmp_path / 'field.db'}"
    assert run("--db", url, "demo", "--inputs", "60", "--seed", "2", "--as-of", "2026-01-31")[0] == 0
    assert run("--db", url, "user", "add", "vera", "--role", "viewer", "--no-password")[0] == 0
    return url


def test_import_json_then_again(db: str) -> None:
    code, out, _ = run("--db", db, "import", LOG, "--mapping", LOG_MAP, "--json")
    assert code == 0
    summary = json.loads(out)
    assert {k: summary[k] for k in ("rows_read", "imported", "duplicates", "rejected")} == \
        {"rows_read": 8, "imported": 8, "duplicates": 0, "rejected": 0}
    code, out, _ = run("--db", db, "import", LOG, "--mapping", LOG_MAP)
    assert code == 0
    assert out.startswith("8 rows read from spreadsheet_log.csv: 0 imported, 8 already there, "
                          "0 rejected")


def test_dry_run_and_rejects(db: str, tmp_path: Path) -> None:
    rows = read_rows(EXAMPLES / "spreadsheet_log.csv")
    rows[4][2] = ""  # no place
    rows.append(rows[1][:5])  # a short row
    bad = tmp_path / "log.csv"
    bad.write_bytes(csv_bytes(rows))
    code, out, _ = run("--db", db, "import", str(bad), "--mapping", LOG_MAP, "--dry-run")
    assert code == 0 and out.startswith("Dry run, nothing written. 9 rows read")
    assert "7 would be imported" in out
    rejects = tmp_path / "rejects.csv"
    code, out, err = run("--db", db, "import", str(bad), "--mapping", LOG_MAP, "--rejects",
                         str(rejects))
    assert code == 0 and "2 rejected" in out and f"written to {rejects}" in out
    with open(rejects, encoding="utf-8-sig", newline="") as f:
        written = list(csv.reader(f))
    assert [r[:2] for r in written[1:]] == [["5", "Place"], ["10", ""]]
    assert "short row is never padded" in written[2][2]
    code, out, err = run("--db", db, "import", str(bad), "--mapping", LOG_MAP)
    assert code == 0 and "line 5, column 'Place': locality: the cell is empty" in err


@pytest.mark.parametrize(("args", "message"), [
    (["import", LOG, "--mapping", "/no/such.toml"], "cannot read the mapping"),
    (["import", "/no/such.csv", "--mapping", LOG_MAP], "cannot open /no/such.csv"),
    (["import", LOG, "--mapping", str(MAPPINGS / "kobo_feedback.toml")],
     "the file has no column '_uuid'"),
    (["import", LOG, "--mapping", LOG_MAP, "--as", "ghost"], "no active user 'ghost'"),
    (["import", LOG, "--mapping", LOG_MAP, "--as", "vera"], "cannot change records"),
    (["export", "--out", "x.csv", "--since", "2026-03-02", "--until", "2026-03-01"],
     "--since is after --until"),
    (["export", "--out", "x.csv", "--area", "Atlantis"], "unknown place 'Atlantis'"),
    (["export", "--out", "/proc/none/x.csv"], "cannot write /proc/none/x.csv"),
    (["import", LOG, "--mapping", LOG_MAP, "--rejects", "/no/such/folder/r.csv"],
     "the folder /no/such/folder does not exist"),
    (["export", "--out", "x.csv", "--theme", "nonsense"], "no theme 'nonsense'; known: "),
    (["export", "--out", "x.csv", "--channel", "Town_Hall"], "no channel 'Town_Hall'"),
    (["metrics", "--component", "navy"], "no component 'navy'"),
    (["export", "--out", "x.csv", "--area", "99999"], "no place number 99999"),
], ids=["no-mapping", "no-file", "wrong-mapping", "no-user", "viewer", "reversed",
        "unknown-area", "unwritable", "rejects-nowhere", "unknown-theme", "unknown-channel",
        "unknown-component", "unknown-area-number"])
def test_plain_errors(db: str, args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, ["--db", db, *args], obj={}, catch_exceptions=False)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output


def test_a_rejects_file_nowhere_stops_before_the_import(db: str) -> None:
    """Checked first: once the import has run its rows are in, and a crash on the rejects
    file would hide the summary of what went in."""
    run("--db", db, "import", LOG, "--mapping", LOG_MAP, "--rejects", "/no/such/folder/r.csv")
    code, out, _ = run("--db", db, "import", LOG, "--mapping", LOG_MAP, "--json")
    assert code == 0 and json.loads(out)["imported"] == 8  # nothing went in the first time


def test_export_to_a_read_only_folder_says_so(db: str, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """On a read-only file system even removing the half-written file fails: the message
    must still be the export's, not that clean-up's traceback."""
    def refused(*_args: object, **_kw: object) -> None:
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr("tracker.cli.os.replace", refused)
    monkeypatch.setattr(Path, "unlink", refused)
    result = CliRunner().invoke(cli, ["--db", db, "export", "--out", str(tmp_path / "x.csv")],
                                obj={}, catch_exceptions=False)
    assert result.exit_code != 0 and "cannot write" in result.output
    assert "Read-only file system" in result.output and "Traceback" not in result.output


def test_export_before_init_says_what_to_do(tmp_path: Path) -> None:
    code, _, err = run("--db", f"sqlite:///{tmp_path / 'x.db'}", "export", "--out",
                       str(tmp_path / "x.csv"))
    assert code == 1 and "hearback init" in err


def test_export_formats_and_roles(db: str, tmp_path: Path) -> None:
    out = tmp_path / "inputs.xlsx"
    code, text, _ = run("--db", db, "export", "--out", str(out), "--what", "inputs")
    assert code == 0 and text.startswith("Exported 60 rows (inputs, xlsx)")
    assert load_workbook(out).sheetnames == ["inputs"]
    code, text, _ = run("--db", db, "export", "--out", str(tmp_path / "v.csv"), "--what",
                        "inputs", "--as", "vera")
    seen = int(text.split()[1])
    assert code == 0 and 0 < seen < 60  # a viewer sees neither confidential nor restricted
    code, text, _ = run("--db", db, "export", "--out", str(tmp_path / "k.csv"), "--area",
                        "Kiravo", "--since", "2025-06-01")
    assert code == 0 and not (tmp_path / "k.csv.part").exists()


def test_round_trip_through_the_command_line(tmp_path: Path) -> None:
    first, second = f"sqlite:///{tmp_path / 'a.db'}", f"sqlite:///{tmp_path / 'b.db'}"
    assert run("--db", first, "demo", "--inputs", "300", "--seed", "3", "--as-of",
               "2026-06-30")[0] == 0
    out = tmp_path / "all.csv"
    assert run("--db", first, "export", "--out", str(out))[0] == 0
    assert run("--db", second, "init")[0] == 0
    code, text, _ = run("--db", second, "import", str(out), "--mapping",
                        str(MAPPINGS / "hearback_export.toml"), "--json")
    assert code == 0 and json.loads(text)["rejected"] == 0
    before = json.loads(run("--db", first, "metrics", "--json")[1])
    after = json.loads(run("--db", second, "metrics", "--json")[1])
    assert after == before


# --- a database path that is wrong, or a folder that is read-only ---------------------------


@pytest.mark.parametrize("args", [["export", "--out", "x.csv"], ["metrics"], ["audit", "verify"],
                                  ["user", "update", "vera", "--inactive"]],
                         ids=["export", "metrics", "audit", "user-update"])
def test_a_command_on_a_missing_database_creates_nothing(tmp_path: Path, args: list[str]) -> None:
    """A mistyped --db given to a command that needs a database must leave no folder and no
    empty database behind (the next `init` would otherwise not notice the typo)."""
    for target in (tmp_path / "typo" / "sub" / "field.db", tmp_path / "field.db"):
        code, _, err = run("--db", f"sqlite:///{target}", *args)
        assert code == 1 and f"the database {target} does not exist" in err
        assert "hearback init" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def _settled_copy(url: str, folder: Path) -> Path:
    """The database alone in ``folder``, in WAL mode, as a field office might receive it."""
    folder.mkdir()
    copy = folder / "field.db"
    source, target = sqlite3.connect(url.removeprefix("sqlite:///")), sqlite3.connect(copy)
    try:
        source.backup(target)
        target.execute("PRAGMA journal_mode = WAL")
    finally:
        source.close()
        target.close()
    assert sorted(p.name for p in folder.iterdir()) == ["field.db"]
    return copy


def test_reads_work_in_a_read_only_folder(db: str, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """WAL needs to create field.db-shm next to the database: in a folder this user may not
    write (simulated: root may write anywhere) the database is opened read-only instead."""
    copy = _settled_copy(db, tmp_path / "archive")
    monkeypatch.setattr("tracker.db._folder_writable", lambda _path: False, raising=False)
    url = f"sqlite:///{copy}"
    code, out, err = run("--db", url, "export", "--out", str(tmp_path / "x.csv"))
    assert code == 0 and out.startswith("Exported "), err
    code, out, err = run("--db", url, "metrics", "--json")
    assert code == 0 and json.loads(out)["inputs_total"] == 60, err
    code, _, err = run("--db", url, "import", LOG, "--mapping", LOG_MAP)
    assert code == 1 and "the database is read-only: nothing was saved" in err
    assert sorted(p.name for p in copy.parent.iterdir()) == ["field.db"]  # nothing created


def test_a_read_only_folder_that_stops_reads_says_so(db: str, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Changes waiting in a -wal file can be read only through a -shm file, which a
    read-only folder cannot hold: the message names the folder and what to do."""
    copy = _settled_copy(db, tmp_path / "archive")
    (copy.parent / "field.db-wal").write_bytes(b"\x37\x7f\x06\x82" + bytes(60))

    def refused(*_args: object, **_kw: object) -> None:
        raise sqlite3.OperationalError("unable to open database file")

    monkeypatch.setattr("tracker.db._folder_writable", lambda _path: False, raising=False)
    monkeypatch.setattr(sqlite3, "connect", refused)  # the driver refuses to open it,
    monkeypatch.setattr(sqlite3.dbapi2, "connect", refused)  # also as SQLAlchemy calls it
    for args in (["export", "--out", str(tmp_path / "x.csv")], ["metrics"]):
        code, _, err = run("--db", f"sqlite:///{copy}", *args)
        assert code == 1 and "Traceback" not in err
        assert f"its folder {copy.parent} is read-only for this user" in err
        assert "make the folder writable" in err


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root may write in any folder")
def test_reads_work_in_a_folder_made_read_only(db: str, tmp_path: Path) -> None:
    copy = _settled_copy(db, tmp_path / "archive")
    copy.parent.chmod(0o555)
    try:
        code, out, err = run("--db", f"sqlite:///{copy}", "metrics", "--json")
        assert code == 0 and json.loads(out)["inputs_total"] == 60, err
        assert sorted(p.name for p in copy.parent.iterdir()) == ["field.db"]
    finally:
        copy.parent.chmod(0o755)
