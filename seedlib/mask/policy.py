"""Masking policy: which columns hold personal data, of which kind, masked by which strategy.

The kinds come from ``Column.info["pii"]`` in the models and from an override map in the seed
revision. Resolving a policy is strict on purpose: a column declared as PII whose kind has no
masker, and no override naming one, stops the run — nothing unmasked leaks by omission.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from seedlib.exceptions import ConfigurationError, UnmaskedPII

if TYPE_CHECKING:
    from sqlalchemy import Column, Table


class PiiKind(enum.StrEnum):
    """The kinds of personal data seedlib knows how to mask (the values of ``info["pii"]``)."""

    PERSON_NAME = "person_name"
    FIRST_NAME = "first_name"
    LAST_NAME = "last_name"
    COMPANY_NAME = "company_name"
    EMAIL = "email"
    PHONE = "phone"
    STREET_ADDRESS = "street_address"
    CITY = "city"
    POSTAL_CODE = "postal_code"
    TAX_ID = "tax_id"
    LICENSE_NUMBER = "license_number"
    IP_ADDRESS = "ip_address"
    DATE_OF_BIRTH = "date_of_birth"
    CARD_NUMBER = "card_number"
    FREE_TEXT = "free_text"


#: Strategies that do not depend on the kind; an override may name them for any column.
GENERIC_STRATEGIES = ("redact", "null")

#: Kinds whose masked values must stay distinct for distinct inputs across the whole run, so
#: that unique columns stay unique and joins on them stay one-to-one.
IDENTIFIER_KINDS = frozenset(
    {
        PiiKind.EMAIL,
        PiiKind.PHONE,
        PiiKind.TAX_ID,
        PiiKind.LICENSE_NUMBER,
        PiiKind.IP_ADDRESS,
        PiiKind.CARD_NUMBER,
    }
)

#: Kinds whose values coincide by chance (many people are called Smith, live in Springfield):
#: equality with an original proves nothing, so they are neither reserved nor verified.
QUASI_IDENTIFIERS = frozenset(
    {
        PiiKind.CITY,
        PiiKind.FIRST_NAME,
        PiiKind.LAST_NAME,
        PiiKind.POSTAL_CODE,
        PiiKind.DATE_OF_BIRTH,
    }
)


@dataclass(frozen=True)
class ColumnRule:
    """How one column is masked.

    ``kind`` is the PII kind (what the data is); ``strategy`` the masker's registry name (how it
    is masked); ``length`` the column's maximum length, if any; ``unique`` whether the column
    takes part in a unique constraint, so masked values must stay distinct.
    """

    column: str
    kind: str
    strategy: str
    length: int | None = None
    unique: bool = False
    nullable: bool = True


@dataclass(frozen=True)
class Policy:
    """The masking rules of one table: only the columns that hold personal data."""

    table: str
    rules: dict[str, ColumnRule]

    @property
    def columns(self) -> list[str]:
        return list(self.rules)

    def describe(self) -> list[dict[str, Any]]:
        """The rules as data (for ``--json``, plans and the audit): never any value."""
        return [
            {"table": self.table, "column": r.column, "kind": r.kind, "strategy": r.strategy}
            for r in self.rules.values()
        ]


def declared_kind(column: Column[Any]) -> str | None:
    """The PII kind declared on ``column`` (``info["pii"]``), or None."""
    kind = column.info.get("pii")
    if kind is None or kind is False:
        return None
    return str(kind).strip().lower()


def _is_unique(column: Column[Any], table: Table) -> bool:
    from seedlib.generate.infer import is_unique

    return is_unique(column, table)


def resolve_policy(
    table: Table,
    overrides: Mapping[str, str] | None = None,
    *,
    strategies: Mapping[str, object] | None = None,
) -> Policy:
    """The masking policy of ``table``.

    Args:
        table: the target table; columns with ``info["pii"]`` are personal data.
        overrides: column name → PII kind or strategy name. It can declare a column that the
            models do not mark, or choose another strategy (``redact``, ``null``, any kind).
        strategies: the masker registry to resolve names against (default: every masker in
            :data:`seedlib.mask.maskers.MASKERS`).

    Raises:
        ConfigurationError: an override names a column the table does not have.
        UnmaskedPII: a PII column has no masking strategy; ``problems`` lists every such column.
        ConfigurationError: ``null`` names a NOT NULL column, or ``redact`` a unique one (every
            row would get the same value and all but one be rejected).
    """
    if strategies is None:
        from seedlib.mask.maskers import MASKERS

        strategies = MASKERS
    overrides = dict(overrides or {})
    unknown = sorted(set(overrides) - set(table.columns.keys()))
    if unknown:
        raise ConfigurationError(
            f"masking overrides for {table.name} name unknown columns: {', '.join(unknown)}"
        )
    rules: dict[str, ColumnRule] = {}
    missing: list[dict[str, Any]] = []
    for column in table.columns:
        kind = declared_kind(column)
        override = overrides.get(column.name)
        if kind is None and override is None:
            continue
        strategy = (override or kind or "").strip().lower()
        if strategy not in strategies:
            missing.append(
                {"table": table.name, "column": column.name, "kind": kind, "strategy": override}
            )
            continue
        if kind is None or (strategy not in GENERIC_STRATEGIES and override is not None):
            kind = strategy
        rules[column.name] = ColumnRule(
            column=column.name,
            kind=kind,
            strategy=strategy,
            length=getattr(column.type, "length", None),
            unique=_is_unique(column, table),
            nullable=bool(column.nullable),
        )
    if missing:
        names = ", ".join(
            f"{p['table']}.{p['column']} ({p['kind'] or p['strategy']})" for p in missing
        )
        raise UnmaskedPII(
            f"no masking strategy for PII column(s) {names}: add an override naming one of "
            f"{', '.join(sorted(strategies))}",
            missing,
        )
    for rule in rules.values():
        if rule.strategy == "null" and not rule.nullable:
            raise ConfigurationError(
                f"{table.name}.{rule.column} is NOT NULL: the 'null' strategy cannot mask it"
            )
        if rule.strategy == "redact" and rule.unique:
            raise ConfigurationError(
                f"{table.name}.{rule.column} is unique: the 'redact' strategy gives every row "
                f"the same value; mask it as its kind{' or with null' if rule.nullable else ''}"
            )
    return Policy(table=table.name, rules=rules)
