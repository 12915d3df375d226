"""CHECK constraints, parsed with sqlglot: what they say about each column's values, and a
Python predicate per constraint to validate generated rows before they are loaded.

The common forms are understood: IN lists (and PostgreSQL's ``= ANY (ARRAY[...])`` rewrite of
them), comparisons with constants and with other columns, BETWEEN, IS [NOT] NULL, AND / OR /
NOT, string length, LIKE, arithmetic. A constraint with anything else is *not understood*: its
rows are left for the database to judge (a rejected batch is bisected to its bad rows).
"""

from __future__ import annotations

import datetime as dt
import operator as ops
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

if TYPE_CHECKING:
    from sqlalchemy import Table

Row = Mapping[str, Any]
Predicate = Callable[[Row], Any]
_DIALECTS = {"postgresql": "postgres", "mysql": "mysql", "mariadb": "mysql", "sqlite": "sqlite"}


class NotUnderstood(Exception):
    """The expression uses something this module cannot evaluate."""


@dataclass(frozen=True)
class Check:
    """One CHECK constraint: its SQL, the columns it reads, and a predicate if understood.

    The predicate follows SQL: a row passes unless the expression is FALSE (NULL passes).
    """

    name: str
    sql: str
    columns: frozenset[str]
    predicate: Predicate | None
    #: The AND-ed parts of the check that compare one column with constants, as ``(column,
    #: operator, constant)`` (``quantity > 0``; ``status IN (...)`` with a tuple): they can
    #: test a batch's column at once.
    parts: tuple[tuple[str, str, Any], ...] = ()
    #: The predicate of its other AND-ed parts (the whole predicate when ``parts`` is empty;
    #: None when every part is in ``parts``). A row fails the check exactly when one of
    #: ``parts`` or ``rest`` is FALSE: in SQL, an AND is FALSE when one of its terms is.
    rest: Predicate | None = None

    @property
    def understood(self) -> bool:
        return self.predicate is not None

    @property
    def comparison(self) -> tuple[str, str, Any] | None:
        """``(column, operator, constant)`` when the whole check is one such comparison."""
        return self.parts[0] if len(self.parts) == 1 and self.rest is None else None

    def passes(self, row: Row) -> bool:
        return self.predicate is None or self.predicate(row) is not False


@dataclass
class Domain:
    """What the AND-ed parts of a table's CHECKs say about one column on its own."""

    choices: tuple[Any, ...] | None = None
    low: Any = None
    low_open: bool = False
    high: Any = None
    high_open: bool = False
    min_length: int | None = None
    max_length: int | None = None
    not_null: bool = False
    #: (operator, other column): this column compared with another, e.g. (">=", "start_date").
    relations: list[tuple[str, str]] = field(default_factory=list)
    #: "lower" or "upper" when the column must equal lower(column) / upper(column).
    case: str | None = None
    #: The column must hold valid JSON (MariaDB's JSON type is text with ``json_valid()``).
    json: bool = False
    #: A LIKE pattern the column must match (``sku LIKE 'SKU-%'``).
    like: str | None = None

    def bound(self, op: str, value: Any) -> None:
        if op in (">", ">="):
            if self.low is None or _gt(value, self.low):
                self.low, self.low_open = value, op == ">"
        elif op in ("<", "<="):
            if self.high is None or _gt(self.high, value):
                self.high, self.high_open = value, op == "<"
        elif op == "=":
            self.choose((value,))

    def choose(self, values: tuple[Any, ...]) -> None:
        if self.choices is None:
            self.choices = values
        else:
            self.choices = tuple(v for v in self.choices if v in values)

    def length(self, op: str, n: int) -> None:
        if op in ("<", "<="):
            top = n - 1 if op == "<" else n
            self.max_length = top if self.max_length is None else min(self.max_length, top)
        elif op in (">", ">="):
            bottom = n + 1 if op == ">" else n
            self.min_length = bottom if self.min_length is None else max(self.min_length, bottom)
        elif op == "=":
            self.length("<=", n)
            self.length(">=", n)


