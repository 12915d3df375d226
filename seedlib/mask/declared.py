"""A seed revision's declaration that a table's rows come from real data, not from generators.

``TableSpec(source=Source("data/clients.csv"))`` says *where* the rows are and how they map onto
the table; opening, validating, masking and loading them is the engine's job
(:mod:`seedlib.engine.sources`). The declaration itself does no I/O until asked to count or open.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Table

    from seedlib.mask.sources import CsvSource, DatabaseSource, JsonLinesSource


@dataclass(frozen=True)
class Source:
    """Rows for one table from a CSV or JSON Lines file, or from another database.

    Args:
        location: a ``.csv``/``.jsonl`` path (relative paths are relative to the current
            directory; a revision usually writes ``Path(__file__).parent / ...``) or a
            SQLAlchemy URL.
        mapping: source column → target column, or ``None`` to drop a source column; columns
            not named keep their name.
        source_table: with a URL, the table to read (in primary-key order).
        query: with a URL, a SELECT to read instead of a table.
        masking: masking overrides, target column → PII kind or strategy (``redact``,
            ``null``, …), on top of ``Column.info["pii"]``.

    The row count of the table is the source's row count, whatever ``--size`` says. The
    source's value of the table's single-column primary key is the row's *source key*: it is
    not loaded (seedlib reserves new keys as usual), but foreign keys of other sourced tables of
    the same revision that hold it are rewritten to the new key.
    """

    location: str | Path
    mapping: Mapping[str, str | None] | None = None
    source_table: str | None = None
    query: str | None = None
    masking: Mapping[str, str] = field(default_factory=dict)

    @property
    def where(self) -> str:
        """The location, fit for logs (a URL's password hidden)."""
        text = str(self.location)
        if "://" in text:
            from seedlib.config import mask_url

            return mask_url(text)
        return text

    def open(self, table: Table) -> CsvSource | JsonLinesSource | DatabaseSource:
        """The source typed for ``table``, validated whole (nothing is loaded yet).

        Raises:
            ConfigurationError: the file or table does not exist, the format is unknown.
            SourceError: the source is malformed (file and line in the message).
        """
        from seedlib.mask.sources import open_source

        return open_source(
            self.location,
            table,
            self.mapping,
            source_table=self.source_table,
            query=self.query,
        )

    def count(self, table: Table) -> int:
        """How many rows the source has for ``table`` (reads and validates it once)."""
        from seedlib.mask.sources import DatabaseSource

        source = self.open(table)
        try:
            return source.count()
        finally:
            if isinstance(source, DatabaseSource):
                source.dispose()
