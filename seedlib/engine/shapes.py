"""How a table's rows are keyed, hashed and reported; which database errors are rows refused."""

from __future__ import annotations

import contextlib
import hashlib
import sys
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy.schema import PrimaryKeyConstraint, UniqueConstraint

from seedlib.exceptions import ConfigurationError, RowsRefused, SeedError
from seedlib.generate.infer import is_unique, unique_indexes

if TYPE_CHECKING:
    from sqlalchemy import Column, Table
    from sqlalchemy.engine import Connection


BATCH_ROWS = 5000
HASH_BLOCK = 100
DEFAULT_CHUNK_ROWS = 50_000
#: At most this many existing parent keys are read when a parent table is not seeded.
EXISTING_PARENT_KEYS = 100_000
#: A parent table of at most this many rows is read whole, once, for a table whose columns read
#: parent values (``values.parent``); a larger one is queried batch by batch. 200,000 parent
#: rows cost tens of MB for the load of one table.
PARENTS_READ_WHOLE = 200_000
#: At most this many skipped rows are logged one by one per table.
SKIPS_LOGGED = 20
HASH_MOD = 1 << 128
Progress = Callable[[str, int, int], None]
Checkpoint = Callable[[], bool]


@dataclass(frozen=True)
class TableReport:
    """What happened to one table in one run."""

    table: str
    rows: int
    seconds: float
    content_hash: str
    skipped: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    #: Rows left out on purpose: a rule returned ``values.SKIP``, or their parent was left out.
    omitted: int = 0
    #: The row numbers the run made values from, ``[first, end)`` (see ``ordinal_offset``).
    row_numbers: tuple[int, int] | None = None

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else float(self.rows)

    def as_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "rows": self.rows,
            "skipped": self.skipped,
            "skip_reasons": self.reasons,
            "omitted": self.omitted,
            "seconds": round(self.seconds, 4),
            "rows_per_s": round(self.rows_per_second, 1),
            "content_hash": self.content_hash,
            **({"row_numbers": list(self.row_numbers)} if self.row_numbers else {}),
        }