def _gt(a: Any, b: Any) -> bool:
    try:
        return bool(a > b)
    except TypeError:
        return False


def check_sql(constraint: Any, dialect: str) -> str:
    """The SQL text of a CheckConstraint's expression."""
    sqltext = constraint.sqltext
    text = getattr(sqltext, "text", None)
    if isinstance(text, str):
        return text
    from sqlalchemy.dialects import mysql, postgresql, sqlite
    from sqlalchemy.engine import Dialect

    compiler_dialect: Dialect = {
        "postgresql": postgresql.dialect(),  # type: ignore[no-untyped-call]
        "mysql": mysql.dialect(),
        "mariadb": mysql.dialect(),
    }.get(dialect, sqlite.dialect())
    return str(sqltext.compile(dialect=compiler_dialect, compile_kwargs={"literal_binds": True}))


def parse(sql: str, dialect: str = "sqlite") -> exp.Expression | None:
    """The expression tree of ``sql``, or None when sqlglot cannot parse it."""
    try:
        tree = sqlglot.parse_one(sql, read=_DIALECTS.get(dialect, dialect))
    except (SqlglotError, ValueError):
        return None
    return tree if isinstance(tree, exp.Expression) else None


def table_checks(table: Table, dialect: str = "sqlite") -> list[Check]:
    """The CHECK constraints of ``table`` (table- and column-level), parsed."""
    from sqlalchemy.schema import CheckConstraint

    checks = []
    found = [c for c in table.constraints if isinstance(c, CheckConstraint)]
    for number, (sql, constraint) in enumerate(
        sorted(((check_sql(c, dialect), c) for c in found), key=lambda pair: pair[0])
    ):
        name = constraint.name if isinstance(constraint.name, str) else f"check_{number + 1}"
        tree = parse(sql, dialect)
        columns = frozenset(c.name for c in tree.find_all(exp.Column)) if tree else frozenset()
        predicate: Predicate | None = None
        parts: list[tuple[str, str, Any]] = []
        rest: Predicate | None = None
        if tree is not None:
            names = list(table.columns.keys())
            try:
                predicate = compile_predicate(tree, names)
                others: list[exp.Expression] = []
                for term in conjuncts(tree):
                    part = _column_comparison(term, names)
                    if part is None:
                        others.append(term)
                    else:
                        parts.append(part)
                rest = (
                    predicate if not parts else _all([compile_predicate(t, names) for t in others])
                )
            except NotUnderstood:
                predicate, parts, rest = None, [], None
        checks.append(Check(name, sql, columns, predicate, tuple(parts), rest))
    return checks


def _all(predicates: list[Predicate]) -> Predicate | None:
    """The AND of ``predicates`` (SQL's three values), None for none."""
    if not predicates:
        return None
    if len(predicates) == 1:
        return predicates[0]

    def run(row: Row) -> Any:
        value: Any = True
        for predicate in predicates:
            value = _and(value, predicate(row))
            if value is False:
                return False
        return value

    return run


