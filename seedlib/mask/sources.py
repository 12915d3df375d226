"""Row sources: CSV, JSON Lines, or another database, read in batches and typed for a table.

A source is validated whole in a first streaming pass (every row parsed, mapped and converted)
before its first row is handed out, so a malformed file stops the run before anything is loaded;
the error names the file and the line. Then rows are streamed again, batch by batch, in constant
memory, by ordinal: the engine calls ``rows(start, stop)`` with increasing ranges.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from seedlib.config import mask_url
from seedlib.exceptions import ConfigurationError, DataError
from seedlib.mask.convert import Converter, converter_for, is_required, is_text

if TYPE_CHECKING:
    from sqlalchemy import Table
    from sqlalchemy.engine import Connection, Engine, Result


def reader(url: str) -> Engine:
    """An engine for reading only: no SQLite write lock at ``BEGIN`` (unlike
    :func:`seedlib.db.engine_for`), so a scan or a source never blocks a writer."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    from seedlib.db import normalise_url

    return create_engine(normalise_url(url), poolclass=NullPool)


@runtime_checkable
class RowSource(Protocol):
    """Rows by ordinal. ``columns`` are target column names; ``rows`` is called with
    increasing, usually adjacent ranges (sequential access)."""

    columns: list[str]

    def count(self) -> int: ...

    def rows(self, start: int, stop: int) -> list[dict[str, Any]]: ...


class SourceError(DataError):
    """A source is malformed; ``problems`` holds one entry with the file (or URL) and line."""

    def __init__(self, where: str, line: int | None, reason: str, *, unit: str = "line") -> None:
        at = f"{where}, {unit} {line}" if line is not None else where
        super().__init__(
            f"{at}: {reason}; nothing of its revision was loaded", [{"source": where, "line": line}]
        )
        self.where = where
        self.line = line


class _Typed:
    """Maps raw records (source column → value) onto a table's columns and converts them."""

    def __init__(
        self,
        where: str,
        table: Table | None,
        mapping: Mapping[str, str | None] | None,
        unit: str = "line",
    ) -> None:
        self.where = where
        self.unit = unit
        self.table = table
        self.mapping = dict(mapping or {})
        self.columns: list[str] = []
        self.source_columns: list[str] = []
        self._plan: list[tuple[str, str, Converter | None, bool]] = []

    def bind(self, source_columns: list[str], line: int | None) -> None:
        """Decide, from the source's column names, which target column each one fills."""
        dupes = sorted({c for c in source_columns if source_columns.count(c) > 1})
        if dupes:
            raise self._error(line, f"duplicate column(s) {', '.join(dupes)}")
        unknown_mapped = sorted(set(self.mapping) - set(source_columns))
        if unknown_mapped:
            raise self._error(
                line, f"the mapping names missing column(s) {', '.join(unknown_mapped)}"
            )
        plan: list[tuple[str, str, Converter | None, bool]] = []
        unknown: list[str] = []
        for name in source_columns:
            target = self.mapping.get(name, name)
            if target is None:
                continue
            if self.table is None:
                plan.append((name, target, None, True))
                continue
            column = self.table.columns.get(target)
            if column is None:
                unknown.append(name)
                continue
            plan.append((name, target, converter_for(column), is_text(column)))
        if unknown:
            target_name = self.table.name if self.table is not None else "?"
            raise self._error(
                line,
                f"column(s) {', '.join(unknown)} are not in table {target_name}"
                " (map them to a column, or drop them with mapping={name: None})",
            )
        if self.table is not None:
            filled = {target for _, target, _, _ in plan}
            missing = [
                c.name for c in self.table.columns if is_required(c) and c.name not in filled
            ]
            if missing:
                raise self._error(line, f"required column(s) missing: {', '.join(missing)}")
        self._plan = plan
        self.source_columns = list(source_columns)
        self.columns = [target for _, target, _, _ in plan]

    def convert(self, record: Mapping[str, Any], line: int | None, *, text: bool) -> dict[str, Any]:
        """One typed row; ``text`` says empty strings mean NULL (CSV) except in text columns."""
        row: dict[str, Any] = {}
        for name, target, convert, is_string in self._plan:
            if name not in record:
                raise self._error(line, f"column {name!r} is missing")
            value = record[name]
            if text and value == "" and not is_string:
                value = None
            if value is None:
                column = self.table.columns[target] if self.table is not None else None
                if column is not None and is_required(column):
                    raise self._error(line, f"{name}: a value is required")
                row[target] = None
                continue
            if convert is not None:
                try:
                    value = convert(value)
                except ValueError as exc:
                    raise self._error(line, f"{name}: {exc}") from None
            row[target] = value
        return row

    def _error(self, line: int | None, reason: str) -> SourceError:
        return SourceError(self.where, line, reason, unit=self.unit)


