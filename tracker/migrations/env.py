"""Alembic environment: runs against the connection handed over by ``tracker.migrate``."""

from alembic import context

import tracker.models  # noqa: F401 - registers the tables on the metadata
from tracker.models import metadata

config = context.config


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        from tracker.db import make_engine

        engine = make_engine(config.get_main_option("sqlalchemy.url") or None)
        with engine.connect() as connection:
            _run(connection)
        return
    _run(connection)


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    def for_this_database(obj, name, type_, reflected, compare_to) -> bool:  # type: ignore[no-untyped-def]
        """Leave out what the models create on another database only (``Index.ddl_if``),
        which autogenerate would otherwise report as missing here."""
        only_on = getattr(getattr(obj, "_ddl_if", None), "dialect", None)
        return only_on is None or only_on == connection.dialect.name

    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,
        compare_type=True,
        include_object=for_this_database,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `hearback init`")
run_migrations_online()
