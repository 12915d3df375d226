"""Suggest columns that look like personal data, for a person to confirm.

Names are matched on whole words (``cancelled`` is not ``cell``; ``company_name`` is a company,
not a person), values by sampling for email, phone and card-number (Luhn) patterns. A scan only
reports; it never changes a policy.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import MetaData, select

from seedlib.generate.infer import words
from seedlib.mask.convert import is_text
from seedlib.mask.maskers import fold
from seedlib.mask.policy import declared_kind

if TYPE_CHECKING:
    from sqlalchemy import Column, Table
    from sqlalchemy.engine import Connection

_COMPANY = {"business", "company", "vendor", "supplier", "organisation", "organization", "firm"}
_COMPANY |= {"employer", "merchant", "legal", "trading"}
_PERSON = {"contact", "full", "person", "customer", "user", "display", "patient", "employee"}
_PHONE = {"phone", "mobile", "cell", "telephone", "tel", "fax", "cellphone", "msisdn"}
_POSTAL = {"postal", "zip", "postcode", "zipcode"}
_DOB = {"dob", "birthday", "birthdate"}
_FREE_TEXT = {"notes", "note", "comment", "comments", "remarks", "memo"}

EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
PHONE_RE = re.compile(
    r"(?:\+\d{1,3}[\s.-]?)?(?:\(\d{2,4}\)|\d{2,4})[\s.-]?\d{3,4}[\s.-]?\d{3,4}"
    r"(?:\s*(?:x|ext\.?)\s*\d{1,5})?"
)
CARD_RE = re.compile(r"(?:\d[ -]?){12,18}\d")
#: Share of sampled non-empty values that must match for a value-based suggestion.
THRESHOLD = 0.6


@dataclass(frozen=True)
class Suggestion:
    """One column that looks like PII. ``declared`` is its ``info["pii"]`` kind, if any."""

    table: str
    column: str
    kind: str
    reason: str
    declared: str | None = None
    matched: int | None = None
    sampled: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def kind_from_name(name: str) -> str | None:
    """The PII kind a column name suggests, from whole words; None if it suggests none."""
    parts = words(name)
    tokens = set(parts)
    last = parts[-1] if parts else ""
    if "email" in tokens or ("e" in tokens and "mail" in tokens):
        return "email"
    if "ip" in tokens:
        return "ip_address"
    if tokens & _PHONE:
        return "phone"
    if tokens & _POSTAL:
        return "postal_code"
    if tokens & {"ssn", "ein", "tin", "vat"} or ("tax" in tokens and tokens & {"id", "number"}):
        return "tax_id"
    if tokens & {"license", "licence"}:
        return "license_number"
    if tokens & _DOB or ("birth" in tokens and tokens & {"date", "day"}):
        return "date_of_birth"
    if ("card" in tokens and tokens & {"number", "no", "pan"}) or tokens & {"pan", "ccnum"}:
        return "card_number"
    if last == "name" or (tokens & {"company", "business"} and len(parts) == 1):
        if tokens & _COMPANY:
            return "company_name"
        if "first" in tokens or "given" in tokens:
            return "first_name"
        if tokens & {"last", "surname", "family"}:
            return "last_name"
        if tokens & _PERSON:
            return "person_name"
        return None
    if tokens & {"surname"}:
        return "last_name"
    if tokens & {"street", "address"} and not tokens & {"ip", "mac", "email", "web"}:
        return "street_address"
    if "city" in tokens or "town" in tokens:
        return "city"
    if tokens & _FREE_TEXT:
        return "free_text"
    return None


def luhn_valid(text: str) -> bool:
    """Whether ``text``'s digits (13 to 19 of them) pass the Luhn check."""
    digits = [int(c) for c in text if c.isdigit()]
    if not 13 <= len(digits) <= 19:
        return False
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def kind_from_values(values: Iterable[Any]) -> tuple[str | None, int, int]:
    """(kind, matched, sampled) from sampled values: email, card or phone when at least
    :data:`THRESHOLD` of the non-empty values match."""
    texts = [v.strip() for v in (fold(str(x)) for x in values if x is not None) if v.strip()]
    if not texts:
        return None, 0, 0
    tests = (
        ("email", lambda t: EMAIL_RE.fullmatch(t) is not None),
        ("card_number", lambda t: CARD_RE.fullmatch(t) is not None and luhn_valid(t)),
        ("phone", _looks_like_phone),
    )
    for kind, test in tests:
        matched = sum(1 for t in texts if test(t))
        if matched >= THRESHOLD * len(texts):
            return kind, matched, len(texts)
    return None, 0, len(texts)