class _Sequential:
    """Validation pass, ``count()``, and sequential ``rows(start, stop)`` over ``_records``."""

    def __init__(self, typed: _Typed) -> None:
        self._typed = typed
        self.columns: list[str] = []
        self._count: int | None = None
        self._stream: Iterator[dict[str, Any]] | None = None
        self._position = 0

    def _records(self) -> Iterator[dict[str, Any]]:
        raise NotImplementedError

    def validate(self) -> int:
        """Read the whole source once, converting every row; return the number of rows.

        Raises:
            SourceError: the first malformed row, with its file (or URL) and line.
        """
        if self._count is None:
            self._count = sum(1 for _ in self._records())
        return self._count

    def count(self) -> int:
        return self.validate()

    def rows(self, start: int, stop: int) -> list[dict[str, Any]]:
        """Rows ``start`` to ``stop`` (exclusive); cheapest when ranges follow one another."""
        self.validate()
        if self._stream is None or start < self._position:
            self.close()
            self._stream = self._records()
            self._position = 0
        stream = self._stream
        while self._position < start and next(stream, None) is not None:
            self._position += 1
        out: list[dict[str, Any]] = []
        while self._position < stop:
            row = next(stream, None)
            if row is None:
                break
            out.append(row)
            self._position += 1
        return out

    def close(self) -> None:
        self._stream = None

    def __iter__(self) -> Iterator[dict[str, Any]]:
        self.validate()
        return self._records()


def _lines(path: Path, encoding: str) -> Iterator[tuple[int, str]]:
    """(line number, decoded line) pairs; a line that does not decode stops with its number."""
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                text = raw.decode(encoding)
            except UnicodeDecodeError as exc:
                raise SourceError(
                    str(path), number, f"not valid {encoding} (byte {exc.start + 1} of the line)"
                ) from None
            if number == 1 and text.startswith("\ufeff"):
                text = text[1:]
            yield number, text


class CsvSource(_Sequential):
    """A CSV file with a header row (RFC 4180 quoting)."""

    def __init__(
        self,
        path: str | Path,
        table: Table | None = None,
        mapping: Mapping[str, str | None] | None = None,
        *,
        encoding: str = "utf-8",
        delimiter: str = ",",
    ) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise ConfigurationError(f"source file {self.path} does not exist")
        self.encoding = encoding
        self.delimiter = delimiter
        super().__init__(_Typed(str(self.path), table, mapping))
        header = next(self._raw(), None)
        if header is None:
            raise SourceError(str(self.path), 1, "empty file: expected a header row")
        self._typed.bind(header[1], 1)
        self.columns = self._typed.columns

    def _raw(self) -> Iterator[tuple[int, list[str]]]:
        state = {"line": 0}

        def lines() -> Iterator[str]:
            for number, text in _lines(self.path, self.encoding):
                state["line"] = number
                yield text

        reader = csv.reader(lines(), delimiter=self.delimiter, strict=True)
        try:
            for fields in reader:
                yield state["line"], fields
        except csv.Error as exc:
            raise SourceError(str(self.path), state["line"], f"bad CSV ({exc})") from None

    def _records(self) -> Iterator[dict[str, Any]]:
        raw = self._raw()
        _, header = next(raw)
        width = len(header)
        for line, fields in raw:
            if not fields:
                continue
            if len(fields) != width:
                raise SourceError(
                    str(self.path), line, f"{len(fields)} fields where the header has {width}"
                )
            yield self._typed.convert(dict(zip(header, fields, strict=True)), line, text=True)


class JsonLinesSource(_Sequential):
    """A JSON Lines file: one JSON object per line; blank lines are skipped."""

    def __init__(
        self,
        path: str | Path,
        table: Table | None = None,
        mapping: Mapping[str, str | None] | None = None,
        *,
        encoding: str = "utf-8",
    ) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise ConfigurationError(f"source file {self.path} does not exist")
        self.encoding = encoding
        super().__init__(_Typed(str(self.path), table, mapping))
        first = next(self._objects(), None)
        if first is None:
            raise SourceError(str(self.path), None, "no JSON objects in the file")
        self._typed.bind(list(first[1]), first[0])
        self.columns = self._typed.columns

    def _objects(self) -> Iterator[tuple[int, dict[str, Any]]]:
        for number, text in _lines(self.path, self.encoding):
            if not text.strip():
                continue
            try:
                value = json.loads(text)
            except json.JSONDecodeError as exc:
                raise SourceError(str(self.path), number, f"bad JSON ({exc.msg})") from None
            if not isinstance(value, dict):
                raise SourceError(str(self.path), number, "expected a JSON object")
            yield number, value

    def _records(self) -> Iterator[dict[str, Any]]:
        expected = set(self._typed.source_columns)
        for number, value in self._objects():
            extra = sorted(set(value) - expected)
            if extra and self._typed.table is not None:
                raise SourceError(str(self.path), number, f"unexpected key(s) {', '.join(extra)}")
            yield self._typed.convert(value, number, text=False)


