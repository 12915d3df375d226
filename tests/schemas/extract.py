"""How the MLflow and Buildbot DDL in this folder was produced (not used by the tests).

Run it in a separate virtual environment that has the third-party package installed, never in
seedlib's own (neither package is a dependency of seedlib):

    python -m venv /tmp/extract && /tmp/extract/bin/pip install buildbot==4.3.0
    /tmp/extract/bin/python tests/schemas/extract.py buildbot sqlite \\
        > tests/schemas/buildbot/schema.sqlite.sql

Buildbot: the DDL SQLAlchemy compiles from ``buildbot.db.model.Model.metadata`` (the model that
Buildbot's own test-suite holds its migrations to), tables in dependency order, then indexes.

MLflow (``mlflow-skinny==3.17.2``, plus ``psycopg[binary]`` and ``pymysql``): MLflow's model
classes are not ``create_all``-able on their own (MLflow builds its database with its Alembic
migrations), so the DDL is a dump of a database that MLflow itself initialised:

    python tests/schemas/extract.py mlflow-init postgresql+psycopg://postgres@127.0.0.1/mlflow_extract
    pg_dump --schema-only --no-owner --no-privileges --no-comments -T alembic_version mlflow_extract
    sqlite3 mlflow.db .schema                      # minus the alembic_version table
    mysqldump --no-data --skip-comments --skip-dump-date \\
        --ignore-table=mlflow_extract.alembic_version mlflow_extract   # DEFINER clause removed
"""

from __future__ import annotations

import sys


def buildbot_ddl(dialect_name: str) -> str:
    from buildbot.db import model  # type: ignore[import-not-found]
    from sqlalchemy.dialects import mysql, postgresql, sqlite
    from sqlalchemy.schema import CreateIndex, CreateTable

    dialect = {"sqlite": sqlite, "postgresql": postgresql, "mysql": mysql}[dialect_name].dialect()
    out = []
    for table in model.Model.metadata.sorted_tables:
        out.append(str(CreateTable(table).compile(dialect=dialect)).strip() + ";\n")
        for index in sorted(table.indexes, key=lambda i: i.name or ""):
            out.append(str(CreateIndex(index).compile(dialect=dialect)).strip() + ";\n")
    return "\n".join(out)


def mlflow_init(url: str) -> None:
    import sqlalchemy
    from mlflow.store.db.utils import _initialize_tables  # type: ignore[import-not-found]

    _initialize_tables(sqlalchemy.create_engine(url))


if __name__ == "__main__":
    if sys.argv[1] == "buildbot":
        print(buildbot_ddl(sys.argv[2]))
    elif sys.argv[1] == "mlflow-init":
        mlflow_init(sys.argv[2])
    else:
        raise SystemExit(__doc__)