def _column_comparison(tree: exp.Expression, columns: list[str]) -> tuple[str, str, Any] | None:
    """``(column, operator, constant)`` when ``tree`` is just ``column op constant`` (either
    way round; the constant may be any expression of constants, a cast say), or ``(column,
    "in", (constant, ...))`` for ``column IN (constant, ...)`` and PostgreSQL's ``column =
    ANY (ARRAY[...])`` (an Enum's CHECK), else None. The column may be cast to text, which
    the predicate leaves as it is (``(status)::text``, as PostgreSQL shows Enum CHECKs)."""
    while isinstance(tree, exp.Paren):
        tree = tree.this
    lookup = {c.lower(): c for c in columns}

    def column_name(node: exp.Expression) -> str | None:
        while isinstance(node, exp.Paren) or (
            isinstance(node, exp.Cast) and node.to.this in _TEXT_TYPES
        ):
            node = node.this
        if not isinstance(node, exp.Column):
            return None
        return node.name if node.name in columns else lookup.get(node.name.lower())

    def listed(options: list[tuple[bool, Any]]) -> tuple[Any, ...] | None:
        if not options or not all(known and c is not None for known, c in options):
            return None  # a NULL among them makes a miss unknown: left to the row predicate
        return tuple(c for _, c in options)

    if isinstance(tree, exp.In) and tree.args.get("query") is None:
        name, constants = column_name(tree.this), listed(list(map(_constant, tree.expressions)))
        return None if name is None or constants is None else (name, "in", constants)
    op = _COMPARISONS.get(type(tree))
    if op is None or tree.args.get("negate"):
        return None
    left, right = tree.this, tree.expression
    if isinstance(right, exp.Any):
        name, constants = column_name(left), listed(_array_constants(right) or [])
        if op != "=" or name is None or constants is None:
            return None
        return (name, "in", constants)
    name = column_name(left)
    if name is None:
        right, op, name = left, _FLIPPED[op], column_name(right)
    known, constant = _constant(right)
    return (name, op, constant) if name is not None and known and constant is not None else None


#: Casts the predicate leaves values as they are through (:func:`_cast_to`).
_TEXT_TYPES = frozenset(
    {
        exp.DataType.Type.TEXT,
        exp.DataType.Type.VARCHAR,
        exp.DataType.Type.CHAR,
        exp.DataType.Type.NVARCHAR,
        exp.DataType.Type.NCHAR,
    }
)


def _array_constants(node: exp.Any) -> list[tuple[bool, Any]] | None:
    """The literals of ``ANY (ARRAY[...])`` as :func:`_constant` gives them; None when it is
    no array of literals."""
    inner: exp.Expression = node.this
    while isinstance(inner, exp.Paren | exp.Cast):
        inner = inner.this
    if not isinstance(inner, exp.Array):
        return None
    found = []
    for element in inner.expressions:
        while isinstance(element, exp.Cast | exp.Paren):
            element = element.this
        if not isinstance(element, exp.Literal):
            return None
        found.append((True, _literal(element)))
    return found


def holds_between(op: str, constant: Any, low: Any, high: Any) -> bool:
    """Whether ``value op constant`` is TRUE for every value from ``low`` to ``high`` (an
    ordering comparison holds over a range exactly when it holds at both ends)."""
    return op in ("<", "<=", ">", ">=") and all(
        _compare(op, end, constant) is True for end in (low, high)
    )


def failing(values: Sequence[Any], op: str, constant: Any) -> list[int]:
    """Indexes of the ``values`` for which ``value op constant`` is FALSE, as the check's
    predicate would judge each of them (NULL passes); ``op`` ``"in"`` takes a tuple."""
    if op == "in":
        return _failing_in(values, constant)
    compare = _OPERATORS[op]
    kind = type(constant)
    out = []
    for index, value in enumerate(values):
        if value is None:
            continue
        if type(value) is kind or (type(value), kind) in _NATIVE:
            try:
                if not compare(value, constant):
                    out.append(index)
            except (TypeError, ArithmeticError):  # as _compare: unknown, so it passes
                pass
        elif _compare(op, value, constant) is False:
            out.append(index)
    return out


#: Pairs of types that :func:`_compare` compares as Python does (``_comparable`` leaves them).
_NATIVE = frozenset({(Decimal, int), (int, Decimal), (float, int), (int, float)})


def _failing_in(values: Sequence[Any], options: tuple[Any, ...]) -> list[int]:
    kind = type(options[0])
    plain = frozenset(options) if all(type(o) is kind for o in options) else frozenset()
    out = []
    for index, value in enumerate(values):
        if value is None or (type(value) is kind and value in plain):
            continue
        if not any(_compare("=", value, option) for option in options):  # as _in
            out.append(index)
    return out


# -- evaluation ---------------------------------------------------------------------------


