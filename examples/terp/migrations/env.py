"""Alembic environment of TERP's schema migrations.

The database is ``$DATABASE_URL`` when set, else ``sqlalchemy.url`` from ``alembic.ini``.
A caller that already holds a connection (tests, or a tool driving Alembic programmatically)
can pass it as ``config.attributes["connection"]``; it is then used as is, and logging is left
to that caller.
"""

import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import create_engine, pool
from sqlalchemy.engine import Connection

from examples.terp.models import metadata
from seedlib.db import normalise_url
from seedlib.integrations.alembic import include_object

config = context.config

#: The schema the migrations must produce; ``alembic check`` compares the database to it.
target_metadata = metadata

if config.config_file_name is not None and config.attributes.get("connection") is None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def database_url() -> str:
    """``$DATABASE_URL`` if set and not empty, else the ini file's ``sqlalchemy.url``, with
    the drivers seedlib uses (``mysql://`` means PyMySQL, as for seedctl: one variable then
    points both at the same database)."""
    url = os.environ.get("DATABASE_URL") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("set DATABASE_URL or sqlalchemy.url in alembic.ini")
    return normalise_url(url).render_as_string(hide_password=False)


def run_migrations_offline() -> None:
    """Emit the migrations as SQL on stdout, without a database connection."""
    context.configure(
        url=database_url(),
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        target_metadata=target_metadata,
        # SQLite can alter most constraints only by copying the table ("batch" mode).
        render_as_batch=True,
        compare_type=True,
        # Hide seedlib's bookkeeping tables from autogenerate and ``alembic check``.
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the migrations on the caller's connection, or on a fresh one to the database URL."""
    connection = config.attributes.get("connection")
    if connection is not None:
        run_migrations_on(connection)
        return
    engine = create_engine(database_url(), poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            run_migrations_on(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
