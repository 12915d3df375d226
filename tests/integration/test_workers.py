"""``--workers N`` on PostgreSQL and SQLite: forked processes make the batches while the
revision's own connection loads them in order, so every table gets exactly the rows, keys, skips
and content hash of a one-process run; rows the database refuses still fall back to bisection."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
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
    select,
    text,
)

from seedlib import TableSpec, values
from seedlib.config import resolve_settings
from seedlib.db import engine_for
from seedlib.engine import references, run, seed_tables
from seedlib.load import parallel
from seedlib.load.parallel import load_batches
from seedlib.track import ledger
from tests.conftest import ROOT, _postgres_database, run_process

ROWS = 4_000
#: Rows per batch (and hash block multiple): several batches, so the workers share them.
BATCH = 500


def schema() -> MetaData:
    metadata = MetaData()
    Table(
        "accounts",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("email", String(120), unique=True, nullable=False),
        Column("name", String(80), nullable=False),
    )
    Table(
        "entries",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("account_id", ForeignKey("accounts.id"), nullable=False),
        Column("amount", Numeric(10, 2), nullable=False),
        Column("memo", String(40)),
        # Rows point at earlier rows of their own table: at NULL instead when that row was
        # skipped, which a forked child cannot know of another child's batch.
        Column("reversal_of_id", ForeignKey("entries.id")),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
    )
    return metadata


NOTES = 2_500


def with_notes(metadata: MetaData) -> MetaData:
    """A table whose columns read its parent rows (``values.parent``)."""
    Table(
        "notes",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("entry_id", ForeignKey("entries.id"), nullable=False),
        Column("amount", Numeric(10, 2), nullable=False),
        Column("label", String(60)),
    )
    return metadata


def every_13th_left_out(ordinal: int, _h: int, _row: Any) -> Any:
    """From the second batch on (a first batch that skips rows keeps a table whose rows point
    at its own rows in the seeding process, see below)."""
    return values.SKIP if ordinal % 13 == 5 and ordinal >= BATCH else f"memo {ordinal}"


def every_7th_negative(ordinal: int, _h: int, _row: Any) -> Any:
    return -1 if ordinal % 7 == 3 and ordinal >= BATCH else ordinal % 500


SPEC: dict[str, int | TableSpec] = {
    "accounts": 1_200,
    "entries": TableSpec(
        ROWS,
        columns={
            # Every 7th amount breaks the CHECK: the validator skips those rows.
            "amount": every_7th_negative,
            "memo": every_13th_left_out,
        },
    ),
    # Entries left out or skipped above leave their notes out too.
    "notes": TableSpec(
        NOTES,
        columns={
            "amount": values.parent("entry_id", "amount"),
            "label": values.parent("entry_id", ("memo", "amount"), then=lambda v, h: f"{v} {h}"),
        },
    ),
}


@pytest.fixture(params=["postgresql", "sqlite"])
def two_databases(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'one.sqlite3'}", f"sqlite:///{tmp_path / 'two.sqlite3'}"
        return
    server = request.getfixturevalue("postgres_server")
    with _postgres_database(server) as one, _postgres_database(server) as two:
        yield one, two


def seed(
    url: str, workers: int | None, trigger: bool = False, spec: dict[str, Any] | None = None
) -> dict[str, Any]:
    metadata = with_notes(schema())
    engine = engine_for(url)
    try:
        with engine.begin() as conn:
            metadata.create_all(conn)
            ledger.ensure_bookkeeping(conn)
            if trigger and conn.dialect.name == "sqlite":
                conn.execute(
                    text(
                        "CREATE TRIGGER no_nines BEFORE INSERT ON entries FOR EACH ROW "
                        "WHEN NEW.id % 900 = 0 BEGIN "
                        "SELECT RAISE(ABORT, 'no nines: 900'); END"
                    )
                )
            elif trigger:
                conn.execute(
                    text(
                        "CREATE FUNCTION no_nines() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                        "IF NEW.id % 900 = 0 THEN RAISE EXCEPTION 'no nines: %', NEW.id; "
                        "END IF; RETURN NEW; END $$"
                    )
                )
                conn.execute(
                    text(
                        "CREATE TRIGGER no_nines BEFORE INSERT ON entries FOR EACH ROW "
                        "EXECUTE FUNCTION no_nines()"
                    )
                )
        settings = resolve_settings(database_url=url, size="100", environ={}, workers=workers)
        with engine.begin() as conn:
            reports = seed_tables(
                conn,
                metadata,
                spec or SPEC,
                settings=settings,
                revision="r",
                run_id="r",
                chunk_rows=BATCH,
            )
        with engine.connect() as conn:
            tables = {
                name: [tuple(r) for r in conn.execute(select(t).order_by(t.c.id))]
                for name, t in metadata.tables.items()
            }
            entries = {e.table: (e.ranges, e.keys) for e in ledger.entries(conn, "r")}
        return {
            "reports": [
                {k: v for k, v in r.as_dict().items() if k not in ("seconds", "rows_per_s")}
                for r in reports
            ],
            "tables": tables,
            "ledger": entries,
        }
    finally:
        engine.dispose()


#: First row numbers of the batches the seeding process made again (see ``forked``).
MADE_AGAIN: list[int] = []


@pytest.fixture
def forked(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Batches each forked segment had (the engine's use of load_batches, counted); the
    batches made again in the seeding process go to ``MADE_AGAIN``."""
    calls: list[int] = []
    MADE_AGAIN.clear()

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(len(args[3]))
        again = kwargs.get("again")
        if again is not None:

            def noted(task: range, summary: Any) -> Any:
                made = again(task, summary)
                if made is not None:
                    MADE_AGAIN.append(task.start)
                return made

            kwargs["again"] = noted
        return load_batches(*args, **kwargs)

    monkeypatch.setattr(run, "load_batches", counting)
    return calls