def compile_predicate(tree: exp.Expression, columns: list[str]) -> Predicate:
    """A function of a row that evaluates ``tree`` with SQL's three-valued logic.

    Raises:
        NotUnderstood: the tree uses a construct that is not supported.
    """
    lookup = {c.lower(): c for c in columns}

    def column(node: exp.Column) -> Predicate:
        name = node.name
        actual = name if name in columns else lookup.get(name.lower())
        if actual is None:
            raise NotUnderstood(f"unknown column {name}")
        return lambda row: row.get(actual)

    return _compile(tree, column)


def _literal(node: exp.Literal) -> Any:
    if node.is_string:
        return node.this
    text = node.this
    try:
        return int(text)
    except ValueError:
        try:
            return Decimal(text)
        except InvalidOperation:
            raise NotUnderstood(f"number {text}") from None


def _cast_to(value: Any, kind: exp.DataType) -> Any:
    """``value`` cast to ``kind``; NULL (unknown: the database judges the row) when the text
    is not one (the database's cast would fail)."""
    if value is None:
        return None
    target = kind.this
    types = exp.DataType.Type
    if isinstance(value, str):
        try:
            if target == types.DATE:
                return dt.date.fromisoformat(value)
            if target in (types.TIMESTAMP, types.TIMESTAMPTZ, types.DATETIME):
                return dt.datetime.fromisoformat(value)
            if target in (types.DECIMAL, types.DOUBLE, types.FLOAT, types.INT, types.BIGINT):
                return Decimal(value)
        except (ValueError, ArithmeticError):
            return None
    return value


_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "=": ops.eq,
    "<>": ops.ne,
    "<": ops.lt,
    "<=": ops.le,
    ">": ops.gt,
    ">=": ops.ge,
}


