"""Column → generator inference from names (whole words, not substrings) and types."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
import string
import uuid
from collections.abc import Callable, Mapping
from decimal import Decimal, localcontext
from typing import TYPE_CHECKING, Any

from sqlalchemy import Column, Index, Table, types
from sqlalchemy.schema import UniqueConstraint

from seedlib.exceptions import ConfigurationError
from seedlib.generate import values
from seedlib.generate.pools import Pools
from seedlib.generate.rng import cell
from seedlib.generate.values import Columnar, Generator

if TYPE_CHECKING:
    from seedlib.generate.checks import Domain

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
    groups += [i.columns for i in unique_indexes(table)]
    return any(column.name in g and (not alone or len(g) == 1) for g in groups)


def unique_indexes(table: Table) -> list[Index]:
    """The table's unique indexes over plain columns. One over an expression (``lower(email)``)
    is left to the database: values it refuses are bisected out and skipped."""
    return [
        i for i in table.indexes if i.unique and i.columns and len(i.columns) == len(i.expressions)
    ]


def _length(column: Column[Any]) -> int | None:
    return getattr(column.type, "length", None)


def _fit(generator: Generator, length: int | None) -> Generator:
    if length is None:
        return generator
    if isinstance(generator, Columnar):
        inner = generator
        if inner.longest is not None and inner.longest <= length:
            return inner  # nothing to cut

        def fitted(ordinals: range, hs: list[int]) -> list[Any]:
            values = inner.batch(ordinals, hs)
            try:  # usually every value is a str that fits: checked in C
                if max(map(len, values), default=0) <= length:
                    return values
            except TypeError:
                pass
            return [v if type(v) is not str or len(v) <= length else v[:length] for v in values]

        return Columnar(
            lambda o, h: _cut(inner(o, h, {}), length),
            fitted,
            longest=None if inner.longest is None else length,
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
            # the suffix alone (" " and up to 20 digits) may be longer than a short column
            longest=length if length is not None and length > 20 else None,
        )
    return lambda o, h, r: tag(o, generator(o, h, r))


def _pool(pools: Pools, kind: str) -> Generator:
    pool = pools.get(kind)
    n = len(pool)
    return Columnar(
        lambda _o, h: pool[h % n],
        lambda _o, hs: [pool[h % n] for h in hs],
        longest=values.text_bound(pool),
    )


def _code(table: Table, column: Column[Any], length: int | None = None) -> Generator:
    prefix = "".join(w[0] for w in words(table.name))[:3].upper() or "X"
    length = length or _length(column) or 32
    width = max(1, min(8, length - len(prefix) - 1))
    fmt = f"{prefix.replace('%', '%%')}-%0{width}d"

    def many(ordinals: range, _hs: list[int]) -> list[str]:
        numbers = range(ordinals.start + 1, ordinals.stop + 1)
        if len(fmt % ordinals.stop) <= length:  # the longest fits: no cutting
            return list(map(fmt.__mod__, numbers))
        return [(fmt % o)[:length] for o in numbers]

    return Columnar(lambda o, _h: (fmt % (o + 1))[:length], many, longest=length)


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

    longest = max(map(len, firsts)) + 1 + max(map(len, lasts))

    def many(ordinals: range, hs: list[int]) -> list[str]:
        if length is not None and longest + len(f".{ordinals.stop}@example.com") > length:
            return [one(o, h) for o, h in zip(ordinals, hs, strict=True)]
        return [
            f"{firsts[h % nf]}.{lasts[(h >> 16) % nl]}.{o}@example.com"
            for o, h in zip(range(ordinals.start + 1, ordinals.stop + 1), hs, strict=True)
        ]

    return Columnar(one, many, longest=length)


def _digits(length: int | None, template: str) -> Generator:
    """A formatted number (``template`` of ``#``), or plain digits when the column is short."""
    slots = template.count("#")
    if length is not None and length < len(template):
        slots = max(1, length)
        template = "#" * slots
    # The number h % 10**slots, zero-padded, fills the slots left to right: each run of
    # slots is one %0Nd field of the digits it covers.
    runs = [len(run) for run in re.findall("#+", template)]
    fmt = re.sub("#+", lambda m: f"%0{len(m.group())}d", template.replace("%", "%%"))
    below = [slots - sum(runs[: i + 1]) for i in range(len(runs))]
    fields = [(10 ** (n + b), 10**b) for n, b in zip(runs, below, strict=True)]

    def one(_o: int, h: int) -> str:
        return fmt % tuple(h % top // unit for top, unit in fields)

    def columnar(many: Callable[[range, list[int]], list[Any]]) -> Columnar:
        return Columnar(one, many, longest=len(template))  # every field is zero-padded

    if len(fields) > 2:
        return columnar(lambda _o, hs: [one(0, h) for h in hs])
    if max(runs) > 4 and len(fields) == 1:
        ((top, _unit),) = fields
        return columnar(lambda _o, hs: [fmt % (h % top) for h in hs])
    if max(runs) > 4:
        (t1, u1), (t2, u2) = fields
        return columnar(lambda _o, hs: [fmt % (h % t1 // u1, h % t2 // u2) for h in hs])
    # At most two short runs: each run with the text before it (and the last with the text
    # after it) is looked up in a table of its 10**N spellings, 2x faster than formatting.
    literals = re.split("#+", template)
    tables = [
        [f"{text}{i:0{n}d}" for i in range(10**n)]
        for text, n in zip(literals[:-1], runs, strict=True)
    ]
    tables[-1] = [v + literals[-1] for v in tables[-1]]
    if len(fields) == 1:
        (last,), ((top, _unit),) = tables, fields
        return columnar(lambda _o, hs: [last[h % top] for h in hs])
    (first, last), ((t1, u1), (t2, _u2)) = tables, fields
    return columnar(lambda _o, hs: [first[h % t1 // u1] + last[h % t2] for h in hs])


def _text_rule(
    table: Table, column: Column[Any], pools: Pools, within: int | None = None
) -> tuple[Generator, bool]:
    """(generator, already unique) for a text column, from whole words of its name;
    ``within``: the length it must keep to, when shorter than the declared one."""
    name = words(column.name)
    tokens = set(name)
    last = name[-1] if name else ""
    length = _length(column) if within is None else within

    def pool(kind: str) -> Generator:
        return _pool(pools, kind)

    if "email" in tokens:
        return _email(pools, length), True
    arg = getattr(column.server_default, "arg", None)
    default = "" if arg is None else str(getattr(arg, "text", arg)).lower()
    uuids = tokens & {"uuid", "guid"} or "uuid" in default or column.info.get("uuid_text")
    if uuids and (length is None or length >= 32):
        # Text holding UUIDs (``CHAR(36) DEFAULT UUID()``): distinct by construction.
        dashed = length is None or length >= 36
        return Columnar(
            lambda o, h: (
                str(uuid.UUID(int=(h << 64) | o, version=4)) if dashed else f"{h:016x}{o:016x}"
            )
        ), True
    if tokens & {"phone", "mobile", "fax", "telephone"}:
        return _digits(length, "(2##) 555-####"), False
    if tokens & {"postal", "zip", "postcode"}:
        return _digits(length, "9####"), False
    if "tax" in tokens:
        return _digits(length, "##-#######"), False
    if tokens & {"license", "licence"}:
        return _fit(Columnar(lambda _o, h: f"LIC-{(h >> 4) % 10**8:08d}"), length), False
    if last in _CODE or "sku" in tokens:
        return _code(table, column, length), True
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


def _array_of(table: Table, column: Column[Any], kind: Any, pools: Pools) -> Generator:
    """A PostgreSQL array: zero to three values of its item type, made as a column of that
    type with the array's name would be (``tags text[]``: words)."""
    item = _plain(table, Column(column.name, kind.item_type), pools)

    def one(o: int, h: int) -> list[Any]:
        return [item(o * 4 + i, cell(h, i), {}) for i in range(h % 4)]

    return Columnar(one)


def _distinct_moments(kind: Any) -> Generator:
    """A unique date, timestamp or time: row ``o`` gets the ``o``-th day after the epoch, a
    timestamp in the ``o``-th span of 37 seconds, the ``o``-th second of the day (so at most
    86,400 distinct times; more rows repeat and are skipped)."""
    if isinstance(kind, types.DateTime):
        return Columnar(lambda o, h: values.EPOCH + dt.timedelta(seconds=o * 37 + h % 37))
    if isinstance(kind, types.Date):
        return Columnar(lambda o, _h: values.EPOCH_DATE + dt.timedelta(days=o % 2_900_000))
    return Columnar(lambda o, _h: dt.time(o // 3600 % 24, o // 60 % 60, o % 60))


def _bytes_for(kind: Any) -> Generator:
    """8 bytes a value; ``BINARY(n)`` exactly ``n``, as the database pads a shorter value with
    zeros (and the ledger would hold another key than the table), ``VARBINARY(n)`` at most."""
    length = getattr(kind, "length", None)
    size = 8 if not length else length if isinstance(kind, types.BINARY) else min(8, length)
    if size == 8:
        return Columnar(lambda _o, h: h.to_bytes(8, "big"))
    if size < 8:
        return Columnar(lambda _o, h: h.to_bytes(8, "big")[:size])
    return Columnar(
        lambda _o, h: (
            hashlib.shake_128(h.to_bytes(8, "big")).digest(size - 8) + h.to_bytes(8, "big")
        )
    )


#: Unique text this short is a compact code: words with a number after them do not fit.
SHORT_UNIQUE = 6


def _text_for(
    table: Table, column: Column[Any], pools: Pools, within: int | None = None
) -> Generator:
    length = _length(column)
    if within is not None:
        length = within if length is None else min(length, within)
    if length is not None and length <= SHORT_UNIQUE and is_unique(column, table):
        return _compact(length)
    generator, unique = _text_rule(table, column, pools, length)
    if is_unique(column, table) and not unique:
        return _unique_text(generator, length)
    return _fit(generator, length)


def _compact(length: int) -> Generator:
    """Distinct codes of exactly ``length`` characters, in order: letters up to 3 (``AA``,
    ``AB``, … like country and currency codes: 676 of 2, 17,576 of 3), letters and digits
    beyond (``0000``…``ZZZZ``). A ``char(2)`` key got one value (``C-``, a prefix and a
    number cut short), a ``varchar(3) UNIQUE`` nine."""
    alphabet = string.ascii_uppercase if length <= 3 else string.digits + string.ascii_uppercase
    base = len(alphabet)

    def code(o: int, _h: int) -> str:
        out = []
        for _ in range(length):
            o, digit = divmod(o, base)
            out.append(alphabet[digit])
        return "".join(reversed(out))

    return Columnar(code, longest=length)


def _number_for(table: Table, column: Column[Any]) -> Generator:
    name = set(words(column.name))
    kind = column.type
    if isinstance(kind, types.Float):
        if is_unique(column, table):  # whole numbers: distinct even in single precision
            return Columnar(lambda o, _h: float(o + 1))
        return Columnar(lambda _o, h: round(1 + (h % 10**6) / 1000, 3))
    if isinstance(kind, types.Numeric):
        scale = kind.scale if kind.scale is not None else 2
        precision = kind.precision or 12
        smallest = Decimal(1).scaleb(-min(scale, values.DECIMAL_DIGITS))
        with localcontext(prec=precision + 2):
            largest = Decimal(10) ** (precision - scale) - Decimal(1).scaleb(-scale)
        if is_unique(column, table):
            return Columnar(lambda o, _h: Decimal(o + 1).quantize(smallest))
        ceiling = min(largest, Decimal(5000 if name & _MONEY else 100))
        return values.decimals(smallest, max(ceiling, smallest), scale)
    from seedlib.generate.validate import int_range

    low, high = int_range(kind)
    if getattr(kind, "display_width", None) == 1 and high <= 255:
        return values.integers(0, 1)  # MySQL's BOOL is TINYINT(1)
    if is_unique(column, table):
        return Columnar(lambda o, _h: o + 1, lambda ordinals, _hs: [o + 1 for o in ordinals])
    if name & _QUANTITY:
        return values.integers(max(low, 1), min(high, 100))
    return values.integers(max(low, 1), min(high, 1000))


def infer(
    table: Table, column: Column[Any], pools: Pools, domain: Domain | None = None
) -> Generator:
    """Choose a generator for ``column`` from its type, name and constraints.

    ``domain`` is what the table's CHECK constraints say about the column (see
    :mod:`seedlib.generate.checks`); values are drawn inside it.
    """
    generator: Generator | None = None
    if domain is not None and domain.json and not isinstance(column.type, types.JSON):
        # Text that must hold JSON (a JSON column's own values are serialised by its type).
        generator = Columnar(lambda o, _h: f'{{"n": {o}}}')
    elif domain is not None:
        generator = _within(table, column, pools, domain)
    if generator is None:
        generator = _plain(table, column, pools)
    if domain is not None and domain.case is not None:
        generator = _cased(generator, str.lower if domain.case == "lower" else str.upper)
    if domain is not None and domain.like is not None and isinstance(column.type, types.String):
        length = _length(column)
        if domain.max_length is not None:
            length = domain.max_length if length is None else min(length, domain.max_length)
        fixed = len(domain.like.replace("%", ""))
        if length is not None and length > fixed:  # made within the room the pattern leaves
            generator = _plain(table, column, pools, length - fixed)
        generator = _matching(generator, domain.like, length)
    return generator


def _matching(generator: Generator, pattern: str, length: int | None) -> Generator:
    """Values that match the LIKE ``pattern``: the generated value stands for its first
    ``%`` (cut to fit ``length``, keeping its end, where a unique value's number is), other
    ``%`` are left out and each ``_`` is an ``x``. Escapes are not read: such a value may be
    refused, and the row is skipped."""
    head, wild, tail = pattern.partition("%")
    head, tail = head.replace("_", "x"), tail.replace("%", "").replace("_", "x")
    room = None if length is None else max(0, length - len(head) - len(tail))

    def shape(value: Any) -> Any:
        if value is None or not wild:
            return None if value is None else head
        text = str(value)
        if room is not None and len(text) > room:
            text = text[len(text) - room :] if room else ""
        return head + text + tail

    return _mapped(generator, shape)


def _mapped(generator: Generator, shape: Callable[[Any], Any]) -> Generator:
    """``generator`` with ``shape`` applied to each value (still columnar if it was)."""
    if isinstance(generator, Columnar):
        inner = generator
        return Columnar(
            lambda o, h: shape(inner(o, h, {})),
            lambda r, hs: [shape(v) for v in inner.batch(r, hs)],
        )
    return lambda o, h, row: shape(generator(o, h, row))


def _cased(generator: Generator, change: Callable[[str], str]) -> Generator:
    return _mapped(generator, lambda v: change(v) if isinstance(v, str) else v)


def _plain(table: Table, column: Column[Any], pools: Pools, length: int | None = None) -> Generator:
    """``length``: text no longer than this (a CHECK's bound below the declared length)."""
    kind = column.type
    if isinstance(kind, types.TypeDecorator):
        kind = kind.impl_instance
    if type(kind).__name__ == "SET" and getattr(kind, "values", None):
        return _subsets(tuple(getattr(kind, "values", ())))
    if type(kind).__name__ == "BIT":
        return _bits(kind, is_unique(column, table))
    name = type(kind).__name__.upper()
    if isinstance(kind, types.NullType):  # what the catalog calls it (see db.reflect_into)
        name = str(column.info.get("db_type", "")).upper()
        if column.info.get("spatial"):
            return _spatial(table, column)
    special = _special(name, is_unique(column, table))
    if special is not None:
        return special
    if isinstance(kind, types.ARRAY):
        return _array_of(table, column, kind, pools)
    if isinstance(kind, types.Enum) and kind.enums:
        if is_unique(column, table, alone=True):  # each member once, in order
            members = tuple(kind.enums)
            return Columnar(lambda o, _h: members[o % len(members)])
        return values.choice(kind.enums)
    if isinstance(kind, types.Boolean):
        return Columnar(lambda _o, h: bool(h & 1), lambda _o, hs: [bool(h & 1) for h in hs])
    if isinstance(kind, types.DateTime | types.Date | types.Time) and is_unique(
        column, table, alone=True
    ):
        return _distinct_moments(kind)
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
    if isinstance(kind, types.LargeBinary) or _python_type(kind) is bytes:
        return _bytes_for(kind)
    if isinstance(kind, types.Integer | types.Numeric | types.Float):
        return _number_for(table, column)
    if isinstance(kind, types.String):
        return _text_for(table, column, pools, length)
    return _fit(Columnar(lambda o, _h: f"v{o + 1}"), _length(column))


def _kind(column: Column[Any]) -> types.TypeEngine[Any]:
    kind = column.type
    return kind.impl_instance if isinstance(kind, types.TypeDecorator) else kind


def _within(table: Table, column: Column[Any], pools: Pools, domain: Domain) -> Generator | None:
    """A generator that stays inside ``domain``, or None when the plain one already does."""
    unique = is_unique(column, table, alone=True)
    if domain.choices is not None:
        options = tuple(domain.choices)
        if not options:
            return None  # contradictory CHECKs: the feasibility check reports it
        n = len(options)
        if unique:
            return Columnar(lambda o, _h: options[o % n])
        return values.choice(options)
    kind = _kind(column)
    related = _related(table, column, kind, domain)
    if related is not None:
        return related
    ranged = domain.low is not None or domain.high is not None
    if ranged and isinstance(kind, types.Integer):
        from seedlib.generate.validate import int_range

        low, high = _int_bounds(domain)
        smallest, largest = int_range(kind)
        low, high = max(low, smallest), min(high, largest)
        if unique:
            return Columnar(lambda o, _h: low + o, lambda r, _hs: [low + o for o in r])
        return values.integers(low, high)
    if ranged and isinstance(kind, types.Numeric | types.Float):
        return _decimal_within(column, kind, domain)
    if ranged and isinstance(kind, types.Date | types.DateTime):
        return _time_within(kind, domain)
    if isinstance(kind, types.String) and (
        domain.max_length is not None or domain.min_length is not None
    ):
        # Made within the bound: a unique value's number is not cut off.
        return _length_within(_plain(table, column, pools, domain.max_length), domain)
    return None


def _int_bounds(domain: Domain) -> tuple[int, int]:
    low = (
        None
        if domain.low is None
        else math.floor(domain.low) + 1
        if domain.low_open
        else math.ceil(domain.low)
    )
    high = (
        None
        if domain.high is None
        else math.ceil(domain.high) - 1
        if domain.high_open
        else math.floor(domain.high)
    )
    if low is None:
        assert high is not None
        low = 1 if high >= 1000 else min(1, high) if high >= 1 else high - 999
    if high is None:
        high = max(low, 1) + 999
    return low, high


def _decimal_within(column: Column[Any], kind: types.TypeEngine[Any], domain: Domain) -> Generator:
    scale = getattr(kind, "scale", None)
    scale = 2 if scale is None else scale
    precision = getattr(kind, "precision", None) or 12
    step = Decimal(1).scaleb(-min(scale, values.DECIMAL_DIGITS))
    with localcontext(prec=precision + 2):
        largest = Decimal(10) ** (precision - scale) - Decimal(1).scaleb(-scale)
    low = Decimal(str(domain.low)) if domain.low is not None else None
    high = Decimal(str(domain.high)) if domain.high is not None else None
    if low is not None and domain.low_open:
        low += step
    if high is not None and domain.high_open:
        high -= step
    if low is None:
        assert high is not None
        low = max(-largest, min(Decimal(0), high - 1000))
    if high is None:
        span = 5000 if set(words(column.name)) & _MONEY else 100
        high = min(largest, max(low, Decimal(0)) + span)
    high = min(high, largest)
    low = max(low, -largest)
    if isinstance(kind, types.Float) and not isinstance(kind, types.Numeric):
        return values.decimals(low, high, 3)
    return values.decimals(low, high, scale)


def _time_within(kind: types.TypeEngine[Any], domain: Domain) -> Generator:
    stamp = isinstance(kind, types.DateTime)

    def as_time(value: Any) -> dt.datetime:
        if isinstance(value, dt.datetime):
            return value
        if isinstance(value, dt.date):
            return dt.datetime.combine(value, dt.time())
        return dt.datetime.fromisoformat(str(value))

    low = as_time(domain.low) if domain.low is not None else None
    high = as_time(domain.high) if domain.high is not None else None
    unit = dt.timedelta(seconds=1) if stamp else dt.timedelta(days=1)
    if low is not None and domain.low_open:
        low += unit
    if high is not None and domain.high_open:
        high -= unit
    if low is None:
        assert high is not None
        low = high - dt.timedelta(days=730)
    if high is None:
        high = low + dt.timedelta(days=730)
    if stamp:
        return values.timestamps(low, max(0, (high - low).days))
    return values.dates(low.date(), max(1, (high - low).days + 1))


def _related(
    table: Table, column: Column[Any], kind: types.TypeEngine[Any], domain: Domain
) -> Generator | None:
    """``col >= other`` (and the like) where ``other`` is generated first: derive from it."""
    order = list(table.columns.keys())
    position = order.index(column.name)
    for op, other in domain.relations:
        if other not in order or order.index(other) > position:
            continue
        if isinstance(kind, types.Date | types.DateTime | types.Integer | types.Numeric):
            return _shifted(op, other, kind)
    return None


def _shifted(op: str, other: str, kind: types.TypeEngine[Any]) -> Generator:
    strict = op in (">", "<")
    sign = 1 if op in (">", ">=") else -1
    if op in ("=", "<>"):
        sign, strict = 1, op == "<>"
    fallback = _plain_for_kind(kind)

    def one(o: int, h: int, row: Mapping[str, Any]) -> Any:
        base = row.get(other)
        if base is None:
            return fallback(o, h, row)
        if op == "=":
            return base
        step = (h % 60) + (1 if strict else 0)
        if isinstance(base, dt.datetime):
            return base + sign * dt.timedelta(hours=step)
        if isinstance(base, dt.date):
            return base + sign * dt.timedelta(days=step)
        if isinstance(base, Decimal):
            return base + sign * Decimal(step)
        return base + sign * step

    return one


def _plain_for_kind(kind: types.TypeEngine[Any]) -> Generator:
    if isinstance(kind, types.DateTime):
        return values.timestamps()
    if isinstance(kind, types.Date):
        return values.dates()
    if isinstance(kind, types.Numeric) and not isinstance(kind, types.Float):
        return values.decimals(1, 1000, kind.scale if kind.scale is not None else 2)
    return values.integers(1, 1000)


def _length_within(generator: Generator, domain: Domain) -> Generator:
    top = domain.max_length
    bottom = domain.min_length or 0

    def shape(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        if top is not None and len(value) > top:
            value = value[:top]
        if len(value) < bottom:
            value = value + "x" * (bottom - len(value))
        return value

    return _mapped(generator, shape)


def _subsets(members: tuple[str, ...]) -> Generator:
    """MySQL ``SET``: a subset of the members, one bit of ``h`` each (never empty), as
    ``"a,b"``."""
    n = len(members)

    def one(_o: int, h: int) -> str:
        # A string in declaration order, not a set: a set's order (and so the content hash)
        # would change from one process to the next.
        picked = [m for i, m in enumerate(members) if h >> i & 1]
        return ",".join(picked) if picked else members[h % n]

    return Columnar(one)


def _bits(kind: types.TypeEngine[Any], unique: bool) -> Generator:
    """``BIT(n)``: a number below 2**n on MySQL, a string of n ``0``/``1`` on PostgreSQL (up to
    n, and 16 at most, for ``BIT VARYING``)."""
    length = getattr(kind, "length", None) or 1
    if kind.__module__.startswith("sqlalchemy.dialects.mysql"):
        return Columnar(lambda o, h: (o if unique else h) % (1 << length))
    varying = bool(getattr(kind, "varying", False))
    width = min(getattr(kind, "length", None) or 16, 16) if varying else length

    def bits(o: int, h: int) -> str:
        value = o if unique else h
        return format(value % (1 << width), f"0{width}b")

    return Columnar(bits)


def _spatial(table: Table, column: Column[Any]) -> Generator:
    """A MySQL spatial column: NULL where it may be, else refused before anything is written."""
    if not column.nullable:
        raise ConfigurationError(
            f"seedlib cannot generate values for {table.fullname}.{column.name} (MySQL spatial "
            f"type {column.info.get('db_type')}, NOT NULL); seed {table.fullname} another way, "
            f"or leave it out with --table {table.fullname}=0"
        )
    return Columnar(lambda _o, _h: None)


def _special(name: str, unique: bool) -> Generator | None:
    """PostgreSQL types with a format of their own (network addresses, intervals, money,
    ranges); None for other types."""
    if name in ("INET", "INET4"):  # PostgreSQL, MariaDB
        if unique:
            return Columnar(lambda o, _h: f"10.{o >> 16 & 255}.{o >> 8 & 255}.{o & 255}")
        return Columnar(lambda _o, h: f"10.{h >> 16 & 255}.{h >> 8 & 255}.{(h & 253) + 1}")
    if name == "CIDR":
        return Columnar(
            lambda o, h: f"10.{(o if unique else h) >> 8 & 255}.{(o if unique else h) & 255}.0/24"
        )
    if name in ("MACADDR", "MACADDR8"):
        parts = 6 if name == "MACADDR" else 8

        def mac(o: int, h: int) -> str:
            bits = (o if unique else h) & ((1 << (8 * (parts - 1))) - 1)
            return ":".join(["02"] + [f"{bits >> (8 * i) & 255:02x}" for i in range(parts - 1)])

        return Columnar(mac)
    if name == "INET6":  # MariaDB: documentation addresses (2001:db8::/32)

        def address(o: int, h: int) -> str:
            value = (o if unique else h) & 0xFFFF_FFFF
            return f"2001:db8::{value >> 16:x}:{value & 0xFFFF:x}"

        return Columnar(address)
    if name == "OID":
        return Columnar(lambda o, h: (o if unique else h) % 2**31 + 1)
    if name == "POINT":  # PostgreSQL's geometric point (MySQL's is spatial: never reached)
        return Columnar(lambda o, h: f"({o if unique else h % 1000},{(h >> 10) % 1000})")
    if name == "BOX":
        return Columnar(lambda o, h: f"({(o if unique else h % 1000) + 1},{h % 97 + 1}),(0,0)")
    if name == "HSTORE":
        return Columnar(lambda o, h: f'"n"=>"{o}", "kind"=>"k{h % 7}"')
    if name == "INTERVAL":
        return Columnar(lambda o, h: dt.timedelta(minutes=(o if unique else h % 100_000)))
    if name == "MONEY":
        return values.decimals(1, 5000)
    if name == "YEAR":  # MySQL: 1901 to 2155
        return Columnar(lambda o, h: 1901 + (o if unique else h) % 255)
    if name in ("INT4RANGE", "INT8RANGE", "NUMRANGE"):
        from sqlalchemy.dialects.postgresql import Range

        return Columnar(lambda o, h: Range(h % 1000, h % 1000 + 1 + (h >> 10) % 100))
    if name in ("DATERANGE", "TSRANGE", "TSTZRANGE"):
        from sqlalchemy.dialects.postgresql import Range

        def period(_o: int, h: int) -> Any:
            start = values.EPOCH_DATE + dt.timedelta(days=h % 700)
            end = start + dt.timedelta(days=1 + (h >> 12) % 60)
            if name == "DATERANGE":
                return Range(start, end)
            return Range(dt.datetime.combine(start, dt.time()), dt.datetime.combine(end, dt.time()))

        return Columnar(period)
    return None


def _python_type(kind: types.TypeEngine[Any]) -> Any:
    try:
        return kind.python_type
    except NotImplementedError:
        return None
