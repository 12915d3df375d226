"""Checks that do not trust seedlib: read the database back and look for themselves."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal
from typing import Any

from sqlalchemy import MetaData, Table, and_, exists, func, not_, select
from sqlalchemy.engine import Connection

from seedlib.db import engine_for

Snapshot = dict[str, Counter[tuple[str, ...]]]


def user_tables(conn: Connection) -> MetaData:
    """The tables of the default schema, without seedlib's and Alembic's bookkeeping."""
    metadata = MetaData()
    metadata.reflect(conn)
    for table in list(metadata.tables.values()):
        if table.name.startswith(("seedlib_", "alembic_")):
            metadata.remove(table)
    return metadata


def _text(value: Any) -> str:
    if isinstance(value, float):
        return repr(round(value, 9))
    if isinstance(value, Decimal):
        return str(value.normalize())
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None).isoformat()
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    return repr(value)


def snapshot(url: str) -> Snapshot:
    """Every row of every user table, as a multiset of rendered tuples per table."""
    engine = engine_for(url)
    try:
        with engine.connect() as conn:
            metadata = user_tables(conn)
            return {
                table.name: Counter(
                    tuple(_text(v) for v in row) for row in conn.execute(select(table))
                )
                for table in sorted(metadata.tables.values(), key=lambda t: t.name)
            }
    finally:
        engine.dispose()


def counts(url: str) -> dict[str, int]:
    engine = engine_for(url)
    try:
        with engine.connect() as conn:
            metadata = user_tables(conn)
            return {
                t.name: int(conn.execute(select(func.count()).select_from(t)).scalar_one())
                for t in sorted(metadata.tables.values(), key=lambda t: t.name)
            }
    finally:
        engine.dispose()


def orphans(url: str) -> list[tuple[str, str, int]]:
    """(table, constraint, rows) for every foreign key — composite ones too — that some row
    breaks: all of its columns are set and no parent row has those values."""
    engine = engine_for(url)
    found = []
    try:
        with engine.connect() as conn:
            metadata = user_tables(conn)
            for table in sorted(metadata.tables.values(), key=lambda t: t.name):
                for fk in table.foreign_key_constraints:
                    broken = _count_orphans(conn, table, fk)
                    if broken:
                        columns = ",".join(c.name for c in fk.columns)
                        found.append((table.name, fk.name or columns, broken))
    finally:
        engine.dispose()
    return found


def _count_orphans(conn: Connection, table: Table, fk: Any) -> int:
    parent = fk.referred_table.alias("parent")
    pairs = [(e.parent, parent.c[e.column.name]) for e in fk.elements]
    all_set = and_(*(child.isnot(None) for child, _ in pairs))
    matched = exists().where(and_(*(p == child for child, p in pairs)))
    query = select(func.count()).select_from(table).where(all_set, not_(matched))
    return int(conn.execute(query).scalar_one())


def difference(before: Snapshot, after: Snapshot) -> dict[str, dict[str, int]]:
    """Per table: rows that appeared and rows that went missing (empty when equal)."""
    out = {}
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name, Counter()), after.get(name, Counter())
        added, removed = sum((new - old).values()), sum((old - new).values())
        if added or removed:
            out[name] = {"added": added, "removed": removed}
    return out
