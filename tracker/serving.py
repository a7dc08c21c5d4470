"""How the dashboard is served: the Streamlit options that make it safe to expose.

One table, used twice: ``hearback serve`` passes every option as a command-line flag
(flags win over any ``config.toml``, so the working directory does not matter), and the
shipped ``.streamlit/config.toml`` holds the same values for ``streamlit run`` from the
repository root. A test keeps the two equal.
"""

from pathlib import Path

from tracker.settings import PROJECT_ROOT

CONFIG_TOML = PROJECT_ROOT / ".streamlit" / "config.toml"

# Streamlit option → value. Why each one:
STREAMLIT_OPTIONS: dict[str, str | int | bool] = {
    # No exception type, message or stack trace in the browser (they can carry SQL,
    # paths and record contents); the app shows its own short message and logs the rest.
    "client.showErrorDetails": "none",
    # Viewers get no "rerun / clear cache / deploy" developer menu.
    "client.toolbarMode": "viewer",
    # Nothing about a mission's use of the tool leaves the server.
    "browser.gatherUsageStats": False,
    # Keep Streamlit's cross-site request forgery and cross-origin protections on.
    "server.enableXsrfProtection": True,
    "server.enableCORS": True,
    # Megabytes. Field spreadsheets and Kobo/ODK exports are a few MB; a small limit
    # keeps one upload from filling the memory of a field-office laptop.
    "server.maxUploadSize": 25,
    # A server, not a desktop session: never try to open a browser.
    "server.headless": True,
}


def _flag_value(value: str | int | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def streamlit_flags() -> list[str]:
    """``STREAMLIT_OPTIONS`` as ``streamlit run`` flags."""
    flags: list[str] = []
    for name, value in STREAMLIT_OPTIONS.items():
        flags += [f"--{name}", _flag_value(value)]
    return flags


def streamlit_command(python: str, app: Path, port: int) -> list[str]:
    """The full command ``hearback serve`` becomes."""
    return [python, "-m", "streamlit", "run", str(app), "--server.port", str(port),
            *streamlit_flags()]


def read_config_toml(path: Path = CONFIG_TOML) -> dict[str, str | int | bool]:
    """The shipped ``config.toml`` flattened to ``section.option`` names (for the test)."""
    import tomllib

    with path.open("rb") as fp:
        data = tomllib.load(fp)
    return {f"{section}.{name}": value
            for section, options in data.items() for name, value in options.items()}
