"""What every ``hearback`` command shares: plain error messages, the engine, a ready schema."""

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import click
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from tracker.db import make_engine, storage_error, why_read_only
from tracker.errors import HearbackError, ReadOnlyDatabase
from tracker.migrate import upgrade
from tracker.seed import seed_defaults
from tracker.services import ensure_system_user

F = TypeVar("F", bound=Callable[..., Any])


def plain_errors(func: F) -> F:
    """Turn library and driver errors into a one-line message and exit status 1."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except HearbackError as exc:
            raise click.ClickException(_located(exc)) from exc
        except DBAPIError as exc:
            raise click.ClickException(_located(storage_error(exc))) from exc

    return wrapper  # type: ignore[return-value]


def _located(problem: HearbackError) -> str:
    """The message; for a read-only SQLite database, with the file or folder to fix (the
    person at the command line can, unlike a dashboard user)."""
    ctx = click.get_current_context(silent=True)
    reason = None
    if isinstance(problem, ReadOnlyDatabase) and ctx is not None:
        reason = why_read_only((ctx.find_root().obj or {}).get("db"))
    return f"{problem}: {reason}" if reason else str(problem)


# The commands that set a database up, and so may create its file (and folder); every
# other command needs it to exist already.
CREATING = frozenset({"init", "demo", "serve", "import", "user add"})


def _engine(ctx: click.Context) -> Engine:
    """The engine of --db. Only a command that sets the database up may create it: export
    or metrics on a mistyped path must say so, not leave an empty database behind."""
    return make_engine(ctx.obj["db"], create=command_name(ctx) in CREATING)


def command_name(ctx: click.Context) -> str:
    """The command as typed after ``hearback`` ("export", "user add")."""
    names: list[str] = []
    while ctx.parent is not None:
        names.append(ctx.command.name or "")
        ctx = ctx.parent
    return " ".join(reversed(names))


def init_database(engine: Engine) -> int:
    """Migrate to the newest schema and seed what is missing; safe to run again."""
    try:
        upgrade(engine)
    except DBAPIError as exc:
        raise storage_error(exc) from exc
    with Session(engine) as session:
        added = seed_defaults(session)
        ensure_system_user(session)
    return added


