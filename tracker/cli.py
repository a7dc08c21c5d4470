"""The ``hearback`` command: set up a database, fill it with demo data, print figures.

Every failure the user can fix (a bad URL, an unwritable folder, a bad date) ends
with one plain sentence on stderr and exit status 1, never a traceback.
"""

import contextlib
import json
import os
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click
from sqlalchemy import select
from sqlmodel import Session

from tracker.cli_admin import COMMANDS
from tracker.cli_base import _engine, init_database, plain_errors
from tracker.codes import TermKind
from tracker.db import read_session
from tracker.errors import HearbackError
from tracker.metrics import Filters, figures
from tracker.migrate import current_revision
from tracker.models import Input, Locality
from tracker.reference import terms
from tracker.services import ensure_system_user
from tracker.settings import get_settings, normalise_url


@click.group()
@click.option("--db", "db", metavar="URL", envvar="HEARBACK_DATABASE_URL",
              help="Database URL (default: $DATABASE_URL or data/hearback.db).")
@click.version_option(package_name="hearback")
@click.pass_context
def cli(ctx: click.Context, db: str | None) -> None:
    """Hearback: record community feedback, link it to action, report back."""
    ctx.ensure_object(dict)
    ctx.obj["db"] = normalise_url(db) if db else get_settings().database_url


@cli.command()
@click.pass_context
@plain_errors
def init(ctx: click.Context) -> None:
    """Create or upgrade the database schema and seed the default taxonomies."""
    engine = _engine(ctx)
    added = init_database(engine)
    click.echo(f"Database ready: {engine.url.render_as_string(hide_password=True)} "
               f"(schema {current_revision(engine)}, {added} default entries added)")


@cli.command()
@click.option("--inputs", default=2000, show_default=True, type=click.IntRange(1, 5_000_000))
@click.option("--seed", default=1, show_default=True, type=int)
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Date the data set ends on (default: now).")
@click.pass_context
@plain_errors
def demo(ctx: click.Context, inputs: int, seed: int, as_of: datetime | None) -> None:
    """Fill an empty database with a realistic demo data set for a fictional mission."""
    from datetime import UTC

    from tracker.demo import generate_demo

    engine = _engine(ctx)
    init_database(engine)
    summary = generate_demo(engine, inputs=inputs, seed=seed,
                            as_of=as_of.replace(tzinfo=UTC) if as_of else None)
    click.echo(f"Demo data: {summary.inputs} inputs, {summary.actions} actions, "
               f"{summary.report_backs} report-backs, {summary.localities} localities "
               f"in {summary.elapsed:.1f} s")


def _area(session: Session, region: str | None) -> int | None:
    if region is None:
        return None
    if region.isdigit():
        if session.get(Locality, int(region)) is None:
            raise HearbackError(f"no place number {region}")
        return int(region)
    found = session.execute(select(Locality.id).where(Locality.name == region)).scalars().all()
    if len(found) != 1:
        raise HearbackError(f"no single place named {region!r}" if found else
                            f"unknown place {region!r}")
    return found[0]


def _filters(session: Session, since: datetime | None, until: datetime | None, area: str | None,
             theme: str | None, channel: str | None, component: str | None) -> Filters:
    """The filters of ``metrics`` and ``export``, every code checked: a mistyped one would
    otherwise give zeros or an empty file that look like a true answer."""
    for option, kind, code in (("--theme", TermKind.THEME, theme),
                               ("--channel", TermKind.CHANNEL, channel),
                               ("--component", TermKind.COMPONENT, component)):
        if code is not None:
            known = [t.code for t in terms(session, kind)]
            if code not in known:
                raise click.BadParameter(f"no {kind.value} {code!r}; known: {', '.join(known)}",
                                         param_hint=option)
    return Filters(since=_day(since), until=_day(until), area_id=_area(session, area),
                   theme_code=theme, channel_code=channel, component_code=component)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="First day (YYYY-MM-DD).")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Last day, inclusive.")
@click.option("--area", "area", metavar="NAME|ID", help="A region, territory or locality.")
@click.option("--theme", help="Theme code.")
@click.option("--channel", help="Channel code.")
@click.option("--component", help="Component code.")
@click.pass_context
@plain_errors
def metrics(ctx: click.Context, as_json: bool, since: datetime | None, until: datetime | None,
            area: str | None, theme: str | None, channel: str | None,
            component: str | None) -> None:
    """Print the accountability figures."""
    if since and until and since > until:
        raise click.BadParameter("--since is after --until", param_hint="--since")
    engine = _engine(ctx)
    if current_revision(engine) is None:
        raise HearbackError("the database is not set up yet: run `hearback init` first")
    with read_session(engine) as session:
        filters = _filters(session, since, until, area, theme, channel, component)
        result = figures(session, filters, silence_days=get_settings().silence_days).as_dict()
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False))
        return
    for key, value in result.items():
        click.echo(f"{key:32} {_show(value)}")