def _reason(exc: BaseException) -> str:
    """The database's own message for ``exc`` on one line (without SQLAlchemy's statement,
    parameters and links, or the server's caret lines)."""
    orig = getattr(exc, "orig", None)
    lines = str(orig if orig is not None else exc).strip().splitlines()
    return lines[0].strip() if lines else type(exc).__name__


class DatabaseSource(_Sequential):
    """Rows of a table (in primary-key order) or of a SELECT query in another database.

    Streams with a server-side cursor where the driver has one. Call :meth:`close` (or use it
    as a context manager) to release the connection.
    """

    def __init__(
        self,
        url: str,
        table: Table | None = None,
        mapping: Mapping[str, str | None] | None = None,
        *,
        source_table: str | None = None,
        query: str | None = None,
        batch_rows: int = 1000,
    ) -> None:
        from sqlalchemy import MetaData, select, text
        from sqlalchemy import Table as SaTable
        from sqlalchemy.exc import NoSuchTableError

        if (source_table is None) == (query is None):
            raise ConfigurationError("a database source needs a table name or a query, not both")
        self.url = url
        self.batch_rows = batch_rows
        self._engine: Engine = reader(url)
        self._conn: Connection | None = None
        self._result: Result[Any] | None = None
        where = f"{mask_url(url)} {source_table or 'query'}"
        super().__init__(_Typed(where, table, mapping, unit="row"))
        try:
            if source_table is not None:
                with self._engine.connect() as conn:
                    reflected = SaTable(source_table, MetaData(), autoload_with=conn)
                order = list(reflected.primary_key.columns) or list(reflected.columns)
                self._statement: Any = select(reflected).order_by(*order)
            else:
                self._statement = text(query or "")
            with self._engine.connect() as conn:
                probe = conn.execution_options(stream_results=True).execute(self._statement)
                keys = list(probe.keys())
                probe.close()
        except NoSuchTableError:
            self._engine.dispose()
            raise ConfigurationError(
                f"source table {source_table!r} not found in {mask_url(url)}"
            ) from None
        except Exception as exc:
            self._engine.dispose()
            raise ConfigurationError(f"cannot read the source {where}: {_reason(exc)}") from None
        self._typed.bind(keys, None)
        self.columns = self._typed.columns

    def _records(self) -> Iterator[dict[str, Any]]:
        self._release()
        conn = self._conn = self._engine.connect()
        result = self._result = conn.execution_options(
            stream_results=True, yield_per=self.batch_rows
        ).execute(self._statement)
        try:
            for number, row in enumerate(result.mappings(), start=1):
                yield self._typed.convert(dict(row), number, text=False)
        finally:
            self._release()

    def _release(self) -> None:
        if self._result is not None:
            self._result.close()
            self._result = None
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def close(self) -> None:
        super().close()
        self._release()

    def dispose(self) -> None:
        """Close the connection and the engine."""
        self.close()
        self._engine.dispose()

    def __enter__(self) -> DatabaseSource:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.dispose()


def open_source(
    location: str | Path,
    table: Table | None = None,
    mapping: Mapping[str, str | None] | None = None,
    *,
    source_table: str | None = None,
    query: str | None = None,
    validate: bool = True,
) -> CsvSource | JsonLinesSource | DatabaseSource:
    """A source for ``location``: a ``.csv`` file, a ``.jsonl``/``.ndjson`` file, or a
    SQLAlchemy URL (with ``source_table`` or ``query``). Validated whole unless ``validate`` is
    false.

    Raises:
        ConfigurationError: the file does not exist, the format is unknown, the table is missing.
        SourceError: the source is malformed (file and line in the message).
    """
    text = str(location)
    source: CsvSource | JsonLinesSource | DatabaseSource
    if "://" in text:
        source = DatabaseSource(text, table, mapping, source_table=source_table, query=query)
    elif text.lower().endswith(".csv"):
        source = CsvSource(text, table, mapping)
    elif text.lower().endswith((".jsonl", ".ndjson")):
        source = JsonLinesSource(text, table, mapping)
    else:
        raise ConfigurationError(
            f"unknown source {text!r}: use a .csv or .jsonl file or a database URL"
        )
    if validate:
        source.validate()
    return source