def _compare(op: str, a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    if type(a) is not type(b):
        a, b = _comparable(a, b)
    try:
        return (_OPERATORS.get(op) or _OPERATORS[">="])(a, b)
    except (TypeError, ArithmeticError):  # not comparable (NaN among decimals): unknown
        return None


def _comparable(a: Any, b: Any) -> tuple[Any, Any]:
    """Bring a string literal to a date/number when compared with one, as SQL does."""
    if isinstance(a, str) and not isinstance(b, str):
        return _coerce(a, b), b
    if isinstance(b, str) and not isinstance(a, str):
        return a, _coerce(b, a)
    if isinstance(a, bool) or isinstance(b, bool):
        return int(a), int(b)
    if isinstance(a, float) and isinstance(b, Decimal):
        return Decimal(str(a)), b
    if isinstance(b, float) and isinstance(a, Decimal):
        return a, Decimal(str(b))
    return a, b


def _coerce(text: str, like: Any) -> Any:
    try:
        if isinstance(like, dt.datetime):
            return dt.datetime.fromisoformat(text)
        if isinstance(like, dt.date):
            return dt.date.fromisoformat(text)
        if isinstance(like, int | float | Decimal):
            return Decimal(text)
    except (ValueError, ArithmeticError):  # not a date or number: compared as text
        pass
    return text


_COMPARISONS: dict[type[exp.Expression], str] = {
    exp.EQ: "=",
    exp.NEQ: "<>",
    exp.LT: "<",
    exp.LTE: "<=",
    exp.GT: ">",
    exp.GTE: ">=",
}
_FLIPPED = {"=": "=", "<>": "<>", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


def _and(a: Any, b: Any) -> Any:
    if a is False or b is False:
        return False
    if a is None or b is None:
        return None
    return True


def _or(a: Any, b: Any) -> Any:
    if a is True or b is True:
        return True
    if a is None or b is None:
        return None
    return False


def _truth(value: Any) -> Any:
    if value is None:
        return None
    return bool(value)


def _like(pattern: str, case: bool) -> re.Pattern[str]:
    body = "".join(".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern)
    return re.compile(body, 0 if case else re.IGNORECASE)


def _compile(node: exp.Expression, column: Callable[[exp.Column], Predicate]) -> Predicate:
    if node.args.get("negate"):
        # sqlglot writes "x IS NOT NULL", "x NOT LIKE …" as the positive node with negate=True.
        positive = node.copy()
        positive.set("negate", None)
        inner = _compile(positive, column)
        return lambda row: None if (v := _truth(inner(row))) is None else not v

    def sub(n: exp.Expression) -> Predicate:
        return _compile(n, column)

    if isinstance(node, exp.Paren):
        return sub(node.this)
    if isinstance(node, exp.Column):
        return column(node)
    if isinstance(node, exp.Literal):
        value = _literal(node)
        return lambda _row: value
    if isinstance(node, exp.Null):
        return lambda _row: None
    if isinstance(node, exp.Boolean):
        flag = bool(node.this)
        return lambda _row: flag
    if isinstance(node, exp.Cast):
        inner = sub(node.this)
        kind = node.to
        return lambda row: _cast_to(inner(row), kind)
    if isinstance(node, exp.Neg):
        inner = sub(node.this)
        return lambda row: None if (v := inner(row)) is None else -v
    if type(node) in _COMPARISONS:
        op = _COMPARISONS[type(node)]
        right_node = node.expression
        left = sub(node.this)
        if isinstance(right_node, exp.Any):
            options = _array(right_node)
            return lambda row: _in(left(row), options, row) if op == "=" else _not_understood()
        right = sub(right_node)
        return lambda row: _compare(op, left(row), right(row))
    if isinstance(node, exp.In):
        if node.args.get("query") is not None:
            raise NotUnderstood("IN (subquery)")
        needle = sub(node.this)
        options = [sub(e) for e in node.expressions]
        return lambda row: _in(needle(row), options, row)
    if isinstance(node, exp.Between):
        value, low, high = sub(node.this), sub(node.args["low"]), sub(node.args["high"])
        return lambda row: _and(
            _compare(">=", value(row), low(row)), _compare("<=", value(row), high(row))
        )
    if isinstance(node, exp.Is):
        inner = sub(node.this)
        if not isinstance(node.expression, exp.Null):
            raise NotUnderstood("IS with something other than NULL")
        return lambda row: inner(row) is None
    if isinstance(node, exp.Not):
        inner = sub(node.this)
        return lambda row: None if (v := _truth(inner(row))) is None else not v
    if isinstance(node, exp.And):
        a, b = sub(node.this), sub(node.expression)
        return lambda row: _and(_truth(a(row)), _truth(b(row)))
    if isinstance(node, exp.Or):
        a, b = sub(node.this), sub(node.expression)
        return lambda row: _or(_truth(a(row)), _truth(b(row)))
    if isinstance(node, exp.Length) or (
        isinstance(node, exp.Anonymous)
        and str(node.this).lower() in {"char_length", "character_length", "length", "len"}
    ):
        inner = sub(node.this if isinstance(node, exp.Length) else node.expressions[0])
        return lambda row: None if (v := inner(row)) is None else len(str(v))
    if isinstance(node, exp.Lower | exp.Upper | exp.Trim):
        inner = sub(node.this)
        fn: Callable[[str], str] = (
            str.lower
            if isinstance(node, exp.Lower)
            else str.upper
            if isinstance(node, exp.Upper)
            else str.strip
        )
        return lambda row: None if (v := inner(row)) is None else fn(str(v))
    if isinstance(node, exp.Like | exp.ILike):
        inner = sub(node.this)
        pattern_node = node.expression
        while isinstance(pattern_node, exp.Paren) or (  # PostgreSQL's 'k-%'::text
            isinstance(pattern_node, exp.Cast) and pattern_node.to.this in _TEXT_TYPES
        ):
            pattern_node = pattern_node.this
        if not isinstance(pattern_node, exp.Literal):
            raise NotUnderstood("LIKE with a non-constant pattern")
        regex = _like(pattern_node.this, isinstance(node, exp.Like))
        return lambda row: None if (v := inner(row)) is None else bool(regex.fullmatch(str(v)))
    if isinstance(node, exp.Add | exp.Sub | exp.Mul | exp.Div):
        return _arithmetic(node, sub(node.this), sub(node.expression))
    if isinstance(node, exp.Anonymous) and str(node.this).lower() == "json_valid":
        inner = sub(node.expressions[0])
        return lambda row: None if (v := inner(row)) is None else _is_json(v)
    if isinstance(node, exp.Coalesce):
        parts = [sub(node.this), *(sub(e) for e in node.expressions)]
        return lambda row: next((v for p in parts if (v := p(row)) is not None), None)
    raise NotUnderstood(type(node).__name__)


def _is_json(value: Any) -> bool:
    import json

    if not isinstance(value, str):
        return True  # a dict or list: the driver sends it as JSON
    try:
        json.loads(value)
    except ValueError:
        return False
    return True


def _not_understood() -> Any:
    return None


def _array(node: exp.Any) -> list[Predicate]:
    found = _array_constants(node)
    if found is None:
        raise NotUnderstood("ANY without an ARRAY of literals")
    return [_const(value) for _, value in found]


def _const(value: Any) -> Predicate:
    return lambda _row: value


def _in(value: Any, options: list[Predicate], row: Row) -> Any:
    if value is None:
        return None
    return any(_compare("=", value, option(row)) for option in options)


def _arithmetic(node: exp.Expression, a: Predicate, b: Predicate) -> Predicate:
    def run(row: Row) -> Any:
        x, y = a(row), b(row)
        if x is None or y is None:
            return None
        x, y = _comparable(x, y)
        if isinstance(node, exp.Add):
            return x + y
        if isinstance(node, exp.Sub):
            return x - y
        if isinstance(node, exp.Mul):
            return x * y
        return None if y == 0 else x / y

    return run


# -- domains ------------------------------------------------------------------------------


def conjuncts(node: exp.Expression) -> list[exp.Expression]:
    """The parts of ``node`` joined by AND (parentheses removed)."""
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.And):
        return conjuncts(node.this) + conjuncts(node.expression)
    return [node]


def _strip(node: exp.Expression) -> exp.Expression:
    while isinstance(node, exp.Paren | exp.Cast):
        node = node.this
    return node


def _constant(node: exp.Expression) -> tuple[bool, Any]:
    node_ = node
    while isinstance(node_, exp.Paren):
        node_ = node_.this
    try:
        value = _compile(node_, _no_columns)({})
    except (NotUnderstood, TypeError, ArithmeticError):  # 'a' + 1: not a constant we know
        return False, None
    return True, value


def _no_columns(_node: exp.Column) -> Predicate:
    raise NotUnderstood("column")


def _length_of(node: exp.Expression) -> str | None:
    node = _strip(node)
    if isinstance(node, exp.Length):
        inner = _strip(node.this)
    elif isinstance(node, exp.Anonymous) and str(node.this).lower() in {
        "char_length",
        "character_length",
        "length",
        "len",
    }:
        inner = _strip(node.expressions[0])
    else:
        return None
    return inner.name if isinstance(inner, exp.Column) else None


def domains(checks: list[Check], dialect: str = "sqlite") -> dict[str, Domain]:
    """Per column, what the understood, AND-ed parts of ``checks`` require on their own."""
    found: dict[str, Domain] = {}

    def domain(name: str) -> Domain:
        return found.setdefault(name, Domain())

    for check in checks:
        if not check.understood:
            continue
        tree = parse(check.sql, dialect)
        if tree is None:
            continue
        for part in conjuncts(tree):
            _narrow(part, domain)
    return found


def _narrow(part: exp.Expression, domain: Callable[[str], Domain]) -> None:
    part = _strip(part)
    if isinstance(part, exp.Is) and part.args.get("negate"):
        if isinstance(_strip(part.this), exp.Column):
            domain(_strip(part.this).name).not_null = True
        return
    if part.args.get("negate"):
        return
    if isinstance(part, exp.Or):
        # "col IS NULL OR <condition on col>": non-NULL values must meet the condition.
        sides = [_strip(part.this), _strip(part.expression)]
        for nullish, other in (sides, sides[::-1]):
            if (
                isinstance(nullish, exp.Is)
                and not nullish.args.get("negate")
                and isinstance(_strip(nullish.this), exp.Column)
                and isinstance(nullish.expression, exp.Null)
            ):
                name = _strip(nullish.this).name
                cols = {c.name for c in other.find_all(exp.Column)}
                if name in cols:  # also "x IS NULL OR x >= y": a relation to another column
                    for piece in conjuncts(other):
                        _narrow(piece, domain)
        return
    if isinstance(part, exp.Not):
        inner = _strip(part.this)
        if isinstance(inner, exp.Is) and isinstance(_strip(inner.this), exp.Column):
            domain(_strip(inner.this).name).not_null = True
        return
    if (
        isinstance(part, exp.Anonymous)
        and str(part.this).lower() == "json_valid"
        and part.expressions
        and isinstance(_strip(part.expressions[0]), exp.Column)
    ):
        domain(_strip(part.expressions[0]).name).json = True
        return
    if (
        isinstance(part, exp.Like)
        and not part.args.get("negate")
        and isinstance(_strip(part.this), exp.Column)
        and isinstance(_strip(part.expression), exp.Literal)
    ):
        domain(_strip(part.this).name).like = str(_strip(part.expression).this)
        return
    if isinstance(part, exp.In) and isinstance(_strip(part.this), exp.Column):
        values = []
        for option in part.expressions:
            ok, value = _constant(option)
            if not ok:
                return
            values.append(value)
        domain(_strip(part.this).name).choose(tuple(values))
        return
    if isinstance(part, exp.Between) and isinstance(_strip(part.this), exp.Column):
        ok_low, low = _constant(part.args["low"])
        ok_high, high = _constant(part.args["high"])
        target = domain(_strip(part.this).name)
        if ok_low:
            target.bound(">=", low)
        if ok_high:
            target.bound("<=", high)
        return
    if type(part) not in _COMPARISONS:
        return
    op = _COMPARISONS[type(part)]
    left, right = part.this, part.expression
    if isinstance(right, exp.Any) and isinstance(_strip(left), exp.Column) and op == "=":
        try:
            options = _array(right)
        except NotUnderstood:
            return
        domain(_strip(left).name).choose(tuple(o({}) for o in options))
        return
    if op == "=":
        for a, b in ((left, right), (right, left)):
            a_stripped, b_stripped = _strip(a), _strip(b)
            if (
                isinstance(a_stripped, exp.Column)
                and isinstance(b_stripped, exp.Lower | exp.Upper)
                and isinstance(_strip(b_stripped.this), exp.Column)
                and _strip(b_stripped.this).name == a_stripped.name
            ):
                domain(a_stripped.name).case = (
                    "lower" if isinstance(b_stripped, exp.Lower) else "upper"
                )
                return
    for a, b, operator in ((left, right, op), (right, left, _FLIPPED[op])):
        a_stripped = _strip(a)
        length_column = _length_of(a)
        ok, value = _constant(b)
        if isinstance(a_stripped, exp.Column):
            b_stripped = _strip(b)
            if isinstance(b_stripped, exp.Column):
                domain(a_stripped.name).relations.append((operator, b_stripped.name))
                domain(b_stripped.name).relations.append((_FLIPPED[operator], a_stripped.name))
                return
            if ok and value is not None:
                if operator == "<>":
                    if value == "":
                        domain(a_stripped.name).length(">=", 1)
                else:
                    domain(a_stripped.name).bound(operator, value)
                return
        if length_column is not None and ok and isinstance(value, int):
            domain(length_column).length(operator, value)
            return
