"""``hearback user``, ``audit`` and ``purge``: accounts, the trail's integrity, retention."""

import sys

import click
from sqlmodel import Session, select

from tracker.audit import verify_chain
from tracker.cli_base import _engine, init_database, plain_errors
from tracker.codes import Role
from tracker.contacts import new_key, purge_contacts
from tracker.db import read_session
from tracker.errors import HearbackError
from tracker.models import User
from tracker.services import create_user, ensure_system_user, update_user
from tracker.signin import hash_password, set_password


def _read_password(from_stdin: bool) -> str:
    """From one line of stdin (scripts), else a hidden prompt asked twice."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@click.group()
def user() -> None:
    """Manage user accounts."""


@user.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--display-name", default="")
@click.option("--component", default=None)
@click.option("--section", default=None)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--no-password", is_flag=True,
              help="No local password (the account signs in through the identity provider).")
@click.pass_context
@plain_errors
def user_add(ctx: click.Context, name: str, role: str, display_name: str, component: str | None,
             section: str | None, password_stdin: bool, no_password: bool) -> None:
    """Create the account NAME with a ROLE and a password."""
    password = None if no_password else _read_password(password_stdin)
    engine = _engine(ctx)
    init_database(engine)
    with Session(engine, expire_on_commit=False) as session:
        actor = ensure_system_user(session)
        if password is not None:  # refuse a weak password before the account exists
            hash_password(password)
        created = create_user(session=session, actor=actor, data={
            "username": name, "role": role, "display_name": display_name,
            "component_code": component, "section_code": section})
        if password is not None:
            set_password(session, actor=None, user=created, password=password)
        click.echo(f"User {created.username!r} created with role {created.role}")


@user.command("password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.pass_context
@plain_errors
def user_password(ctx: click.Context, name: str, password_stdin: bool) -> None:
    """Set a new password for NAME (and lift a lock-out)."""
    engine = _engine(ctx)
    with Session(engine, expire_on_commit=False) as session:
        found = session.exec(select(User).where(User.username == name)).first()
        if found is None:
            raise HearbackError(f"no user {name!r}")
        set_password(session, actor=None, user=found, password=_read_password(password_stdin))
        click.echo(f"Password of {name!r} changed")


@user.command("update")
@click.argument("name")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=None)
@click.option("--active/--inactive", default=None,
              help="--inactive switches the account off (it reads nothing; its sessions end).")
@click.option("--display-name", default=None)
@click.option("--component", default=None, help="A component code; '' for none.")
@click.option("--section", default=None, help="A section code; '' for none.")
@click.pass_context
@plain_errors
def user_update(ctx: click.Context, name: str, role: str | None, active: bool | None,
                display_name: str | None, component: str | None, section: str | None) -> None:
    """Change the account NAME: its role, unit or name, or switch it off or on again."""
    engine = _engine(ctx)
    with Session(engine, expire_on_commit=False) as session:
        changed = update_user(session=session, actor=ensure_system_user(session), username=name,
                              role=role, active=active, display_name=display_name,
                              component_code=component, section_code=section)
        click.echo(f"User {changed.username!r}: role {changed.role}, "
                   f"{'active' if changed.active else 'inactive'}")


@click.group()
def audit() -> None:
    """Check the audit trail."""


@audit.command("verify")
@click.pass_context
@plain_errors
def audit_verify(ctx: click.Context) -> None:
    """Check that no audit event was changed or deleted (the hash chain holds)."""
    with read_session(_engine(ctx)) as session:
        report = verify_chain(session.connection())
    if not report.ok:
        raise click.ClickException(
            f"the audit trail is broken at event {report.broken_id} ({report.broken_uid}): "
            f"{report.problem}; {report.checked} events before it are intact")
    click.echo(f"Audit trail intact: {report.checked} events")


@click.command()
@click.option("--contacts-older-than", "days", required=True, type=click.IntRange(0),
              metavar="DAYS", help="Erase contact details kept longer than DAYS.")
@click.pass_context
@plain_errors
def purge(ctx: click.Context, days: int) -> None:
    """Erase protected sources' contact details past their retention period."""
    with Session(_engine(ctx), expire_on_commit=False) as session:
        erased = purge_contacts(session, actor=ensure_system_user(session), older_than_days=days)
    click.echo(f"Erased the contact details of {erased} inputs (kept more than {days} days)")


@click.group()
def contacts() -> None:
    """Encryption of protected sources' contact details."""


@contacts.command("new-key")
def contacts_new_key() -> None:
    """Print a new key for HEARBACK_CONTACT_KEY (keep it outside the database and backups)."""
    click.echo(new_key())


COMMANDS = (user, audit, purge, contacts)
