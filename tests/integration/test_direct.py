"""Seeding any database directly (``seedlib.seed`` / ``seedctl seed``): constraints honoured,
every foreign key holding, deterministic content, exact removal, clear refusals."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    UniqueConstraint,
    Uuid,
    func,
    select,
    text,
)

import seedlib
from seedlib.db import engine_for
from tests.conftest import Seedctl, rows


def _schema() -> MetaData:
    meta = MetaData()
    Table(
        "customers",
        meta,
        Column("id", Integer, primary_key=True),
        Column("name", String(40), nullable=False),
        Column("email", String(80), nullable=False, unique=True),
        Column("status", String(10), nullable=False),
        Column("credit", Numeric(8, 2), nullable=False),
        Column("handle", String(30), nullable=False),
        Column("vip", Boolean, nullable=False),
        Column("referrer_id", ForeignKey("customers.id")),
        CheckConstraint("status IN ('active', 'paused', 'closed')", name="ck_status"),
        CheckConstraint("credit >= 0 AND credit <= 5000", name="ck_credit"),
        CheckConstraint("handle = lower(handle)", name="ck_handle"),
    )
    Table(
        "orders",
        meta,
        Column("id", Integer, primary_key=True),
        Column("customer_id", ForeignKey("customers.id"), nullable=False),
        Column("placed", Date, nullable=False),
        Column("shipped", Date),
        Column("qty", Integer),
        CheckConstraint("shipped >= placed", name="ck_dates"),
        CheckConstraint("qty BETWEEN 1 AND 5 OR qty IS NULL", name="ck_qty"),
    )
    Table("tags", meta, Column("id", Integer, primary_key=True), Column("label", String(20)))
    Table(
        "order_tags",
        meta,
        Column("id", Integer, primary_key=True),
        Column("order_id", ForeignKey("orders.id"), nullable=False),
        Column("tag_id", ForeignKey("tags.id"), nullable=False),
        UniqueConstraint("order_id", "tag_id", name="uq_order_tag"),
    )
    Table(
        "shelves",
        meta,
        Column("site", String(10), primary_key=True),
        Column("number", Integer, primary_key=True),
        Column("capacity", Integer, nullable=False),
        CheckConstraint("capacity > 10 AND capacity < 20", name="ck_capacity"),
    )
    Table(
        "slots",
        meta,
        Column("id", Integer, primary_key=True),
        Column("site", String(10), nullable=False),
        Column("number", Integer, nullable=False),
        ForeignKeyConstraint(["site", "number"], ["shelves.site", "shelves.number"]),
    )
    return meta


TABLES = ["customers", "orders", "tags", "order_tags", "shelves", "slots"]


def _create(url: str) -> MetaData:
    meta = _schema()
    engine = engine_for(url)
    try:
        with engine.begin() as conn:
            meta.create_all(conn)
            conn.execute(
                meta.tables["customers"]
                .insert()
                .values(
                    id=1,
                    name="App",
                    email="app@example.org",
                    status="active",
                    credit=1,
                    handle="app",
                    vip=False,
                )
            )
    finally:
        engine.dispose()
    return meta


def _dump(url: str, meta: MetaData) -> dict[str, list[tuple[Any, ...]]]:
    engine = engine_for(url)
    try:
        with engine.connect() as conn:
            return {
                name: sorted(
                    (tuple(map(str, row)) for row in conn.execute(select(meta.tables[name]))),
                )
                for name in TABLES
            }
    finally:
        engine.dispose()


def _orphans(url: str) -> int:
    engine = engine_for(url)
    queries = [
        "SELECT count(*) FROM orders o LEFT JOIN customers c ON c.id = o.customer_id "
        "WHERE c.id IS NULL",
        "SELECT count(*) FROM customers o LEFT JOIN customers c ON c.id = o.referrer_id "
        "WHERE o.referrer_id IS NOT NULL AND c.id IS NULL",
        "SELECT count(*) FROM order_tags o LEFT JOIN tags t ON t.id = o.tag_id WHERE t.id IS NULL",
        "SELECT count(*) FROM slots s LEFT JOIN shelves h ON h.site = s.site AND "
        "h.number = s.number WHERE h.site IS NULL",
    ]
    try:
        with engine.connect() as conn:
            return sum(int(conn.execute(text(q)).scalar() or 0) for q in queries)
    finally:
        engine.dispose()


def test_every_table_seeded_within_its_constraints_and_removed_exactly(db_url: str) -> None:
    meta = _create(db_url)
    before = _dump(db_url, meta)
    result = seedlib.seed(
        db_url, rows=60, tables={"orders": 150, "order_tags": 200, "shelves": 12}, label="t"
    )
    rows = {t["table"]: t for t in result.tables}
    assert {n: rows[n]["rows"] for n in TABLES} == {
        "customers": 60,
        "orders": 150,
        "tags": 60,
        "order_tags": 200,
        "shelves": 12,
        "slots": 60,
    }
    assert all(t["skipped"] == 0 for t in result.tables), result.tables
    assert _orphans(db_url) == 0
    engine = engine_for(db_url)
    try:
        with engine.connect() as conn:
            customers = meta.tables["customers"]
            statuses = set(conn.execute(select(customers.c.status)).scalars())
            assert statuses <= {"active", "paused", "closed"}
            handles = list(conn.execute(select(customers.c.handle)).scalars())
            assert all(h == h.lower() for h in handles)
            depth = conn.execute(
                text(
                    "SELECT count(*) FROM customers a JOIN customers b ON a.referrer_id = b.id "
                    "WHERE b.referrer_id IS NOT NULL"
                )
            ).scalar()
            assert depth, "the self-reference should form trees deeper than one level"
    finally:
        engine.dispose()
    report = seedlib.unseed(db_url, label="t")
    assert sum(report.deleted.values()) == sum(rows[n]["rows"] for n in TABLES)
    assert _dump(db_url, meta) == before


def test_same_seed_same_content(db_url: str, other_db_url: str) -> None:
    hashes = []
    for url in (db_url, other_db_url):
        _create(url)
        result = seedlib.seed(url, rows=40, seed=5, label="h")
        hashes.append({t["table"]: t["content_hash"] for t in result.tables})
    assert hashes[0] == hashes[1]
    assert len(set(hashes[0].values())) == len(TABLES)


def test_small_is_a_prefix_of_a_larger_run(db_url: str, other_db_url: str) -> None:
    meta = _create(db_url)
    _create(other_db_url)
    seedlib.seed(db_url, rows=20, tables={"orders": 50}, label="s")
    seedlib.seed(other_db_url, rows=200, tables={"orders": 500}, label="m")
    orders = meta.tables["orders"]
    picked = []
    for url in (db_url, other_db_url):
        engine = engine_for(url)
        try:
            with engine.connect() as conn:
                picked.append(
                    list(
                        conn.execute(
                            select(orders.c.customer_id, orders.c.placed, orders.c.qty)
                            .order_by(orders.c.id)
                            .limit(50)
                        )
                    )
                )
        finally:
            engine.dispose()
    assert picked[0] == picked[1]


def test_labels_are_idempotent_and_refuse_other_parameters(db_url: str) -> None:
    _create(db_url)
    first = seedlib.seed(db_url, rows=10, label="x")
    again = seedlib.seed(db_url, rows=10, label="x")
    assert again.already_seeded
    assert again.total_rows == first.total_rows
    with pytest.raises(seedlib.Refused, match=r"seedctl unseed --database-url … --label x"):
        seedlib.seed(db_url, rows=11, label="x")
    assert seedlib.labels(db_url) == {"x": {t["table"]: t["rows"] for t in first.tables}}


def test_impossible_counts_are_refused_before_anything_is_inserted(db_url: str) -> None:
    meta = _create(db_url)
    before = _dump(db_url, meta)
    with pytest.raises(seedlib.DataError, match=r"\(order_id, tag_id\) is unique"):
        seedlib.seed(db_url, rows=3, tables={"order_tags": 50}, label="f")
    assert _dump(db_url, meta) == before


def test_cli_seed_unseed_round_trip(db_url: str) -> None:
    meta = _create(db_url)
    before = _dump(db_url, meta)
    seedctl = Seedctl(db_url)
    dry = seedctl("seed", "--rows", "5", "--dry-run", "--json")
    assert dry.exit_code == 0, dry.stderr
    assert {t["table"] for t in json.loads(dry.stdout)["tables"]} == set(TABLES)
    assert _dump(db_url, meta) == before
    done = seedctl("seed", "--rows", "5", "--table", "orders=9", "--label", "cli")
    assert done.exit_code == 0, done.stderr
    assert "seeded under label 'cli'" in done.stdout
    bad = seedctl("seed", "--table", "nope=3", "--label", "cli2")
    assert bad.exit_code == 2
    assert "table 'nope' is not in the database" in bad.stderr
    twice = seedctl("seed", "--table", "orders=3", "--table", "orders=5", "--label", "cli3")
    assert twice.exit_code == 2
    assert "--table orders is given twice (3 and 5)" in twice.stderr
    no_tty = seedctl("unseed", "--label", "cli")
    assert no_tty.exit_code == 5
    removed = seedctl("unseed", "--label", "cli", "--yes")
    assert removed.exit_code == 0, removed.stderr
    assert "Deleted 34 rows" in removed.stdout  # five per table, nine orders
    assert _dump(db_url, meta) == before


def test_rows_the_database_rejects_are_bisected_out(postgres_url: str) -> None:
    meta = _create(postgres_url)
    engine = engine_for(postgres_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "CREATE FUNCTION no_sevens() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                    "IF NEW.id % 7 = 0 THEN RAISE EXCEPTION 'no sevens: %', NEW.id; END IF; "
                    "RETURN NEW; END $$"
                )
            )
            conn.execute(
                text(
                    "CREATE TRIGGER no_sevens BEFORE INSERT ON tags FOR EACH ROW "
                    "EXECUTE FUNCTION no_sevens()"
                )
            )
    finally:
        engine.dispose()
    result = seedlib.seed(postgres_url, rows=70, label="b")
    tags = next(t for t in result.tables if t["table"] == "tags")
    assert tags["rows"] == 60
    assert tags["skipped"] == 10
    assert tags["skip_reasons"] == {"rejected by the database: no sevens: N": 10}
    assert _orphans(postgres_url) == 0
    engine = engine_for(postgres_url)
    try:
        with engine.connect() as conn:
            assert (
                conn.execute(select(func.count()).select_from(meta.tables["tags"])).scalar() == 60
            )
    finally:
        engine.dispose()
    seedlib.unseed(postgres_url, label="b")


def test_a_unique_cycle_closing_key_is_never_repeated(db_url: str) -> None:
    """``teams.captain_id`` closes the cycle teams -> players -> teams, is UNIQUE and nullable:
    each player captains one team, and the teams beyond the players get NULL."""
    meta = MetaData()
    Table(
        "teams",
        meta,
        Column("id", Integer, primary_key=True),
        Column("name", String(40), nullable=False),
        Column(
            "captain_id",
            Integer,
            ForeignKey("players.id", use_alter=True, name="fk_captain"),
            unique=True,
        ),
    )
    Table(
        "players",
        meta,
        Column("id", Integer, primary_key=True),
        Column("team_id", ForeignKey("teams.id"), nullable=False),
    )
    engine = engine_for(db_url)
    try:
        with engine.begin() as conn:
            meta.create_all(conn)
    finally:
        engine.dispose()
    seedlib.seed(db_url, tables={"teams": 40, "players": 12}, label="cycle")
    engine = engine_for(db_url)
    try:
        with engine.connect() as conn:
            captains = [r[0] for r in conn.execute(text("SELECT captain_id FROM teams"))]
            players = [r[0] for r in conn.execute(text("SELECT id FROM players"))]
    finally:
        engine.dispose()
    named = sorted(c for c in captains if c is not None)
    assert len(captains) == 40
    assert named == sorted(players)  # every player captains exactly one team
    assert captains.count(None) == 40 - 12


@pytest.mark.parametrize("key", [String(36), Uuid()], ids=["text", "uuid"])
def test_cycle_closing_keys_of_other_types_are_filled(db_url: str, key: Any) -> None:
    """The cycle-closing column is filled after both tables load (on PostgreSQL from two
    arrays joined in one UPDATE a batch): text and UUID keys arrive as they were drawn."""
    meta = MetaData()
    Table(
        "teams",
        meta,
        Column("id", key, primary_key=True),
        Column("captain_id", key, ForeignKey("players.id", use_alter=True, name="fk_captain")),
    )
    Table(
        "players",
        meta,
        Column("id", key, primary_key=True),
        Column("team_id", ForeignKey("teams.id"), nullable=False),
    )
    engine = engine_for(db_url)
    try:
        with engine.begin() as conn:
            meta.create_all(conn)
        seedlib.seed(db_url, tables={"teams": 30, "players": 90}, label="cycle")
        with engine.connect() as conn:
            counts = conn.execute(text("SELECT count(*), count(captain_id) FROM teams")).one()
            joined = conn.execute(
                text("SELECT count(*) FROM teams t JOIN players p ON p.id = t.captain_id")
            ).scalar_one()
    finally:
        engine.dispose()
    assert tuple(counts) == (30, 30)
    assert joined == 30


def test_a_second_label_makes_new_unique_values_after_the_first(db_url: str) -> None:
    """Row numbers continue after the rows other labels (and seed revisions) ledgered for the
    table: starting again from 1 made the same unique names and codes, all refused as already
    there, and the second seeding inserted nothing."""
    engine = engine_for(db_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE brands (id INTEGER PRIMARY KEY, name VARCHAR(80) NOT NULL UNIQUE,"
                " code VARCHAR(20) NOT NULL UNIQUE)"
            )
        )
    engine.dispose()
    first = seedlib.seed(db_url, rows=15, label="first")
    second = seedlib.seed(db_url, rows=15, label="second")
    assert [(t["rows"], t["skipped"]) for t in first.tables] == [(15, 0)]
    assert [(t["rows"], t["skipped"]) for t in second.tables] == [(15, 0)]
    assert seedlib.unseed(db_url, label="first").problems == []
    assert seedlib.unseed(db_url, label="second").problems == []


def test_children_of_a_table_asked_for_0_rows_point_at_its_rows(db_url: str) -> None:
    """``--table a=0`` with the application's rows in ``a`` was refused ("a … has no rows")."""
    engine = engine_for(db_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE a (id INTEGER PRIMARY KEY, name VARCHAR(20))"))
        conn.execute(
            text("CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER NOT NULL REFERENCES a (id))")
        )
        conn.execute(
            text(
                "INSERT INTO a (id, name) VALUES "
                + ", ".join(f"({i}, 'app')" for i in range(7, 17))
            )
        )
    try:
        result = seedlib.seed(db_url, rows=200, tables={"a": 0}, label="kids")
        assert {t["table"]: t["rows"] for t in result.tables} == {"a": 0, "b": 200}
        with engine.connect() as conn:
            pointed = set(conn.execute(text("SELECT DISTINCT a_id FROM b")).scalars())
        # Spread over every row the application has (all pointed at the first one before).
        assert pointed == set(range(7, 17))
        assert seedlib.unseed(db_url, label="kids").problems == []
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM a")).scalar() == 10
    finally:
        engine.dispose()


def test_a_row_referencing_two_seeded_rows_is_one_blocking_row(sqlite_url: str) -> None:
    engine = engine_for(sqlite_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE a (id INTEGER PRIMARY KEY)"))
        conn.execute(text("CREATE TABLE b (id INTEGER PRIMARY KEY)"))
        conn.execute(
            text(
                "CREATE TABLE c (id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES a (id),"
                " b_id INTEGER REFERENCES b (id))"
            )
        )
    seedlib.seed(sqlite_url, rows=5, tables={"c": 0}, label="ab")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO c (id, a_id, b_id) VALUES (-1, 1, 1)"))
    engine.dispose()
    with pytest.raises(seedlib.RollbackBlocked) as blocked:
        seedlib.unseed(sqlite_url, label="ab")
    assert str(blocked.value).startswith("1 row(s) that seeds did not insert")
    assert len(blocked.value.blockers) == 2  # both references are listed


def test_labels_keep_making_new_values_whatever_came_between(db_url: str) -> None:
    """Row numbers continue past every row number another label used: one unseeded in
    between, rows another skipped, a text key, a unique integer continuing after the rows
    already there."""
    engine = engine_for(db_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE tags (code VARCHAR(20) PRIMARY KEY, n SMALLINT NOT NULL UNIQUE,"
                " title VARCHAR(40) NOT NULL UNIQUE)"
            )
        )
    engine.dispose()
    made = {}
    for label in ("a", "b"):
        made[label] = seedlib.seed(db_url, rows=300, label=label).tables[0]
    seedlib.unseed(db_url, label="a")
    made["c"] = seedlib.seed(db_url, rows=300, label="c").tables[0]
    assert {k: (t["rows"], t["skipped"]) for k, t in made.items()} == dict.fromkeys("abc", (300, 0))
    numbers = sorted(r[0] for r in rows(db_url, "SELECT n FROM tags"))
    assert len(numbers) == 600
    assert numbers[-1] <= 900  # after the rows there, not pushed on twice (a SMALLINT)
    assert seedlib.unseed(db_url, label="b").problems == []
    assert seedlib.unseed(db_url, label="c").problems == []
    assert rows(db_url, "SELECT count(*) FROM tags") == [(0,)]


def test_checks_that_a_null_satisfies_get_nulls_instead_of_skipped_rows(db_url: str) -> None:
    """Every row broke these CHECKs (or most, and the rest were skewed): a nullable column
    they name is now NULL where that makes the row valid (a NOT NULL number zero), spread over
    the columns; a NOT NULL column under ``LIKE 'prefix%'`` gets values that match."""
    engine = engine_for(db_url)
    with engine.begin() as conn:
        for statement in (
            "CREATE TABLE o (id INTEGER PRIMARY KEY)",
            "CREATE TABLE p (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES o (id),"
            " group_id INTEGER REFERENCES o (id),"
            " CHECK ((user_id IS NULL) <> (group_id IS NULL)))",
            "CREATE TABLE k (id INTEGER PRIMARY KEY, slug VARCHAR(20) CHECK (slug LIKE 'k-%'),"
            " sku VARCHAR(12) NOT NULL UNIQUE CHECK (sku LIKE 'SKU-%'))",
            "CREATE TABLE t (id INTEGER PRIMARY KEY, status VARCHAR(10) NOT NULL"
            " CHECK (status IN ('open', 'closed')), closed_at TIMESTAMP NULL,"
            " CHECK (status = 'closed' OR closed_at IS NULL))",
            "CREATE TABLE j (id INTEGER PRIMARY KEY, debit NUMERIC(10, 2) NOT NULL,"
            " credit NUMERIC(10, 2) NOT NULL,"
            " CHECK (debit >= 0 AND credit >= 0 AND (debit = 0 OR credit = 0)))",
        ):
            conn.execute(text(statement))
    try:
        result = seedlib.seed(db_url, rows=60, label="nulls")
        assert {t["table"]: (t["rows"], t["skipped"]) for t in result.tables} == {
            name: (60, 0) for name in ("o", "p", "k", "t", "j")
        }
        with engine.connect() as conn:
            pairs = dict(
                conn.execute(
                    text("SELECT user_id IS NULL, count(*) FROM p GROUP BY user_id IS NULL")
                ).all()
            )
            statuses = dict(
                conn.execute(text("SELECT status, count(*) FROM t GROUP BY status")).all()
            )
            skus = conn.execute(
                text("SELECT count(DISTINCT sku) FROM k WHERE sku LIKE 'SKU-%'")
            ).scalar()
            sides = dict(
                conn.execute(
                    text(
                        "SELECT debit = 0, count(*) FROM j WHERE credit = 0 OR debit = 0"
                        " GROUP BY debit = 0"
                    )
                ).all()
            )
            open_closed = conn.execute(
                text("SELECT count(*) FROM t WHERE status = 'open' AND closed_at IS NOT NULL")
            ).scalar()
        assert len(pairs) == 2
        assert min(pairs.values()) >= 15  # both columns take turns
        assert min(statuses.values()) >= 15
        assert open_closed == 0
        assert skus == 60  # a NOT NULL column matches the pattern instead
        assert sorted(sides.values()) == [30, 30]  # zero where NULL is not allowed, in turns
        assert seedlib.unseed(db_url, label="nulls").problems == []
    finally:
        engine.dispose()


def test_the_python_api_logs_json_on_stderr_not_on_stdout(tmp_path: Any) -> None:
    """A script calling ``seedlib.seed`` got console log lines mixed into its stdout."""
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path / 'api.sqlite3'}"
    engine = engine_for(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, name VARCHAR(20))"))
    engine.dispose()
    script = (
        "import seedlib\n"
        f"result = seedlib.seed({url!r}, rows=5)\n"
        "print(result.total_rows)\n"
        f"print(seedlib.unseed({url!r}).problems)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["5", "[]"]
    events = [json.loads(line)["event"] for line in done.stderr.splitlines()]
    assert "seeded" in events
    assert "rollback_audit" in events


def _pairs_table(url: str) -> None:
    engine = engine_for(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE p (id INTEGER PRIMARY KEY,"
                " a INT NOT NULL CHECK (a BETWEEN 1 AND 60),"
                " b INT NOT NULL CHECK (b BETWEEN 1 AND 60), code VARCHAR(20) UNIQUE,"
                " UNIQUE (a, b))"
            )
        )
    engine.dispose()


def test_rows_drawn_again_do_not_depend_on_chunks_or_a_resume(tmp_path: Any) -> None:
    """Pairs drawn again depended on --chunk-rows (a batch claimed its first draws before any
    row was drawn again); a resumed run recorded other row numbers, so the next label made
    other rows."""
    outcomes = []
    for chunk, interrupted in ((None, False), (1000, False), (100, False), (1000, True)):
        url = f"sqlite:///{tmp_path / f'pairs-{chunk}-{interrupted}.sqlite3'}"
        _pairs_table(url)
        chunked: dict[str, Any] = {} if chunk is None else {"chunk_rows": chunk}
        if interrupted:

            def interrupt(_table: str, _done: int, _total: int, calls: list[int] = [0]) -> None:  # noqa: B006
                calls[0] += 1
                if calls[0] == 2:
                    raise KeyboardInterrupt

            with pytest.raises(KeyboardInterrupt):
                seedlib.seed(url, rows=3000, seed=7, label="a", progress=interrupt, **chunked)
        (first,) = seedlib.seed(url, rows=3000, seed=7, label="a", **chunked).tables
        (second,) = seedlib.seed(url, rows=5, seed=7, label="b").tables
        outcomes.append((first["rows"], first["content_hash"], second["content_hash"]))
    assert outcomes[0][0] > 2500  # most repeated pairs found another
    assert len(set(outcomes)) == 1, outcomes


def test_several_checks_unique_zeros_and_bounded_patterns(db_url: str) -> None:
    """A row failing two CHECKs that NULL or zero satisfy was skipped; a unique number was set
    to zero (then refused as a duplicate, row by row); a LIKE pattern ignored the CHECK's
    length, and cut unique values into repeats."""
    engine = engine_for(db_url)
    length = "length" if db_url.startswith("sqlite") else "char_length"
    with engine.begin() as conn:
        for statement in (
            "CREATE TABLE c3 (id INTEGER PRIMARY KEY, debit NUMERIC(10, 2) NOT NULL,"
            " credit NUMERIC(10, 2) NOT NULL, closed_at TIMESTAMP NULL,"
            " status VARCHAR(10) NOT NULL CHECK (status IN ('open', 'closed')),"
            " CONSTRAINT one_side CHECK (debit = 0 OR credit = 0),"
            " CONSTRAINT cl CHECK (status = 'closed' OR closed_at IS NULL))",
            "CREATE TABLE c1 (id INTEGER PRIMARY KEY, a INTEGER NOT NULL UNIQUE,"
            " b INTEGER NOT NULL, CONSTRAINT ab_one CHECK ((a = 0) <> (b = 0)))",
            "CREATE TABLE codes (id INTEGER PRIMARY KEY, code VARCHAR(20) UNIQUE,"
            f" sku VARCHAR(8) NOT NULL UNIQUE, CONSTRAINT code_like CHECK ({length}(code) <= 6"
            " AND code LIKE 'AB%'), CONSTRAINT sku_like CHECK (sku LIKE 'SKU-%'))",
        ):
            conn.execute(text(statement))
    try:
        result = seedlib.seed(db_url, rows=3000, label="shapes")
        assert {t["table"]: (t["rows"], t["skipped"]) for t in result.tables} == {
            name: (3000, 0) for name in ("c3", "c1", "codes")
        }
        with engine.connect() as conn:
            zeros = conn.execute(text("SELECT count(*) FROM c1 WHERE b = 0")).scalar()
            codes = conn.execute(
                text("SELECT count(DISTINCT code), count(DISTINCT sku) FROM codes")
            ).one()
        assert zeros == 3000
        assert tuple(codes) == (3000, 3000)
        assert seedlib.unseed(db_url, label="shapes").problems == []
    finally:
        engine.dispose()


def test_a_second_label_of_a_junction_table_makes_new_pairs(db_url: str) -> None:
    """With the parents not seeded again, every pair of the second label repeated the first
    label's (the pairs followed row numbers that started again at 0): 30 of 30 skipped."""
    engine = engine_for(db_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE a (id INTEGER PRIMARY KEY, name VARCHAR(20))"))
        conn.execute(text("CREATE TABLE b (id INTEGER PRIMARY KEY, name VARCHAR(20))"))
        conn.execute(
            text(
                "CREATE TABLE ab (a_id INTEGER NOT NULL REFERENCES a (id),"
                " b_id INTEGER NOT NULL REFERENCES b (id), PRIMARY KEY (a_id, b_id))"
            )
        )
    try:
        seedlib.seed(db_url, rows=30, label="one")
        two = seedlib.seed(db_url, tables={"a": 0, "b": 0, "ab": 30}, label="two")
        assert {t["table"]: (t["rows"], t["skipped"]) for t in two.tables}["ab"] == (30, 0)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM ab")).scalar() == 60
        assert seedlib.unseed(db_url, label="two").problems == []
        assert seedlib.unseed(db_url, label="one").problems == []
    finally:
        engine.dispose()
