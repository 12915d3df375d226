"""Prove that no original PII value from a source reached a database.

The source's PII columns (named explicitly, else suggested by :mod:`seedlib.mask.scan`) give a
set of original values per kind, normalised as masking normalises them (case, spacing, and for
phones, tax ids and cards, digits only). Then every text column of the target is read in
batches; a value equal to an original, or text that embeds an original email, phone number,
SSN/EIN, card number or full name (found as free-text masking finds them), is a finding.
Findings carry where and how many — never the values.

Quasi-identifiers (city, first or last name alone, postal code, date of birth) are not checked
by default: equal values occur by chance (many people are called Smith), so equality proves
nothing. Name them in ``columns`` to check them anyway.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import MetaData, select, types

from seedlib.exceptions import ConfigurationError
from seedlib.mask.convert import is_text
from seedlib.mask.maskers import Vocabulary, embedded, fold, strings
from seedlib.mask.policy import QUASI_IDENTIFIERS
from seedlib.mask.scan import (
    THRESHOLD,
    is_placeholder,
    kind_from_name,
    kind_from_values,
    looks_like,
)
from seedlib.mask.session import normalise
from seedlib.mask.sources import reader

if TYPE_CHECKING:
    from seedlib.mask.sources import RowSource


_DIGIT_KINDS = frozenset({"phone", "tax_id", "card_number"})
#: Kinds found inside free text (see :func:`in_text`).
_EMBEDDED_KINDS = ("email", "phone", "tax_id", "card_number", "person_name")
_MIN_DIGITS = 7
_PHONE_IN_TEXT = re.compile(r"\+?\(?\d[\d\s().-]{5,}\d")
_SAMPLE_ROWS = 200


@dataclass(frozen=True)
class Finding:
    """Original values of ``source_kind`` found in ``table.column`` (``how``: exact/embedded)."""

    table: str
    column: str
    kind: str
    how: str
    count: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class VerifyReport:
    """What was checked and what was found; ``ok`` when nothing was."""

    checked_columns: dict[str, str]
    originals: dict[str, int]
    scanned: dict[str, int] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checked_columns": self.checked_columns,
            "originals": self.originals,
            "scanned_values": self.scanned,
            "findings": [f.as_dict() for f in self.findings],
        }


def pii_columns(source: RowSource) -> dict[str, str]:
    """Source column → kind, suggested from names (when the first rows' values look like that
    kind) and from the first rows' values. Placeholders (``N/A``, ``none``, ``-``, empty) count
    neither for nor against a kind: an ``ssn`` column that is half ``n/a`` is still checked."""
    head = source.rows(0, _SAMPLE_ROWS)
    out: dict[str, str] = {}
    for column in source.columns:
        values = [row.get(column) for row in head]
        kind = kind_from_name(column)
        present = [v for v in values if not is_placeholder(v)]
        if kind is not None and present:
            # A name only counts when the values agree (``email_verified`` holds booleans).
            matched = sum(1 for v in present if looks_like(kind, v))
            if matched < THRESHOLD * len(present):
                kind = None
        if kind is None:
            kind, _, _ = kind_from_values(present)
        if kind is not None and kind not in QUASI_IDENTIFIERS:
            out[column] = kind
    return out


def _originals(
    source: RowSource, columns: Mapping[str, str], batch_rows: int
) -> dict[str, set[str]]:
    sets: dict[str, set[str]] = {kind: set() for kind in columns.values()}
    for kind in _EMBEDDED_KINDS:
        sets.setdefault(kind, set())
    vocabulary = Vocabulary()
    total = source.count()
    for start in range(0, total, batch_rows):
        for row in source.rows(start, min(total, start + batch_rows)):
            for column, kind in columns.items():
                value = row.get(column)
                if is_placeholder(value):
                    continue  # an ``n/a`` in the target proves nothing
                if kind == "free_text":
                    for text in strings(value):
                        for found_kind, key in in_text(text, vocabulary):
                            sets[found_kind].add(key)
                    continue
                key = normalise(kind, value)
                if kind in _DIGIT_KINDS and len(key) < _MIN_DIGITS:
                    continue
                sets[kind].add(key)
    sets.pop("free_text", None)
    return {kind: values for kind, values in sets.items() if values}


def in_text(text: str, vocabulary: Vocabulary) -> Iterator[tuple[str, str]]:
    """``(kind, normalised value)`` of the PII that free-text masking replaces in ``text``:
    emails, phone numbers, SSNs/EINs, card numbers, and full names (two or more names in a
    row; a single name is a quasi-identifier)."""
    run: list[str] = []
    end = -1
    for kind, found, start, stop in embedded(text, vocabulary):
        if kind == "first_name":
            if run and text[end:start].strip():
                yield from _full_name(run)
                run = []
            run.append(found)
            end = stop
            continue
        key = normalise(kind, found)
        if kind not in _DIGIT_KINDS or len(key) >= _MIN_DIGITS:
            yield kind, key
    yield from _full_name(run)


def _full_name(words: list[str]) -> Iterator[tuple[str, str]]:
    if len(words) >= 2:
        yield "person_name", normalise("person_name", " ".join(words))


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def verify(
    source: RowSource,
    database_url: str,
    *,
    columns: Mapping[str, str] | None = None,
    tables: Sequence[str] | None = None,
    schemas: Sequence[str | None] = (None,),
    batch_rows: int = 5000,
) -> VerifyReport:
    """Scan ``database_url`` for original PII values of ``source``.

    Args:
        source: the original data (unmasked), e.g. the CSV a seed revision loaded.
        database_url: the database to check.
        columns: source column → PII kind to check (default: :func:`pii_columns`).
        tables: target tables to read (default: every table).
        schemas: the schemas to read (None: the default one); tables outside the default
            schema are reported as ``schema.table``.

    Returns:
        A report; ``report.ok`` is false when any original value was found.

    Raises:
        ConfigurationError: ``columns`` names a column the source does not have.
    """
    if columns is not None:
        absent = [c for c in columns if c not in source.columns]
        if absent:
            raise ConfigurationError(
                f"the source has no column(s) {', '.join(absent)}; its columns are "
                f"{', '.join(source.columns)}"
            )
    checked = dict(columns) if columns is not None else pii_columns(source)
    originals = _originals(source, checked, batch_rows)
    report = VerifyReport(checked, {k: len(v) for k, v in originals.items()})
    phones = originals.get("phone", set())
    vocabulary = Vocabulary()
    engine = reader(database_url)
    try:
        with engine.connect() as conn:
            metadata = MetaData()
            for schema in dict.fromkeys(schemas):
                metadata.reflect(bind=conn, schema=schema, only=list(tables) if tables else None)
            for table in sorted(metadata.tables.values(), key=lambda t: t.fullname):
                for column in table.columns:
                    structured = isinstance(column.type, types.JSON)
                    if not (structured or is_text(column)):
                        continue
                    counts: dict[tuple[str, str], int] = {}
                    scanned = 0
                    result = conn.execution_options(stream_results=True, yield_per=batch_rows)
                    query = select(column).where(column.is_not(None))
                    for value in result.execute(query).scalars():
                        scanned += 1
                        if not structured:
                            _check(str(value), originals, phones, vocabulary, counts)
                            continue
                        found: dict[tuple[str, str], int] = {}
                        for text in strings(_parsed(value)):
                            _check(text, originals, phones, vocabulary, found)
                        for where in found:  # one finding per value, however many strings
                            counts[where] = counts.get(where, 0) + 1
                    report.scanned[f"{table.fullname}.{column.name}"] = scanned
                    report.findings.extend(
                        Finding(table.fullname, column.name, kind, how, n)
                        for (kind, how), n in sorted(counts.items())
                    )
    finally:
        engine.dispose()
    return report


def _parsed(value: Any) -> Any:
    """A JSON column's value as data (some drivers return the document as text)."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _check(
    text: str,
    originals: Mapping[str, set[str]],
    phones: set[str],
    vocabulary: Vocabulary,
    counts: dict[tuple[str, str], int],
) -> None:
    text = fold(text)
    hit = False
    has_letters = any(c.isalpha() for c in text)
    for kind, values in originals.items():
        if kind in _DIGIT_KINDS and has_letters:
            continue  # digits of prose are not a number; the embedded check below covers it
        if normalise(kind, text) in values:
            counts[kind, "exact"] = counts.get((kind, "exact"), 0) + 1
            hit = True
    if hit:
        return
    for kind, key in in_text(text, vocabulary):
        if key in originals.get(kind, ()):
            counts[kind, "embedded"] = counts.get((kind, "embedded"), 0) + 1
            return
    if phones and len(text) >= 8:
        for m in _PHONE_IN_TEXT.findall(text):
            if _digits(m) in phones:
                counts["phone", "embedded"] = counts.get(("phone", "embedded"), 0) + 1
                return
