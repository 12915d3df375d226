"""Schemas written by other projects, vendored as DDL (see README.md in each folder).

Each folder holds ``schema.<dialect>.sql`` for the dialects its project supports:
``sqlite``, ``postgresql`` and ``mysql`` (MariaDB).
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

from seedlib.db import engine_for

HERE = Path(__file__).resolve().parent
#: Name → the project it comes from (for reports).
SCHEMAS = {
    "powerdns": "PowerDNS Authoritative Server 4.7.3 generic SQL backends (Debian pdns-backend-*)",
    "mlflow": "MLflow 3.17.2 tracking + model registry store (PyPI mlflow-skinny)",
    "buildbot": "Buildbot 4.3.0 master database model (PyPI buildbot)",
}

# Plain comments only: MySQL runs the code inside ``/*! ... */`` (mysqldump relies on it).
_BLOCK_COMMENT = re.compile(r"/\*(?![!M]).*?\*/", re.DOTALL)
_LINE_COMMENT = re.compile(r"^\s*--.*$", re.MULTILINE)


def dialect_of(url: str) -> str:
    """``sqlite``, ``postgresql`` or ``mysql`` (MariaDB too)."""
    backend = make_url(url).get_backend_name()
    return "mysql" if backend == "mariadb" else backend


def ddl_path(name: str, dialect: str) -> Path:
    return HERE / name / f"schema.{dialect}.sql"


def has_dialect(name: str, dialect: str) -> bool:
    return ddl_path(name, dialect).is_file()


def statements(name: str, dialect: str) -> list[str]:
    """The DDL statements of one schema for one dialect, in file order.

    Keeps SQLite trigger bodies and PostgreSQL ``$$`` function bodies whole, follows the
    ``DELIMITER`` lines of mysqldump output and drops psql meta-commands (``\\restrict``).
    """
    sql = ddl_path(name, dialect).read_text(encoding="utf-8")
    sql = _LINE_COMMENT.sub("", _BLOCK_COMMENT.sub("", sql))
    if dialect == "postgresql":
        sql = "\n".join(line for line in sql.splitlines() if not line.startswith("\\"))
        # Split outside dollar-quoted bodies only.
        parts = re.split(r"(\$\$.*?\$\$)", sql, flags=re.DOTALL)
        out: list[str] = []
        current = ""
        for i, part in enumerate(parts):
            if i % 2:
                current += part
                continue
            pieces = part.split(";")
            current += pieces[0]
            for piece in pieces[1:]:
                out.append(current)
                current = piece
        out.append(current)
        return [s.strip() for s in out if s.strip()]
    out = []
    delimiter = ";"
    current = ""
    for line in sql.splitlines(keepends=True):
        if line.strip().upper().startswith("DELIMITER "):
            delimiter = line.split()[1]
            continue
        current += line
        done = current.rstrip().endswith(delimiter)
        if dialect == "sqlite":  # a trigger's body has semicolons of its own
            done = sqlite3.complete_statement(current)
        if done:
            out.append(current.rstrip()[: -len(delimiter)])
            current = ""
    out.append(current)
    return [s.strip() for s in out if s.strip()]


def create(name: str, url: str) -> None:
    """Run schema ``name``'s DDL in the (empty) database at ``url``, on one connection."""
    engine = engine_for(url)
    try:
        with engine.begin() as conn:
            for statement in statements(name, dialect_of(url)):
                conn.exec_driver_sql(statement)
    finally:
        engine.dispose()
