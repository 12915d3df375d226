"""Column → generator inference from names (whole words, not substrings) and types."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, Table, types
from sqlalchemy.schema import UniqueConstraint

from seedlib.generate import values
from seedlib.generate.pools import Pools
from seedlib.generate.values import Columnar, Generator

_MONEY = {
    "price",
    "cost",
    "amount",
    "total",
    "subtotal",
    "tax",
    "limit",
    "balance",
    "debit",
    "credit",
    "paid",
    "due",
    "fee",
}
_QUANTITY = {"qty", "quantity", "count", "units"}
_CODE = {"code", "number", "sku", "reference", "ref", "no"}


def words(name: str) -> list[str]:
    """``business_name`` → ["business", "name"]; ``postalCode`` → ["postal", "code"]."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return [w for w in re.split(r"[^a-zA-Z0-9]+", spaced.lower()) if w]


def is_unique(column: Column[Any], table: Table, *, alone: bool = False) -> bool:
    """Whether ``column`` takes part in a unique constraint or unique index of ``table``
    (with ``alone``: one over this column only)."""
    if column.unique or (column.primary_key and len(table.primary_key.columns) == 1):
        return True
    groups = [c.columns for c in table.constraints if isinstance(c, UniqueConstraint)]
    groups += [i.columns for i in table.indexes if i.unique]
    return any(column.name in g and (not alone or len(g) == 1) for g in groups)


def _length(column: Column[Any]) -> int | None:
    return getattr(column.type, "length", None)


def _fit(generator: Generator, length: int | None) -> Generator:
    if length is None:
        return generator
    if isinstance(generator, Columnar):
        inner = generator
        return Columnar(
            lambda o, h: _cut(inner(o, h, {}), length),
            lambda ordinals, hs: [
                v if type(v) is not str or len(v) <= length else v[:length]
                for v in inner.batch(ordinals, hs)
            ],
        )
    return lambda o, h, r: _cut(generator(o, h, r), length)


def _cut(value: Any, length: int) -> Any:
    return value[:length] if isinstance(value, str) else value


def _unique_text(generator: Generator, length: int | None) -> Generator:
    """Append the ordinal so equal picks stay distinct, keeping within ``length``."""

    def tag(o: int, value: Any) -> str:
        suffix = f" {o + 1}"
        base = str(value)
        if length is not None:
            base = base[: max(0, length - len(suffix))]
        return base + suffix

    if isinstance(generator, Columnar):
        inner = generator
        return Columnar(
            lambda o, h: tag(o, inner(o, h, {})),
            lambda ordinals, hs: [
                tag(o, v) for o, v in zip(ordinals, inner.batch(ordinals, hs), strict=True)
            ],
        )
    return lambda o, h, r: tag(o, generator(o, h, r))


def _pool(pools: Pools, kind: str) -> Generator:
    pool = pools.get(kind)
    n = len(pool)
    return Columnar(lambda _o, h: pool[h % n], lambda _o, hs: [pool[h % n] for h in hs])


def _code(table: Table, column: Column[Any]) -> Generator:
    prefix = "".join(w[0] for w in words(table.name))[:3].upper() or "X"
    length = _length(column) or 32
    width = max(1, min(8, length - len(prefix) - 1))
    return Columnar(lambda o, _h: f"{prefix}-{o + 1:0{width}d}"[:length])


def _email(pools: Pools, length: int | None) -> Generator:
    """Unique (the ordinal is in it) and valid at any length of at least 13 characters."""
    firsts = [re.sub(r"[^a-z]", "", v.lower()) or "x" for v in pools.get("first_name")]
    lasts = [re.sub(r"[^a-z]", "", v.lower()) or "x" for v in pools.get("last_name")]
    nf, nl = len(firsts), len(lasts)

    def one(o: int, h: int) -> str:
        local = f"{firsts[h % nf]}.{lasts[(h >> 16) % nl]}"
        tail = f".{o + 1}@example.com"
        if length is not None and len(local) + len(tail) > length:
            local = local[: max(1, length - len(tail))]
            return (local + tail)[:length]
        return local + tail

    return Columnar(one)


def _digits(length: int | None, template: str) -> Generator:
    """A formatted number (``template`` of ``#``), or plain digits when the column is short."""
    slots = template.count("#")
    if length is not None and length < len(template):
        slots = max(1, length)
        template = "#" * slots
    fmt = template.replace("{", "{{").replace("}", "}}").replace("#", "{}").format
    modulus = 10**slots
    width = f"0{slots}d"
    return Columnar(lambda _o, h: fmt(*format(h % modulus, width)))


