"""One place for configuration, read from the environment so the CLI, the app and CI agree."""

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = f"sqlite:///{PROJECT_ROOT / 'data' / 'hearback.db'}"


@dataclass(frozen=True)
class Settings:
    """Deployment settings; every field can be set through a ``HEARBACK_*`` variable."""

    database_url: str = DEFAULT_DATABASE_URL
    default_locale: str = "en"
    timezone: str = "UTC"
    # Days without any input after which a locality counts as silent.
    silence_days: int = 60
    sqlite_busy_timeout_ms: int = 30_000
    # Sign-in: a session ends after this long idle, and after this long whatever happens.
    session_idle_minutes: int = 30
    session_max_hours: int = 12
    # This many failed sign-ins in a row lock an account for ``lockout_minutes``.
    max_failed_signins: int = 5
    lockout_minutes: int = 15
    # Key (Fernet, url-safe base64) that encrypts protected sources' contact details.
    contact_key: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


def get_settings(env: dict[str, str] | None = None) -> Settings:
    """Build settings from ``env`` (default: the process environment).

    ``DATABASE_URL`` is honoured as well as ``HEARBACK_DATABASE_URL`` because hosting
    platforms and PostgreSQL tooling set the former.
    """
    env = dict(os.environ if env is None else env)
    url = env.get("HEARBACK_DATABASE_URL") or env.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    return Settings(
        database_url=normalise_url(url),
        default_locale=env.get("HEARBACK_DEFAULT_LOCALE", "en"),
        timezone=env.get("HEARBACK_TIMEZONE", "UTC"),
        silence_days=int(env.get("HEARBACK_SILENCE_DAYS", "60")),
        session_idle_minutes=int(env.get("HEARBACK_SESSION_IDLE_MINUTES", "30")),
        session_max_hours=int(env.get("HEARBACK_SESSION_MAX_HOURS", "12")),
        max_failed_signins=int(env.get("HEARBACK_MAX_FAILED_SIGNINS", "5")),
        lockout_minutes=int(env.get("HEARBACK_LOCKOUT_MINUTES", "15")),
        contact_key=env.get("HEARBACK_CONTACT_KEY") or None,
    )


def normalise_url(url: str) -> str:
    """Accept the URL spellings people paste and pick the psycopg 3 driver for PostgreSQL."""
    url = url.strip()
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url