def _day(value: datetime | None) -> date | None:
    return value.date() if value else None


def _show(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items()) or "–"
    return str(value)


@cli.command()
@click.option("--demo", "with_demo", is_flag=True,
              help="Fill an empty database with the demo data set first.")
@click.option("--port", default=8501, show_default=True, type=click.IntRange(1, 65535))
@click.option("--demo-inputs", default=5000, show_default=True, type=click.IntRange(1, 5_000_000))
@click.pass_context
@plain_errors
def serve(ctx: click.Context, with_demo: bool, port: int, demo_inputs: int) -> None:
    """Run the dashboard (Streamlit) on PORT."""

    from tracker.settings import PROJECT_ROOT

    engine = _engine(ctx)
    init_database(engine)
    if with_demo:
        from tracker.demo import generate_demo

        with read_session(engine) as session:
            has_inputs = session.execute(select(Input.id).limit(1)).first() is not None
        if has_inputs:
            click.echo("The database already holds inputs; demo data not added.")
        else:
            summary = generate_demo(engine, inputs=demo_inputs)
            click.echo(f"Demo data: {summary.inputs} inputs in {summary.elapsed:.1f} s")
    engine.dispose()
    app = PROJECT_ROOT / "dashboard" / "app.py"
    env = os.environ | {"HEARBACK_DATABASE_URL": ctx.obj["db"]}
    # Hardening options come from one table (tracker/serving.py), as flags, so they hold
    # whatever the working directory and whatever config.toml is found there.
    from tracker.serving import streamlit_command

    command = streamlit_command(sys.executable, app, port)
    click.echo(f"Hearback is starting on http://localhost:{port}")
    sys.stdout.flush()
    # Become the Streamlit server (no child left behind when a supervisor stops us).
    os.execve(sys.executable, command, env)


@cli.group()
def i18n() -> None:
    """Translation catalogs: extract and merge strings, report completeness."""


@i18n.command("update")
def i18n_update() -> None:
    """Extract strings into i18n/messages.pot and merge them into every catalog."""
    from tracker.catalogs import update

    for path in update():
        click.echo(f"wrote {path.relative_to(path.parents[2]) if 'LC_MESSAGES' in path.parts else path.name}")


@i18n.command("status")
def i18n_status() -> None:
    """Print how complete each language's catalog is."""
    from tracker.catalogs import completeness, extract, public_msgids
    from tracker.i18n import LOCALES, language_label

    wanted = {m.id[0] if isinstance(m.id, tuple) else m.id for m in extract() if m.id}
    public = public_msgids()
    click.echo(f"{'':16} {'all strings':>18}   public display")
    for locale in LOCALES:
        c = completeness(locale, wanted)
        p = completeness(locale, public)
        click.echo(f"{locale:3} {language_label(locale):12} {c.percent:5.1f}% "
                   f"{c.translated:>4}/{c.total:<4}   {p.percent:5.1f}%"
                   + (f"  ({c.fuzzy} fuzzy)" if c.fuzzy else ""))


def _actor(session: Session, username: str | None) -> Any:
    """The user an import or export acts as: --as USER, else the system account (an admin)."""
    from tracker.models import User

    if username is None:
        return ensure_system_user(session)
    found = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if found is None or not found.active:
        raise HearbackError(f"no active user {username!r}")
    return found


@cli.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--mapping", "mapping_path", required=True, metavar="MAPPING.toml",
              type=click.Path(dir_okay=False), help="Which column feeds which field.")
@click.option("--dry-run", is_flag=True, help="Check every row and count; write nothing.")
@click.option("--rejects", type=click.Path(dir_okay=False), metavar="REJECTS.csv",
              help="Write the rejected rows, with line, column and reason, to this CSV.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--strict", is_flag=True, help="Reject rows naming an unknown place "
              "instead of creating it under [source] parent.")