_FLAGS = frozenset({"true", "false", "t", "f", "yes", "no", "y", "n", "0", "1"})
#: Values that stand for "no value" in exported data; they say nothing about a column's kind.
_PLACEHOLDERS = frozenset(
    {"n/a", "na", "n.a.", "none", "null", "nil", "unknown", "tbd", "tba", "missing", "pending"}
    | {"not available", "not applicable", "not provided", "redacted", "[redacted]"}
)


def is_placeholder(value: Any) -> bool:
    """Whether ``value`` stands for "no value": empty, without a letter or digit (``-``,
    ``?``), or a common placeholder word (``N/A``, ``none``, ``unknown``)."""
    if value is None:
        return True
    if isinstance(value, bool | int | float) or hasattr(value, "isoformat"):
        return False
    text = str(value).strip()
    return not any(c.isalnum() for c in text) or text.casefold() in _PLACEHOLDERS


def looks_like(kind: str, value: Any) -> bool:
    """Whether ``value`` could be a value of ``kind`` (a column named ``email_verified`` holds
    booleans, not emails)."""
    if value is None or isinstance(value, bool):
        return False
    text = fold(str(value)).strip()
    if not text or text.casefold() in _FLAGS:
        return False
    digits = sum(c.isdigit() for c in text)
    letters = any(c.isalpha() for c in text)
    if kind == "email":
        return EMAIL_RE.fullmatch(text) is not None
    if kind == "phone":
        return 7 <= digits <= 15 and PHONE_RE.search(text) is not None
    if kind == "card_number":
        return CARD_RE.fullmatch(text) is not None and luhn_valid(text)
    if kind == "ip_address":
        try:
            ipaddress.ip_address(text)
        except ValueError:
            return False
        return True
    if kind in {"tax_id", "license_number", "postal_code"}:
        return digits > 0 and sum(c.isalnum() for c in text) >= 3
    if kind == "date_of_birth":
        return hasattr(value, "isoformat") or digits >= 4
    return letters


def _looks_like_phone(text: str) -> bool:
    if PHONE_RE.fullmatch(text) is None:
        return False
    digits = sum(c.isdigit() for c in text)
    # Punctuation or a leading + tells a phone number from a plain integer code.
    return 7 <= digits <= 15 and (not text.isdigit() or text.startswith("+"))


def scan_table(
    table: Table, samples: Mapping[str, Sequence[Any]] | None = None
) -> list[Suggestion]:
    """Suggestions for one table from its column names and, if given, sampled values."""
    out: list[Suggestion] = []
    for column in table.columns:
        suggestion = _suggest(table, column, (samples or {}).get(column.name))
        if suggestion is not None:
            out.append(suggestion)
    return out


def _suggest(table: Table, column: Column[Any], sample: Sequence[Any] | None) -> Suggestion | None:
    declared = declared_kind(column)
    by_name = kind_from_name(column.name)
    by_values, matched, sampled = (None, 0, 0) if sample is None else kind_from_values(sample)
    stats = {"matched": matched or None, "sampled": sampled or None}
    # An explicit name wins over another kind's value pattern (tax ids like 12-3456789 also
    # look like phone numbers) unless the values do not look like the name's kind at all.
    if by_name is not None and (by_values is None or _agree(by_name, sample)):
        reason = "name and values" if by_values == by_name else "name"
        return Suggestion(table.name, column.name, by_name, reason, declared, **stats)
    if by_values is not None:
        return Suggestion(table.name, column.name, by_values, "values", declared, **stats)
    if declared is not None:
        return Suggestion(table.name, column.name, declared, "declared", declared)
    return None


def _agree(kind: str, sample: Sequence[Any] | None) -> bool:
    present = [v for v in sample or () if not is_placeholder(v)]
    return sum(1 for v in present if looks_like(kind, v)) >= THRESHOLD * len(present)


def scan(
    target: MetaData | Connection, *, sample: int = 100, schema: str | None = None
) -> list[Suggestion]:
    """Suggest PII columns of every table.

    Args:
        target: models (``MetaData``: names and ``info["pii"]`` only) or a live connection
            (names plus up to ``sample`` non-null values of each text column).
        sample: values to read per text column (0: names only).
        schema: the schema to reflect from a connection (default: the default schema).
    """
    if isinstance(target, MetaData):
        return [s for t in target.sorted_tables for s in scan_table(t)]
    metadata = MetaData()
    metadata.reflect(bind=target, schema=schema)
    out: list[Suggestion] = []
    for table in sorted(metadata.tables.values(), key=lambda t: t.name):
        samples: dict[str, list[Any]] = {}
        if sample > 0:
            for column in table.columns:
                if is_text(column):
                    query = select(column).where(column.is_not(None)).limit(sample)
                    samples[column.name] = list(target.execute(query).scalars())
        out.extend(scan_table(table, samples))
    return out
