"""MySQL/MariaDB loader: ``LOAD DATA LOCAL INFILE`` when the server allows it, else executemany.

Measured on MariaDB 10.11 (benchmarks/mysql_loaders.py): LOAD DATA LOCAL loads pre-built rows
about 1.9× faster than executemany. With LOCAL the server turns data errors into warnings, so
every load is checked: a row count or warning that is off fails the batch (and the revision).
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from seedlib.exceptions import DataError

if TYPE_CHECKING:
    from sqlalchemy import Table
    from sqlalchemy.engine import Connection

#: Connections where the server refused LOCAL INFILE (by id), so we stop trying.
_REFUSED: set[int] = set()
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\0": "\\0"})


def _field(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, int | float | Decimal | dt.date | dt.time):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("latin-1").translate(_ESCAPES)
    return str(value).translate(_ESCAPES)


def load_rows(
    conn: Connection, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Load ``rows`` in ``conn``'s transaction; raise ``DataError`` if the server changed any."""
    raw = conn.connection.driver_connection
    if raw is None or id(raw) in _REFUSED or not getattr(raw, "_local_infile", False):
        from seedlib.load.generic import insert_rows

        insert_rows(conn, table, columns, rows)
        return
    preparer = conn.dialect.identifier_preparer
    names = ", ".join(preparer.quote(c) for c in columns)
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".tsv", delete=False) as out:
        out.writelines("\t".join(_field(v) for v in row) + "\n" for row in rows)
    try:
        cursor = raw.cursor()
        try:
            loaded = cursor.execute(
                f"LOAD DATA LOCAL INFILE %s INTO TABLE {preparer.format_table(table)} "
                "CHARACTER SET utf8mb4 FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' "
                f"LINES TERMINATED BY '\\n' ({names})",
                (out.name,),
            )
            warnings = cursor.execute("SHOW WARNINGS") and cursor.fetchall()
        except Exception as exc:
            if "not allowed" not in str(exc) and "disabled" not in str(exc):
                raise
            _REFUSED.add(id(raw))
            from seedlib.load.generic import insert_rows

            insert_rows(conn, table, columns, rows)
            return
        finally:
            cursor.close()
    finally:
        os.unlink(out.name)
    if loaded != len(rows) or warnings:
        detail = warnings[0][2] if warnings else f"{loaded} of {len(rows)} rows loaded"
        raise DataError(
            f"the server changed or dropped rows while loading {table.fullname} ({detail}); "
            "the revision was rolled back"
        )