@pytest.mark.parametrize("workers", [2, 3])
def test_workers_load_exactly_the_rows_of_one_process(
    two_databases: tuple[str, str], workers: int, forked: list[int]
) -> None:
    one = seed(two_databases[0], 1)
    assert forked == []
    many = seed(two_databases[1], workers)
    # batches whose rows pointed at an entry another child's batch skipped, made again here
    assert MADE_AGAIN
    assert set(MADE_AGAIN) <= set(range(BATCH, ROWS, BATCH))
    # accounts, entries, notes (their parent rows read whole before the workers start)
    assert forked == [1_200 // BATCH + 1, ROWS // BATCH, NOTES // BATCH]
    assert many == one
    entries = next(r for r in one["reports"] if r["table"] == "entries")
    # The run exercised what the workers report back: rules leaving rows out, invalid rows.
    assert entries["omitted"] > 0
    assert entries["skipped"] > 0
    assert entries["skip_reasons"] == {
        "amount: fails CHECK amount_not_negative": entries["skipped"]
    }
    assert len(one["tables"]["entries"]) == entries["rows"] > ROWS // 2
    kept = {row[0] for row in one["tables"]["entries"]}
    pointing = [row[4] for row in one["tables"]["entries"] if row[4] is not None]
    assert set(pointing) <= kept
    assert len(pointing) > ROWS // 3


def test_a_self_referencing_table_skipping_rows_at_once_is_made_here(
    two_databases: tuple[str, str], forked: list[int]
) -> None:
    """Its first batch skips rows, so most batches would point at rows another worker's
    batch skipped and be made twice: the seeding process makes the table alone."""
    entries = SPEC["entries"]
    assert isinstance(entries, TableSpec)
    columns = {**entries.columns, "amount": lambda o, _h, _r: -1 if o % 7 == 3 else o % 500}
    spec = {**SPEC, "entries": TableSpec(ROWS, columns=columns)}
    one = seed(two_databases[0], 1, spec=spec)
    many = seed(two_databases[1], 3, spec=spec)
    assert forked == [1_200 // BATCH + 1, NOTES // BATCH]  # not entries
    assert MADE_AGAIN == []
    assert many == one


def test_without_workers_large_tables_are_made_by_forked_processes(
    two_databases: tuple[str, str], forked: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parallel, "AUTO_ROWS", 2_000)  # accounts (1,200 rows) stay in process
    monkeypatch.setattr(parallel, "usable_cpus", lambda: 2)
    one = seed(two_databases[0], 1)
    assert forked == []
    automatic = seed(two_databases[1], None)
    assert forked == [ROWS // BATCH, NOTES // BATCH]  # entries and notes
    assert automatic == one


def test_parents_queried_batch_by_batch_give_the_same_rows(
    two_databases: tuple[str, str], forked: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parent tables too large to read whole are queried batch by batch, in this process."""
    read_whole = seed(two_databases[0], 3)
    assert forked[-1] == NOTES // BATCH
    forked.clear()
    monkeypatch.setattr(references, "PARENTS_READ_WHOLE", 1_000)  # entries: too large
    queried = seed(two_databases[1], 3)
    assert forked == [1_200 // BATCH + 1, ROWS // BATCH]  # notes made here
    # the same rows, reports and ledgered keys (ledgered a batch at a time: ranges split)
    assert {**queried, "ledger": None} == {**read_whole, "ledger": None}
    for name, (ranges, keys) in read_whole["ledger"].items():
        split, split_keys = queried["ledger"][name]
        assert (split_keys, {k for a, b in split for k in range(a, b + 1)}) == (
            keys,
            {k for a, b in ranges for k in range(a, b + 1)},
        )
    entries = {row[0]: row for row in queried["tables"]["entries"]}
    notes = queried["tables"]["notes"]
    assert len(notes) == NOTES
    assert all(amount == entries[entry][2] for _, entry, amount, _ in notes)
    assert all(label.startswith(str((entries[e][3], entries[e][2]))) for _, e, _, label in notes)


def test_rows_the_database_refuses_fall_back_to_bisection(
    two_databases: tuple[str, str], forked: list[int]
) -> None:
    one, many = seed(two_databases[0], 1, trigger=True), seed(two_databases[1], 3, trigger=True)
    assert forked
    assert many == one
    entries = next(r for r in many["reports"] if r["table"] == "entries")
    assert entries["skip_reasons"]["rejected by the database: no nines: N"] > 0
    assert not [row for row in many["tables"]["entries"] if row[0] % 900 == 0]


def test_seedctl_seed_takes_workers(two_databases: tuple[str, str], forked: list[int]) -> None:
    from typer.testing import CliRunner

    from seedlib.cli import app

    hashes = []
    for url, workers in zip(two_databases, ("1", "2"), strict=True):
        engine = engine_for(url)
        with engine.begin() as conn:
            schema().create_all(conn)
        engine.dispose()
        argv = ["seed", "--database-url", url, "--rows", "11000", "--workers", workers, "--json"]
        done = CliRunner().invoke(app, argv, env={"SEEDLIB_WORKERS": None})
        assert done.exit_code == 0, done.output
        hashes.append({t["table"]: t["content_hash"] for t in json.loads(done.stdout)["tables"]})
    assert hashes[0] == hashes[1]
    assert forked == [3, 3]  # the second run: each table in three batches, made by workers
    refused = CliRunner().invoke(
        app, ["seed", "--database-url", two_databases[0], "--workers", "0"]
    )
    assert refused.exit_code == 2


SLICE_SCRIPT = """
import json, sys
from sqlalchemy import Column, Date, Integer, MetaData, Numeric, String, Table
from seedlib.config import resolve_settings
from seedlib.db import engine_for
from seedlib.engine.run import _Seeding
from seedlib.engine.shapes import key_shape
from seedlib.generate.rng import stable_hash
from seedlib.generate.values import Columnar
from seedlib.plan.spec import build_plan
from seedlib.track.ledger import ensure_bookkeeping

url, first, last = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
metadata = MetaData()
table = Table(
    "items", metadata,
    Column("id", Integer, primary_key=True),
    Column("sku", String(20), unique=True, nullable=False),
    Column("title", String(80), nullable=False),
    Column("price", Numeric(8, 2), nullable=False),
    Column("listed_on", Date),
)
engine = engine_for(url)
with engine.begin() as conn:
    metadata.create_all(conn)
    ensure_bookkeeping(conn)
    settings = resolve_settings(database_url=url, size="100", environ={})
    plan = build_plan(metadata, {"items": %(rows)d}, settings.size, settings.seed)
    run = _Seeding(conn, plan, settings, "slice", "slice", None, None, 50_000)
    run.reserve(table)  # an empty table: keys 1..N, whichever machine reserves them
    shape = key_shape(table)
    gens = run.generators(table, set())
    bases = [stable_hash(settings.seed, "items", column) for column, _ in gens]
    columns = [shape.columns[0], *(c for c, _ in gens)]
    needs = any(g is not None and not isinstance(g, Columnar) for _, g in gens)
    made = run.make_columns(
        table, shape, gens, bases, columns, run.keys["items"], range(first, last), needs
    )
    rows = list(zip(*made))
print(json.dumps([[str(v) for v in row] for row in rows]))
"""


def test_slices_made_by_separate_processes_are_the_whole(tmp_path: Path) -> None:
    """What lets several machines each seed a slice of one dataset: rows first..last made in a
    fresh interpreter (its own hash seed, its own empty database) are exactly those rows of the
    whole, made in another."""
    rows = 3_000
    script = tmp_path / "slice.py"
    script.write_text(SLICE_SCRIPT % {"rows": rows}, encoding="utf-8")

    def made(first: int, last: int, hash_seed: str) -> list[list[str]]:
        url = f"sqlite:///{tmp_path / f'{first}-{last}.sqlite3'}"
        done = run_process(
            [sys.executable, str(script), url, str(first), str(last)],
            env={"PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(ROOT)},
        )
        assert done.returncode == 0, done.stderr
        return list(json.loads(done.stdout.splitlines()[-1]))

    whole = made(0, rows, "1")
    slices = [made(k * rows // 3, (k + 1) * rows // 3, str(k + 7)) for k in range(3)]
    assert [row for part in slices for row in part] == whole
    assert len({row[1] for row in whole}) == rows  # the unique SKUs stay unique across slices
