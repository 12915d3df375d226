"""Converters from source values (CSV text, JSON values, another database's values) to the Python
type of a target column. Each raises ``ValueError`` with a short reason on a bad value."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, TypeAlias

from sqlalchemy import types

if TYPE_CHECKING:
    from sqlalchemy import Column

Converter: TypeAlias = Callable[[Any], Any]

_TRUE = frozenset({"true", "t", "yes", "y", "1"})
_FALSE = frozenset({"false", "f", "no", "n", "0"})


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{value!r} is not a boolean (use true/false, yes/no or 1/0)")


def _integer(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal | float) and value == int(value):
        return int(value)
    try:
        return int(str(value).strip())
    except ValueError:
        raise ValueError(f"{value!r} is not a whole number") from None


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    try:
        return value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a number") from None


def _float(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{value!r} is not a number") from None


def _datetime(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    try:
        return dt.datetime.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"{value!r} is not an ISO date-time") from None


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"{value!r} is not an ISO date (YYYY-MM-DD)") from None


def _time(value: Any) -> dt.time:
    if isinstance(value, dt.time):
        return value
    try:
        return dt.time.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"{value!r} is not an ISO time") from None


def _uuid(value: Any) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value).strip())
    except ValueError:
        raise ValueError(f"{value!r} is not a UUID") from None


def _json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValueError(f"invalid JSON ({exc.msg})") from None
    return value


def _string(length: int | None) -> Converter:
    def convert(value: Any) -> str:
        if isinstance(value, bool | dict | list):
            raise ValueError(f"{value!r} is not text")
        text = value if isinstance(value, str) else str(value)
        if length is not None and len(text) > length:
            raise ValueError(f"{len(text)} characters, longer than the column's {length}")
        return text

    return convert


def _choice(options: tuple[str, ...]) -> Converter:
    allowed = frozenset(options)

    def convert(value: Any) -> str:
        text = str(value.value if hasattr(value, "value") else value).strip()
        if text not in allowed:
            raise ValueError(f"{text!r} is not one of {', '.join(options)}")
        return text

    return convert


def converter_for(column: Column[Any]) -> Converter:
    """The converter to ``column``'s Python type (enums stay their stored strings)."""
    kind = column.type
    if isinstance(kind, types.TypeDecorator):
        kind = kind.impl_instance
    if isinstance(kind, types.Enum) and kind.enums:
        return _choice(tuple(kind.enums))
    if isinstance(kind, types.Boolean):
        return _boolean
    if isinstance(kind, types.DateTime):
        return _datetime
    if isinstance(kind, types.Date):
        return _date
    if isinstance(kind, types.Time):
        return _time
    if isinstance(kind, types.Uuid):
        return _uuid
    if isinstance(kind, types.JSON):
        return _json
    if isinstance(kind, types.Integer):
        return _integer
    if isinstance(kind, types.Float):
        return _float
    if isinstance(kind, types.Numeric):
        return _decimal if kind.asdecimal else _float
    if isinstance(kind, types.String):
        return _string(kind.length)
    return lambda value: value


def is_text(column: Column[Any]) -> bool:
    kind = column.type
    if isinstance(kind, types.TypeDecorator):
        kind = kind.impl_instance
    return isinstance(kind, types.String) and not isinstance(kind, types.Enum)


def is_required(column: Column[Any]) -> bool:
    """Whether a source must give ``column`` a value: NOT NULL, no default, not generated."""
    if column.nullable or column.default is not None or column.server_default is not None:
        return False
    return not (column.primary_key and column.autoincrement in (True, "auto"))