@click.option("--as", "as_user", metavar="USER", help="Act as this user (default: system).")
@click.option("--batch-size", default=1000, hidden=True, type=click.IntRange(1, 1_000_000))
@click.pass_context
@plain_errors
def import_command(ctx: click.Context, file: str, mapping_path: str, dry_run: bool,
                   rejects: str | None, as_json: bool, strict: bool, as_user: str | None,
                   batch_size: int) -> None:
    """Import FILE (CSV, XLSX, KoboToolbox or ODK export) as inputs, actions and report-backs.

    Rows already imported are skipped, so the same file (or a later export that
    overlaps it) can be imported again. Exit status 0 when the run completed, even
    with rejected rows."""
    from tracker.io.importer import import_file, write_rejects
    from tracker.io.mapping import load_mapping

    mapping = load_mapping(mapping_path)
    if rejects:
        _check_writable(rejects)  # before the import: its rows are in once it has run
    engine = _engine(ctx)
    init_database(engine)
    with Session(engine) as session:
        actor = _actor(session, as_user)
        result = import_file(session, actor, file, mapping, dry_run=dry_run, strict=strict,
                             batch_size=batch_size)
    if rejects:
        try:
            write_rejects(result, rejects)
        except OSError as exc:  # the folder went away or filled up meanwhile
            click.echo(f"The rejects file {rejects} could not be written ({exc.strerror}); "
                       "the rejected rows are listed below.", err=True)
            rejects = None
    if as_json:
        click.echo(json.dumps(result.as_dict() | {"rejects_file": rejects}, ensure_ascii=False))
        return
    verb = "would be imported" if dry_run else "imported"
    click.echo(f"{'Dry run, nothing written. ' if dry_run else ''}{result.rows_read} rows read "
               f"from {result.file}: {result.imported} {verb}, {result.duplicates} already "
               f"there, {result.rejected} rejected"
               + (f"; {result.places_created} new place(s)" if result.places_created else ""))
    if rejects and result.rejected:
        click.echo(f"Rejected rows written to {rejects}")
    elif result.rejected:
        for r in result.rejections[:10]:
            column = f", column {r.column!r}" if r.column else ""
            click.echo(f"  line {r.line}{column}: {r.reason}", err=True)
        if result.rejected > 10:
            click.echo(f"  ... and {result.rejected - 10} more (--rejects FILE lists them all)",
                       err=True)


def _check_writable(path: str) -> None:
    """A file the command will write, checked before it changes anything."""
    folder = Path(path).resolve().parent
    if not folder.is_dir():
        raise click.BadParameter(f"the folder {folder} does not exist", param_hint="--rejects")
    if not os.access(folder, os.W_OK) or (Path(path).exists() and not os.access(path, os.W_OK)):
        raise click.BadParameter(f"{path} cannot be written here", param_hint="--rejects")


@cli.command("export")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="File to write.")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default=None,
              help="Default: from the --out file name, else csv.")
@click.option("--what", type=click.Choice(["inputs", "actions", "report-backs", "all"]),
              default="all", show_default=True,
              help="'all' is Hearback's exchange format (imports back with "
                   "data/mappings/hearback_export.toml).")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="First day (YYYY-MM-DD).")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Last day, inclusive.")
@click.option("--area", "area", metavar="NAME|ID", help="A region, territory or locality.")
@click.option("--theme", help="Theme code.")
@click.option("--channel", help="Channel code.")
@click.option("--component", help="Component code.")
@click.option("--as", "as_user", metavar="USER",
              help="Export what this user may see (default: system, an admin).")
@click.pass_context
@plain_errors
def export_command(ctx: click.Context, out: str, fmt: str | None, what: str,
                   since: datetime | None, until: datetime | None, area: str | None,
                   theme: str | None, channel: str | None, component: str | None,
                   as_user: str | None) -> None:
    """Export inputs, actions and report-backs as CSV or XLSX, for partners or another database.

    Only what the acting user's role may see is written; text that a spreadsheet would
    run as a formula is neutralised; dates are ISO 8601 in UTC."""

    from tracker.io.exporter import export

    if since and until and since > until:
        raise click.BadParameter("--since is after --until", param_hint="--since")
    fmt = fmt or ("xlsx" if out.lower().endswith((".xlsx", ".xlsm")) else "csv")
    engine = _engine(ctx)
    if current_revision(engine) is None:
        raise HearbackError("the database is not set up yet: run `hearback init` first")
    target = Path(out)
    partial = target.with_name(target.name + ".part")
    with read_session(engine) as session:
        actor = _actor(session, as_user)
        filters = _filters(session, since, until, area, theme, channel, component)
        try:
            summary = export(session, actor, what=what, format=fmt, out=partial,
                             filters=filters)
            os.replace(partial, target)  # a failed export leaves no half-written file
        except OSError as exc:
            raise HearbackError(f"cannot write {out}: {exc.strerror}") from exc
        finally:
            with contextlib.suppress(OSError):  # a read-only folder: the message above says it
                partial.unlink(missing_ok=True)
    click.echo(f"Exported {summary.rows} rows ({what}, {fmt}) to {out}")


for _command in COMMANDS:
    cli.add_command(_command)


def main() -> None:
    cli(obj={}, prog_name="hearback")


if __name__ == "__main__":
    sys.exit(main())