def block_hashes(ordinals: Sequence[int], columns: Sequence[Sequence[Any]]) -> int:
    """Sum of 128-bit digests of the rows in each block of ``HASH_BLOCK`` ordinals.

    ``ordinals`` ascend; ``columns`` hold the rows' values, one sequence per column. A table's
    content hash is the sum over its blocks, so it does not depend on how the rows were
    batched, chunked, resumed or made by workers. A block's digest reads its values column by
    column: a column of text joined (one C call, 4× cheaper than ``repr``), a column of integers
    as 64-bit numbers, decimals as their text, a column of NULLs as its length, any other by
    the ``repr`` of each value; each column's part is prefixed with its length, so no two
    different blocks read the same.
    """
    total = 0
    position = 0
    count = len(ordinals)
    while position < count:
        block_end = (ordinals[position] // HASH_BLOCK + 1) * HASH_BLOCK
        end = bisect_left(ordinals, block_end, position, min(count, position + HASH_BLOCK))
        digest = hashlib.blake2b(digest_size=16)
        for values in columns:
            part = _readable(values[position:end])
            digest.update(len(part).to_bytes(8, "big"))
            digest.update(part)
        total += int.from_bytes(digest.digest(), "big")
        position = end
    return total


def _readable(values: Sequence[Any]) -> bytes:
    first = type(values[0])
    if first is str:
        try:
            text = _SEPARATOR.join(values)
        except TypeError:  # not all text
            pass
        else:
            if text.count(_SEPARATOR) == len(values) - 1:  # no value holds the separator
                return b"s" + text.encode("utf-8", "surrogatepass")
    elif first is int and set(map(type, values)) == {int}:  # not a bool among them
        try:  # 64-bit integers in one C call, little-endian on every machine
            numbers = array("q", values)
        except OverflowError:  # one too large
            pass
        else:
            if sys.byteorder == "big":  # pragma: no cover - no such machine in CI
                numbers.byteswap()
            return b"q" + numbers.tobytes()
    elif first is Decimal:
        text = ",".join(map(str, values))  # a None reads "None", never a number
        return b"d" + text.encode("ascii", "backslashreplace")
    elif values[0] is None and values.count(None) == len(values):
        return b"n" + len(values).to_bytes(4, "big")
    return b"r" + ",".join(map(repr, values)).encode("utf-8", "surrogatepass")


_SEPARATOR = "\x1f"


@dataclass(frozen=True)
class KeyShape:
    """How rows of a table are identified in the ledger.

    A single-column primary key is chosen before generation (``reserved``: taken from the
    sequence or above the maximum for integers, generated otherwise). A composite key is generated
    like other columns and de-duplicated. A table without a primary key is ledgered by value.
    """

    columns: tuple[str, ...]
    integer: bool

    @property
    def reserved(self) -> bool:
        return len(self.columns) == 1

    @property
    def by_value(self) -> bool:
        return not self.columns


def key_shape(table: Table) -> KeyShape:
    columns = list(table.primary_key.columns)
    integer = len(columns) == 1 and is_int(columns[0])
    return KeyShape(tuple(c.name for c in columns), integer)


def single_pk(table: Table) -> Column[Any]:
    columns = list(table.primary_key.columns)
    if len(columns) != 1:
        raise ConfigurationError(
            f"table {table.fullname} has {'no' if not columns else 'a composite'} primary key, "
            "so its rows cannot be updated after loading; make the cycle's edge a column of a "
            "table with a single-column key"
        )
    return columns[0]


def is_int(column: Column[Any]) -> bool:
    try:
        return column.type.python_type is int
    except NotImplementedError:
        return False


def unique_groups(table: Table) -> list[list[str]]:
    """Column names of each composite UNIQUE constraint or unique index (not the key)."""
    groups = [
        [c.name for c in constraint.columns]
        for constraint in table.constraints
        if isinstance(constraint, UniqueConstraint)
        and not isinstance(constraint, PrimaryKeyConstraint)
    ]
    groups += [[c.name for c in index.columns] for index in unique_indexes(table)]
    key = {c.name for c in table.primary_key.columns}
    unique: list[list[str]] = []
    for group in groups:
        if len(group) > 1 and set(group) != key and group not in unique:
            unique.append(group)
    return unique


def natural_keys(table: Table) -> list[Column[Any]]:
    """Columns that are unique on their own (besides the primary key): natural keys."""
    return [c for c in table.columns if not c.primary_key and is_unique(c, table, alone=True)]


@dataclass(frozen=True)
class UniqueGroup:
    """A composite key or UNIQUE among the written columns, and the values seen so far."""

    names: tuple[str, ...]
    positions: tuple[int, ...]
    seen: set[tuple[Any, ...]]
    #: Values added during the current segment, so a rejected segment can be undone.
    journal: list[tuple[Any, ...]] = field(default_factory=list)


@contextlib.contextmanager
def attempt(conn: Connection) -> Iterator[None]:
    """A savepoint for a statement that may fail, rolled back on an error *and released*:
    ``ROLLBACK TO SAVEPOINT`` alone keeps it open, so the next one nests inside it, and on
    PostgreSQL each level keeps a lock until the transaction ends (halving 20,000 rows, 12,000
    of them ran the server's lock table out of shared memory)."""
    savepoint = conn.begin_nested()
    try:
        yield
    except BaseException:
        savepoint.rollback()
        conn.exec_driver_sql(f"RELEASE SAVEPOINT {savepoint._savepoint}")
        raise
    savepoint.commit()


def first_line(exc: BaseException) -> str:
    """The first line of a database error, without SQLAlchemy's statement and parameters."""
    original = getattr(exc, "orig", None) or exc
    if isinstance(original, RowsRefused):
        return original.detail[:300]
    return (str(original).strip().splitlines() or [type(original).__name__])[0][:300]


#: MySQL/MariaDB error codes for rows the server refuses (not for lost connections).
_MYSQL_ROW_ERRORS = {1048, 1062, 1264, 1265, 1292, 1366, 1406, 1452, 1644, 3819, 4025}


def rejected_by_database(exc: BaseException) -> bool:
    """Whether ``exc`` is the database refusing rows (a constraint, a value, a trigger), as
    opposed to a lost connection or a bug: only those are bisected."""
    original = getattr(exc, "orig", None) or exc
    if isinstance(original, RowsRefused):  # MySQL's warnings, raised by the loader
        return True
    if isinstance(original, SeedError):  # seedlib's own DataError is not the database's
        return False
    names = {cls.__name__ for cls in type(original).__mro__}
    if names & {"IntegrityError", "DataError", "RaiseException"}:
        return True
    module = type(original).__module__
    if module.startswith("pymysql") and original.args:
        return original.args[0] in _MYSQL_ROW_ERRORS
    return False


def repoint_self_references(
    rows: list[list[Any]], self_refs: list[tuple[int, bool]], skipped: set[Any]
) -> None:
    """Rows pointing at a row of their own table that was skipped point at nothing instead
    (NULL), or at themselves when the column is NOT NULL."""
    for position, nullable in self_refs:
        for values in rows:
            if values[position] in skipped:
                values[position] = None if nullable else values[0]
