"""``hearback serve`` and the shipped ``.streamlit/config.toml`` harden the server alike.

Streamlit reads ``config.toml`` only from the working directory; ``hearback serve``
therefore passes every option as a flag. These tests fail if the two drift apart, if an
option name is mistyped (Streamlit would ignore it silently in a file), or if a
hardening value is weakened.
"""

import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from streamlit import config as st_config

from tracker.cli import cli
from tracker.serving import CONFIG_TOML, STREAMLIT_OPTIONS, read_config_toml


def test_shipped_config_is_the_serve_table() -> None:
    assert CONFIG_TOML.exists()
    assert read_config_toml() == STREAMLIT_OPTIONS


@pytest.mark.parametrize("name", list(STREAMLIT_OPTIONS))
def test_every_option_is_a_streamlit_option_of_the_right_type(name: str) -> None:
    option = st_config.get_config_options()[name]  # KeyError on a typo
    assert isinstance(STREAMLIT_OPTIONS[name], option.type)


def test_the_hardening_values() -> None:
    o = STREAMLIT_OPTIONS
    assert o["client.showErrorDetails"] == "none"
    assert o["browser.gatherUsageStats"] is False
    assert o["server.enableXsrfProtection"] is True
    assert o["server.enableCORS"] is True
    assert 1 <= int(o["server.maxUploadSize"]) <= 50  # megabytes; Streamlit's default is 200


def _parse(argv: list[str]) -> dict[str, str]:
    flags = argv[argv.index("run") + 2:]
    assert len(flags) % 2 == 0, flags
    return {flags[i].removeprefix("--"): flags[i + 1] for i in range(0, len(flags), 2)}


def test_serve_passes_the_same_options_from_any_directory(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Run from a folder with no config.toml: the flags alone carry every setting."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    seen: dict[str, list[str]] = {}

    def fake_execve(path: str, argv: list[str], env: dict[str, str]) -> None:
        seen["argv"] = argv

    monkeypatch.setattr(os, "execve", fake_execve)
    result = CliRunner().invoke(cli, ["--db", f"sqlite:///{tmp_path / 'serve.db'}", "serve",
                                      "--port", "8765"], obj={}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    flags = _parse(seen["argv"])
    assert flags.pop("server.port") == "8765"
    expected = {k: (str(v).lower() if isinstance(v, bool) else str(v))
                for k, v in STREAMLIT_OPTIONS.items()}
    assert flags == expected
