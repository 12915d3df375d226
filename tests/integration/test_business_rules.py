"""The override API against real databases: values read from parent rows, rows per parent,
totals of children, rows left out by a rule (and their children), skewed parents, and the
reference ERP's business rules holding after `seedctl upgrade`."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    text,
)

import seedlib
from seedlib import TableSpec, values
from seedlib.db import engine_for
from seedlib.engine import references
from tests.conftest import Seedctl


def _schema(url: str) -> None:
    meta = MetaData()
    Table("customers", meta, Column("id", Integer, primary_key=True), Column("name", String(40)))
    Table(
        "orders",
        meta,
        Column("id", Integer, primary_key=True),
        Column("customer_id", ForeignKey("customers.id"), nullable=False),
        Column("status", String(10), nullable=False),
        Column("total", Numeric(12, 2), nullable=False),
        # a second total over the same child, with its own start: one UPDATE sets both
        Column("weight", Integer, nullable=False),
        CheckConstraint("total >= 0"),
    )
    Table(
        "order_lines",
        meta,
        Column("id", Integer, primary_key=True),
        Column("order_id", ForeignKey("orders.id"), nullable=False),
        Column("amount", Numeric(12, 2), nullable=False),
        Column("grams", Integer, nullable=False),
    )
    Table(
        "invoices",
        meta,
        Column("id", Integer, primary_key=True),
        Column("order_id", ForeignKey("orders.id"), nullable=False),
        Column("customer_id", ForeignKey("customers.id"), nullable=False),
        Column("amount", Numeric(12, 2), nullable=False),
    )
    Table(
        "reminders",
        meta,
        Column("id", Integer, primary_key=True),
        Column("invoice_id", ForeignKey("invoices.id"), nullable=False),
    )
    engine = engine_for(url)
    try:
        with engine.begin() as conn:
            meta.create_all(conn)
    finally:
        engine.dispose()


def _invoiced(status: Any, _h: int) -> Any:
    return values.SKIP if status == "draft" else status


SPEC: dict[str, int | TableSpec] = {
    "customers": 20,
    "orders": TableSpec(
        60,
        columns={
            "customer_id": values.skewed(4),
            "status": values.weighted({"paid": 3, "draft": 1}),
            "total": values.total_of("order_lines", "order_id", "amount"),
            "weight": values.total_of("order_lines", "order_id", "grams", start=7),
        },
    ),
    "order_lines": TableSpec(
        per_parent=("order_id", 1, 4),
        columns={"amount": values.decimals(1, 50), "grams": values.integers(1, 900)},
    ),
    "invoices": TableSpec(
        per_parent=("order_id", 1, 1),
        columns={
            "customer_id": values.parent("order_id", "customer_id"),
            "amount": values.parent(
                "order_id",
                ("status", "total"),
                then=lambda v, _h: values.SKIP if v[0] == "draft" else v[1],
            ),
        },
    ),
    "reminders": TableSpec(per_parent=("invoice_id", 2, 2)),
}


def _one(url: str, sql: str) -> Any:
    engine = engine_for(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql)).scalar()
    finally:
        engine.dispose()


def test_parent_values_children_totals_and_rules(db_url: str) -> None:
    _schema(db_url)
    result = seedlib.seed(db_url, tables=SPEC, label="rules", rows=0)
    report = {t["table"]: t for t in result.tables}
    lines = report["order_lines"]["rows"]
    assert 60 <= lines <= 240
    assert report["invoices"]["rows"] + report["invoices"]["omitted"] == 60
    drafts = _one(db_url, "SELECT count(*) FROM orders WHERE status = 'draft'")
    assert report["invoices"]["omitted"] == drafts > 0
    assert report["invoices"]["skipped"] == 0
    # Children of rows left out are left out too: two reminders per invoice that exists.
    assert report["reminders"]["rows"] == 2 * report["invoices"]["rows"]
    assert report["reminders"]["omitted"] == 2 * drafts
    assert (
        _one(
            db_url,
            "SELECT count(*) FROM orders o WHERE abs(o.total - (SELECT coalesce(sum(amount), 0) "
            "FROM order_lines l WHERE l.order_id = o.id)) > 0.001",
        )
        == 0
    )
    assert (
        _one(
            db_url,
            "SELECT count(*) FROM orders o WHERE o.weight <> (SELECT coalesce(sum(grams), 7) "
            "FROM order_lines l WHERE l.order_id = o.id)",
        )
        == 0
    )
    assert (
        _one(
            db_url,
            "SELECT count(*) FROM invoices i JOIN orders o ON o.id = i.order_id "
            "WHERE abs(i.amount - o.total) > 0.001 OR i.customer_id <> o.customer_id "
            "OR o.status = 'draft'",
        )
        == 0
    )
    top = _one(
        db_url,
        "SELECT max(n) FROM (SELECT count(*) AS n FROM orders GROUP BY customer_id) AS c",
    )
    assert top >= 10  # skewed: one customer has at least a sixth of 60 orders
    seedlib.unseed(db_url, label="rules")
    assert _one(db_url, "SELECT count(*) FROM orders") == 0


def test_rows_per_parent_keep_small_a_prefix_of_large(db_url: str, other_db_url: str) -> None:
    lines = []
    for url, rows in ((db_url, 1), (other_db_url, 5)):
        _schema(url)
        scaled = {
            name: (
                TableSpec(spec.rows * rows, spec.columns, spec.per_parent)
                if isinstance(spec, TableSpec)
                else spec * rows
            )
            for name, spec in SPEC.items()
        }
        seedlib.seed(url, tables=scaled, label="p", rows=0)
        engine = engine_for(url)
        try:
            with engine.connect() as conn:
                lines.append(
                    [
                        tuple(r)
                        for r in conn.execute(
                            text("SELECT order_id, amount FROM order_lines ORDER BY id")
                        )
                    ]
                )
        finally:
            engine.dispose()
    assert lines[1][: len(lines[0])] == lines[0]


def test_named_generators_come_from_an_explicit_registry() -> None:
    generator = values.named("weighted", {"a": 1})
    assert generator(0, 12345, {}) == "a"
    faked = values.named("faker", "company_email", size=8)
    assert "@" in faked(0, 3, {})
    assert sorted(values.REGISTRY)[:3] == ["after", "choice", "constant"]


def test_reference_erp_business_rules_hold(seedctl: Seedctl) -> None:
    assert seedctl("upgrade").exit_code == 0
    url = seedctl.url
    checks = {
        "order totals are the sum of their lines": (
            "SELECT count(*) FROM orders o WHERE abs(o.total - (SELECT coalesce(sum(line_total),"
            " 0) FROM order_line_items l WHERE l.order_id = o.id)) > 0.001"
        ),
        "line totals are quantity times price": (
            "SELECT count(*) FROM order_line_items WHERE abs(line_total - quantity * unit_price)"
            " > 0.01"
        ),
        "invoices match their order": (
            "SELECT count(*) FROM invoices i JOIN orders o ON o.id = i.order_id WHERE "
            "abs(i.amount_due - o.total) > 0.001 OR i.client_id <> o.client_id"
        ),
        "only confirmed or fulfilled orders are invoiced": (
            "SELECT count(*) FROM invoices i JOIN orders o ON o.id = i.order_id "
            "WHERE o.status NOT IN ('CONFIRMED', 'FULFILLED')"
        ),
        "payments never exceed the amount due": (
            "SELECT count(*) FROM invoices WHERE amount_paid > amount_due + 0.001"
        ),
        "amount paid is the sum of payments": (
            "SELECT count(*) FROM invoices i WHERE abs(i.amount_paid - (SELECT coalesce("
            "sum(amount), 0) FROM payments p WHERE p.invoice_id = i.id)) > 0.001"
        ),
        "paid invoices are paid in full": (
            "SELECT count(*) FROM invoices WHERE status = 'PAID' AND "
            "abs(amount_paid - amount_due) > 0.001"
        ),
        "invoices are due after they are issued": (
            "SELECT count(*) FROM invoices WHERE due_on < issued_on"
        ),
        "flower costs $800-1,800 a pound": (
            "SELECT count(*) FROM batches b JOIN products p ON p.id = b.product_id WHERE "
            "p.category = 'FLOWER' AND (b.unit_cost < 800 OR b.unit_cost > 1800 "
            "OR p.unit_of_measure <> 'LB')"
        ),
        # s001's generated clients; s004 loads a real customer list from every state.
        "clients are Californian": (
            "SELECT count(*) FROM clients WHERE state <> 'CA' AND client_code LIKE 'WHL%'"
        ),
    }
    broken = {name: _one(url, sql) for name, sql in checks.items()}
    assert broken == dict.fromkeys(checks, 0)
    share = _one(
        url,
        "SELECT 1.0 * (SELECT sum(t) FROM (SELECT sum(total) AS t FROM orders GROUP BY "
        "client_id ORDER BY t DESC LIMIT 10) AS top) / (SELECT sum(total) FROM orders)",
    )
    assert Decimal(str(share)) > Decimal("0.5")  # ten of 100 clients carry most revenue


def test_a_null_foreign_key_reads_no_parent_even_one_with_a_null_key(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A parent keyed by a nullable unique column may hold a NULL key; a child whose foreign
    key is NULL names no parent, whether parents are read whole or queried batch by batch."""
    meta = MetaData()
    Table(
        "codes",
        meta,
        Column("id", Integer, primary_key=True),
        Column("code", String(8), unique=True),
        Column("label", String(20)),
    )
    Table(
        "uses",
        meta,
        Column("id", Integer, primary_key=True),
        Column("code", ForeignKey("codes.code")),
        Column("label", String(20)),
    )
    engine = engine_for(db_url)
    try:
        with engine.begin() as conn:
            meta.create_all(conn)
            conn.execute(
                text("INSERT INTO codes (id, code, label) VALUES (1, 'A', 'alpha'), (2, NULL, 'x')")
            )
    finally:
        engine.dispose()
    spec: dict[str, int | TableSpec] = {
        "uses": TableSpec(
            600,
            columns={
                "code": lambda o, _h, _r: None if o % 2 else "A",
                "label": values.parent("code", "label"),
            },
        )
    }
    for limit, label in ((references.PARENTS_READ_WHOLE, "whole"), (0, "queried")):
        monkeypatch.setattr(references, "PARENTS_READ_WHOLE", limit)
        seedlib.seed(db_url, tables=spec, label=label, rows=0, chunk_rows=100)  # 6 batches
        assert _one(db_url, "SELECT count(*) FROM uses WHERE code IS NULL AND label IS NULL") == 300
        assert _one(db_url, "SELECT count(*) FROM uses WHERE code = 'A' AND label = 'alpha'") == 300
        seedlib.unseed(db_url, label=label)