def _text_rule(table: Table, column: Column[Any], pools: Pools) -> tuple[Generator, bool]:
    """(generator, already unique) for a text column, from whole words of its name."""
    name = words(column.name)
    tokens = set(name)
    last = name[-1] if name else ""
    length = _length(column)

    def pool(kind: str) -> Generator:
        return _pool(pools, kind)

    if "email" in tokens:
        return _email(pools, length), True
    if tokens & {"phone", "mobile", "fax", "telephone"}:
        return _digits(length, "(2##) 555-####"), False
    if tokens & {"postal", "zip", "postcode"}:
        return _digits(length, "9####"), False
    if "tax" in tokens:
        return _digits(length, "##-#######"), False
    if tokens & {"license", "licence"}:
        return _fit(Columnar(lambda _o, h: f"LIC-{(h >> 4) % 10**8:08d}"), length), False
    if last in _CODE or "sku" in tokens:
        return _code(table, column), True
    if "first" in tokens:
        return pool("first_name"), False
    if "last" in tokens or "surname" in tokens:
        return pool("last_name"), False
    if last == "name" and tokens & {
        "business",
        "company",
        "vendor",
        "organisation",
        "organization",
        "supplier",
    }:
        return pool("company"), False
    if last == "name" and tokens & {"contact", "full", "person", "user", "customer"}:
        firsts, lasts = pools.get("first_name"), pools.get("last_name")
        return Columnar(
            lambda _o, h: f"{firsts[h % len(firsts)]} {lasts[(h >> 16) % len(lasts)]}"
        ), False
    if tokens & {"address", "street"}:
        return pool("street_address"), False
    if "city" in tokens:
        return pool("city"), False
    if tokens & {"state", "region", "province"}:
        return pool("state_abbr") if (length or 99) <= 3 else pool("state"), False
    if "country" in tokens:
        return values.constant("US"), False
    if tokens & {"url", "website", "homepage"}:
        return Columnar(lambda o, _h: f"https://www.example.com/{o + 1}"), True
    if tokens & {"description", "notes", "note", "comment", "title", "body", "summary"}:
        return pool("sentence"), False
    if last == "name":
        titled = [w.title() for w in pools.get("word")]
        n = len(titled)
        return Columnar(lambda _o, h: f"{titled[h % n]} {titled[(h >> 20) % n]}"), False
    return pool("word"), False


def _text_for(table: Table, column: Column[Any], pools: Pools) -> Generator:
    generator, unique = _text_rule(table, column, pools)
    length = _length(column)
    if is_unique(column, table) and not unique:
        return _unique_text(generator, length)
    return _fit(generator, length)


def _number_for(table: Table, column: Column[Any]) -> Generator:
    name = set(words(column.name))
    kind = column.type
    if isinstance(kind, types.Float):
        return Columnar(lambda _o, h: round(1 + (h % 10**6) / 1000, 3))
    if isinstance(kind, types.Numeric):
        scale = kind.scale if kind.scale is not None else 2
        precision = kind.precision or 12
        smallest = Decimal(1).scaleb(-scale)
        largest = Decimal(10) ** (precision - scale) - smallest
        ceiling = min(largest, Decimal(5000 if name & _MONEY else 100))
        return values.decimals(smallest, max(ceiling, smallest), scale)
    if is_unique(column, table):
        return Columnar(lambda o, _h: o + 1, lambda ordinals, _hs: [o + 1 for o in ordinals])
    if name & _QUANTITY:
        return values.integers(1, 100)
    return values.integers(1, 1000)


def infer(table: Table, column: Column[Any], pools: Pools) -> Generator:
    """Choose a generator for ``column`` from its type, name and constraints."""
    kind = column.type
    if isinstance(kind, types.TypeDecorator):
        kind = kind.impl_instance
    if isinstance(kind, types.Enum) and kind.enums:
        return values.choice(kind.enums)
    if isinstance(kind, types.Boolean):
        return Columnar(lambda _o, h: bool(h & 1), lambda _o, hs: [bool(h & 1) for h in hs])
    if isinstance(kind, types.DateTime):
        return values.timestamps()
    if isinstance(kind, types.Date):
        return values.dates()
    if isinstance(kind, types.Time):
        return Columnar(lambda _o, h: dt.time(h % 24, (h >> 8) % 60, (h >> 16) % 60))
    if isinstance(kind, types.Uuid):
        return Columnar(lambda o, h: uuid.UUID(int=h << 64 | o, version=4))
    if isinstance(kind, types.JSON):
        return Columnar(lambda o, _h: {"n": o})
    if isinstance(kind, types.LargeBinary):
        return Columnar(lambda _o, h: h.to_bytes(8, "big"))
    if isinstance(kind, types.Integer | types.Numeric | types.Float):
        return _number_for(table, column)
    if isinstance(kind, types.String):
        return _text_for(table, column, pools)
    return _fit(Columnar(lambda o, _h: f"v{o + 1}"), _length(column))
