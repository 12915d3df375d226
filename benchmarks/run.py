"""seedlib against the usual ways of loading data, measured in one run on this machine.

    make bench                       # 1,000,000 rows, about 8 minutes
    make bench BENCH_ARGS="--rows 200000 --memory-rows 100000,1000000 --erp-size medium"
    make bench BENCH_ARGS="--memory-rows 100000,1000000,10000000"   # the 10M-row memory run

Every comparison is a ratio of two timings taken in the same run. Results go to
benchmarks/results/latest.json and benchmarks/results/latest.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Integer, MetaData, Numeric, String, Table, create_engine, text

from seedlib.config import resolve_settings
from seedlib.db import engine_for, normalise_url
from seedlib.engine import seed_tables
from seedlib.load.sqlite import CACHE_KIB as SQLITE_CACHE_KIB
from seedlib.rollback import unseed_revision
from seedlib.track.ledger import bookkeeping, ensure_bookkeeping
from seedlib.track.runs import library_versions

ROOT = Path(__file__).resolve().parent.parent
#: Rows of the reference ERP at ``--size 100`` (= ``small``); sizes scale every table.
ERP_ROWS_AT_SIZE_100 = 2_505
RESULTS = Path(__file__).parent / "results"


def clients_table(metadata: MetaData) -> Table:
    """The 11-column clients table of the reference measurements, with a unique email."""
    return Table(
        "bench_clients",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("client_code", String(16), unique=True, nullable=False),
        Column("business_name", String(200), nullable=False),
        Column("email", String(255), unique=True, nullable=False),
        Column("phone", String(32), nullable=False),
        Column("address_line1", String(200), nullable=False),
        Column("city", String(100), nullable=False),
        Column("state", String(2), nullable=False),
        Column("postal_code", String(10), nullable=False),
        Column("credit_limit", Numeric(12, 2), nullable=False),
        Column("notes", String(200)),
    )


COLUMNS = [c.name for c in clients_table(MetaData()).columns]


def prebuilt(n: int) -> list[tuple[Any, ...]]:
    return [
        (
            i,
            f"WHL{i:07d}",
            f"Company {i} Farms",
            f"buyer.{i}@example.com",
            "(555) 555-0100",
            f"{i} Main St",
            "Oakland",
            "CA",
            "94607",
            Decimal("1000.00"),
            None,
        )
        for i in range(1, n + 1)
    ]


@contextmanager
def database(kind: str, server: str) -> Iterator[str]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/bench.sqlite3"
        return
    name = f"seedlib_bench_{uuid.uuid4().hex[:8]}"
    url = normalise_url(server)
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        suffix = " CHARACTER SET utf8mb4" if kind == "mysql" else ""
        conn.execute(text(f"CREATE DATABASE {name}{suffix}"))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            force = " WITH (FORCE)" if kind == "postgresql" else ""
            conn.execute(text(f"DROP DATABASE IF EXISTS {name}{force}"))
        admin.dispose()


def fresh_table(url: str) -> tuple[Any, Table]:
    engine = engine_for(url)
    metadata = MetaData()
    table = clients_table(metadata)
    with engine.begin() as conn:
        metadata.drop_all(conn)
        metadata.create_all(conn)
        ensure_bookkeeping(conn)
        # The table is new: so is its bookkeeping (earlier runs' ledger entries would move the
        # row numbers on, and every run would seed other rows).
        books = bookkeeping(conn.dialect.name)
        for kept in (books.ledger, books.runs, books.progress):
            conn.execute(kept.delete())
    if engine.dialect.name == "postgresql":
        # Every timed load starts with the earlier loads' pages on disk, so a checkpoint
        # triggered by the last run's WAL is not paid by the next one (ran 150-270k rows/s).
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("CHECKPOINT"))
    return engine, table


def timed(function: Callable[[], Any]) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def seedlib_run(url: str, rows: int, workers: int | None = None) -> tuple[float, str]:
    """seedlib end to end: reserve keys, generate, load, ledger, verify; one transaction.
    ``workers=None`` is the default: seedlib chooses (forked generators for large tables)."""
    engine, table = fresh_table(url)
    settings = resolve_settings(database_url=url, size=str(rows), environ={}, workers=workers)
    label = f"bench-{uuid.uuid4().hex[:8]}"
    try:
        with engine.begin() as conn:
            started = time.perf_counter()
            seed_tables(
                conn,
                table.metadata,
                {table.name: 100},
                settings=settings,
                revision=label,
                run_id=label,
            )
            return time.perf_counter() - started, label
    finally:
        engine.dispose()


def seeded_rows(url: str, rows: int) -> list[tuple[Any, ...]]:
    """The rows seedlib makes for the table, read back: the "same rows" baselines load them
    pre-built, which measures seedlib's own cost apart from what its data costs the server
    (realistic text, random order of the unique emails) against ``prebuilt``'s uniform rows."""
    seedlib_run(url, rows)
    engine = engine_for(url)
    try:
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute(f"SELECT {', '.join(COLUMNS)} FROM bench_clients ORDER BY id")
            return [tuple(row) for row in cursor.fetchall()]
        finally:
            raw.close()
    finally:
        engine.dispose()


def raw_load(url: str, data: list[tuple[Any, ...]], how: str) -> float:
    engine, table = fresh_table(url)
    names = ", ".join(COLUMNS)
    if engine.dialect.name == "sqlite":  # the driver takes no Decimal
        data = [
            (*row[:9], str(row[9]) if isinstance(row[9], Decimal) else row[9], row[10])
            for row in data
        ]
    try:
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            started = time.perf_counter()
            if how == "copy":
                with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
                    for row in data:
                        copy.write_row(row)
            elif how == "load_data":
                with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False) as out:
                    out.writelines(
                        "\t".join("\\N" if v is None else str(v) for v in row) + "\n"
                        for row in data
                    )
                cursor.execute(
                    f"LOAD DATA LOCAL INFILE %s INTO TABLE {table.name} ({names})", (out.name,)
                )
                os.unlink(out.name)
            else:
                mark = "?" if engine.dialect.name == "sqlite" else "%s"
                if engine.dialect.name == "sqlite":
                    # The page cache seedlib sets while loading: the same rows then cost the
                    # baseline what they cost seedlib (uniform rows load alike with either).
                    cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
                    cursor.execute("BEGIN")  # one transaction, as the comparison says
                cursor.executemany(
                    f"INSERT INTO {table.name} ({names}) VALUES ({', '.join([mark] * 11)})", data
                )
            raw.commit()
            return time.perf_counter() - started
        finally:
            raw.close()
    finally:
        engine.dispose()


def core_executemany(url: str, data: list[tuple[Any, ...]]) -> float:
    engine, table = fresh_table(url)
    try:
        dicts = [dict(zip(COLUMNS, row, strict=True)) for row in data]
        with engine.begin() as conn:
            return timed(lambda: conn.execute(table.insert(), dicts))
    finally:
        engine.dispose()


def faker_executemany(url: str, rows: int) -> float:
    """The usual hand-rolled seeder: Faker per field, then Core executemany."""
    from faker import Faker

    fake = Faker()
    Faker.seed(0)
    engine, table = fresh_table(url)
    try:
        started = time.perf_counter()
        data = [
            {
                "id": i,
                "client_code": f"WHL{i:07d}",
                "business_name": fake.company(),
                "email": f"{i}.{fake.email()}",
                "phone": fake.phone_number()[:32],
                "address_line1": fake.street_address(),
                "city": fake.city(),
                "state": fake.state_abbr(),
                "postal_code": fake.postcode(),
                "credit_limit": Decimal(
                    fake.pydecimal(left_digits=5, right_digits=2, positive=True)
                ),
                "notes": None,
            }
            for i in range(1, rows + 1)
        ]
        with engine.begin() as conn:
            conn.execute(table.insert(), data)
        return time.perf_counter() - started
    finally:
        engine.dispose()


def factory_boy_run(url: str, rows: int) -> float:
    import factory
    from factory.alchemy import SQLAlchemyModelFactory
    from sqlalchemy.orm import DeclarativeBase, Session

    engine, table = fresh_table(url)

    class Base(DeclarativeBase):
        pass

    class Client(Base):
        __table__ = table

    session = Session(engine)

    class ClientFactory(SQLAlchemyModelFactory):  # type: ignore[misc]
        class Meta:
            model = Client
            sqlalchemy_session = session
            sqlalchemy_session_persistence = "flush"

        id = factory.Sequence(lambda n: n + 1)
        client_code = factory.Sequence(lambda n: f"WHL{n:07d}")
        business_name = factory.Faker("company")
        email = factory.Sequence(lambda n: f"buyer.{n}@example.com")
        phone = factory.Faker("numerify", text="(###) ###-####")
        address_line1 = factory.Faker("street_address")
        city = factory.Faker("city")
        state = factory.Faker("state_abbr")
        postal_code = factory.Faker("postcode")
        credit_limit = factory.Faker("pydecimal", left_digits=5, right_digits=2, positive=True)
        notes = None

    try:
        started = time.perf_counter()
        for _ in range(rows):
            ClientFactory()
        session.commit()
        return time.perf_counter() - started
    finally:
        session.close()
        engine.dispose()


def rollback_vs_delete(url: str, rows: int) -> dict[str, float]:
    """seedlib's rollback against a raw DELETE … BETWEEN of the same rows, with a foreign key
    from another (empty) table present in both cases."""
    child = (
        "CREATE TABLE bench_orders (id INTEGER PRIMARY KEY, client_id INTEGER,"
        " FOREIGN KEY (client_id) REFERENCES bench_clients (id))"
    )
    timings = {}
    for how in ("seedlib_rollback_s", "raw_delete_s"):
        engine = engine_for(url)
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS bench_orders"))
        engine.dispose()
        _seconds, label = seedlib_run(url, rows)
        engine = engine_for(url)
        try:
            with engine.begin() as conn:
                conn.execute(text(child))
                low, high = conn.execute(text("SELECT min(id), max(id) FROM bench_clients")).one()
            with engine.begin() as conn:
                if how == "seedlib_rollback_s":
                    timings[how] = timed(lambda c=conn, r=label: unseed_revision(c, r))
                else:
                    timings[how] = timed(
                        lambda conn=conn, low=low, high=high: conn.execute(
                            text("DELETE FROM bench_clients WHERE id BETWEEN :a AND :b"),
                            {"a": low, "b": high},
                        )
                    )
            with engine.begin() as conn:
                conn.execute(text("DROP TABLE bench_orders"))
        finally:
            engine.dispose()
    return {**timings, "ratio": timings["seedlib_rollback_s"] / timings["raw_delete_s"]}


def peak_rss_mb(url: str, rows: int) -> tuple[float, float]:
    """Peak RSS (VmHWM) of a fresh process that seeds ``rows`` rows, and the largest peak of
    the generator processes it forked (0 if none)."""
    code = "\n".join(
        [
            "import resource, sys",
            f"sys.path.insert(0, {str(ROOT)!r})",
            "from benchmarks.run import seedlib_run",
            f"seedlib_run({url!r}, {rows})",
            "print(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')).split()[1])",
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)",
        ]
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    parent, children = done.stdout.strip().splitlines()[-2:]
    return int(parent) / 1024, int(children) / 1024


def seedctl_upgrade(url: str, size: str, environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Migrate the reference ERP into ``url`` and time `seedctl upgrade --size SIZE` in a new
    process (process start included); rows and seconds per table from its JSON log."""
    env = {**(os.environ if environ is None else environ), "DATABASE_URL": url}
    subprocess.run(
        [sys.executable, "-m", "alembic", "-c", "examples/terp/alembic.ini", "upgrade", "head"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "seedlib", "--log-format", "json", "upgrade", "--size", size],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    tables = [
        {k: event[k] for k in ("table", "rows", "seconds", "rows_per_s")}
        for event in map(json.loads, filter(None, done.stderr.splitlines()))
        if event.get("event") == "table_seeded"
    ]
    inserted = sum(t["rows"] for t in tables)
    return {"size": size, "rows": inserted, "seconds": seconds, "tables": tables}


def cli_floor(rows: int, repeat: int) -> dict[str, Any]:
    """`seedctl upgrade` of about ``rows`` rows on a fresh SQLite file, process start included:
    the median of ``repeat`` runs after one that writes what Python and seedlib keep between
    processes (bytecode, value pools), as any first run does; and one run with nothing kept
    (seedlib's and the project's sources compiled, and the pools built, at start)."""
    size = max(1, round(rows * 100 / ERP_ROWS_AT_SIZE_100))
    kept = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    nothing_kept = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "SEEDLIB_CACHE_DIR": ""}

    def once(environ: dict[str, str]) -> dict[str, Any]:
        with tempfile.TemporaryDirectory() as folder:
            return seedctl_upgrade(f"sqlite:///{folder}/terp.sqlite3", str(size), environ)

    rows_made = once(kept)["rows"]
    runs = sorted(once(kept)["seconds"] for _ in range(max(1, repeat)))
    for folder in ("seedlib", "examples", "seed_migrations"):  # the installed libraries keep theirs
        for cache in (ROOT / folder).rglob("__pycache__"):
            shutil.rmtree(cache, ignore_errors=True)
    return {
        "rows": rows_made,
        "seconds": statistics.median(runs),
        "runs": [round(r, 3) for r in runs],
        "nothing_kept_seconds": once(nothing_kept)["seconds"],
    }


def server_version(url: str) -> str:
    engine = create_engine(normalise_url(url))
    try:
        with engine.connect() as conn:
            return str(conn.execute(text("SELECT VERSION()")).scalar_one()).split(" on ")[0]
    finally:
        engine.dispose()


def best(times: int, function: Callable[[], float]) -> float:
    """The fastest of ``times`` runs: the machine is shared, the minimum is the least disturbed."""
    return min(function() for _ in range(max(1, times)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows for the fast loaders")
    parser.add_argument("--slow-rows", type=int, default=10_000, help="rows for Faker/factory_boy")
    parser.add_argument("--rollback-rows", type=int, default=0, help="default: --rows")
    parser.add_argument(
        "--memory-rows", default="100000,1000000", help="comma list, e.g. 100000,1000000,10000000"
    )
    parser.add_argument("--erp-size", default="large", help="seedctl --size for the whole ERP")
    parser.add_argument("--repeat", type=int, default=2, help="best of N for the fast loaders")
    parser.add_argument(
        "--cli-repeat", type=int, default=7, help="median of N for the 1,000-row CLI run"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="seedlib --workers for an extra row (1: rows made in the seeding process)",
    )
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--mysql", default="mysql://root@127.0.0.1:3306/mysql")
    parser.add_argument(
        "--skip", default="", help="comma list: postgresql,mysql,sqlite,memory,erp,workers,slow"
    )
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    n = args.rows
    data = prebuilt(n)
    results: dict[str, Any] = {
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average": [round(x, 2) for x in os.getloadavg()],
        },
        "versions": {**library_versions(), **extra_versions()},
        "rows": n,
        "repeat": args.repeat,
        "comparisons": [],
    }
    comparisons: list[dict[str, Any]] = results["comparisons"]

    def compare(
        name: str, ours: float, ours_rows: int, base: float, base_rows: int, target: str
    ) -> None:
        ours_rate, base_rate = ours_rows / ours, base_rows / base
        comparisons.append(
            {
                "comparison": name,
                "seedlib_rows_per_s": round(ours_rate),
                "baseline_rows_per_s": round(base_rate),
                "ratio": round(ours_rate / base_rate, 2),
                "target": target,
            }
        )
        print(
            f"{name}: {ours_rate:,.0f} vs {base_rate:,.0f} rows/s = "
            f"{ours_rate / base_rate:.2f}x (target {target})",
            flush=True,
        )

    def compare_same_rows(name: str, url: str, how: str, ours: float) -> None:
        same = seeded_rows(url, n)
        base = best(args.repeat, lambda: raw_load(url, same, how))
        compare(f"{name} of the same rows pre-built", ours, n, base, n, "-")

    def ours_best(url: str) -> float:
        return best(args.repeat, lambda: seedlib_run(url, n)[0])

    if "sqlite" not in skip:
        # First, on a quiet machine: after millions of rows the disk is still flushing them,
        # which these short runs (about 1.5 s, mostly process start) would measure instead.
        results["cli_floors"] = [cli_floor(1_000, args.cli_repeat), cli_floor(10_000, 3)]
        for floor in results["cli_floors"]:
            print(
                f"CLI: {floor['rows']:,} rows in {floor['seconds']:.2f} s (runs {floor['runs']}; "
                f"{floor['nothing_kept_seconds']:.2f} s with nothing kept)",
                flush=True,
            )
    if "postgresql" not in skip:
        with database("postgresql", args.postgres) as url:
            results["versions"]["postgresql_server"] = server_version(url)
            copy_s = best(args.repeat, lambda: raw_load(url, data, "copy"))
            ours = ours_best(url)
            compare(
                "PostgreSQL: seedlib (default settings) vs COPY of pre-built rows",
                ours,
                n,
                copy_s,
                n,
                ">= 0.75",
            )
            compare_same_rows("PostgreSQL: seedlib vs COPY", url, "copy", ours)
            if "workers" not in skip:
                par = best(args.repeat, lambda: seedlib_run(url, n, args.workers)[0])
                compare(
                    f"PostgreSQL: seedlib --workers {args.workers} vs COPY of pre-built rows",
                    par,
                    n,
                    copy_s,
                    n,
                    "-",
                )
            compare(
                "PostgreSQL: seedlib vs Core executemany of pre-built rows",
                ours,
                n,
                core_executemany(url, data),
                n,
                "-",
            )
            if "slow" not in skip:
                compare(
                    "PostgreSQL: seedlib vs Faker + Core executemany",
                    ours,
                    n,
                    faker_executemany(url, args.slow_rows),
                    args.slow_rows,
                    ">= 40",
                )
                compare(
                    "PostgreSQL: seedlib vs factory_boy",
                    ours,
                    n,
                    factory_boy_run(url, args.slow_rows),
                    args.slow_rows,
                    ">= 75",
                )
            rollback_rows = args.rollback_rows or n
            rb = rollback_vs_delete(url, rollback_rows)
            comparisons.append(
                {
                    "comparison": f"PostgreSQL: rollback of {rollback_rows:,} rows vs raw DELETE",
                    "seedlib_s": round(rb["seedlib_rollback_s"], 3),
                    "baseline_s": round(rb["raw_delete_s"], 3),
                    "ratio": round(rb["ratio"], 2),
                    "target": "<= 2",
                }
            )
            print(f"rollback: {rb['ratio']:.2f}x raw DELETE", flush=True)
            if "memory" not in skip:
                sizes = [int(x) for x in args.memory_rows.split(",")]
                peaks = {str(s): peak_rss_mb(url, s) for s in sizes}
                results["peak_rss_mb"] = {k: round(v[0], 1) for k, v in peaks.items()}
                results["generator_peak_rss_mb"] = {k: round(v[1], 1) for k, v in peaks.items()}
                print(f"peak RSS (MB) by rows: {results['peak_rss_mb']}", flush=True)
                print(f"generators' peak (MB): {results['generator_peak_rss_mb']}", flush=True)
        if "erp" not in skip:
            with database("postgresql", args.postgres) as url:
                try:
                    results["erp"] = seedctl_upgrade(url, args.erp_size)
                except subprocess.CalledProcessError as failed:  # reported, not fatal
                    results["erp_error"] = (failed.stderr or "").strip().splitlines()[-1:]
                    print(f"ERP run failed: {results['erp_error']}", flush=True)
                else:
                    erp = results["erp"]
                    print(f"ERP: {erp['rows']:,} rows in {erp['seconds']:.1f} s", flush=True)
    if "mysql" not in skip:
        with database("mysql", args.mysql) as url:
            results["versions"]["mariadb_server"] = server_version(url)
            load_s = best(args.repeat, lambda: raw_load(url, data, "load_data"))
            ours = ours_best(url)
            compare(
                "MariaDB: seedlib vs LOAD DATA LOCAL of pre-built rows",
                ours,
                n,
                load_s,
                n,
                ">= 0.6",
            )
            compare(
                "MariaDB: seedlib vs executemany of pre-built rows",
                ours,
                n,
                raw_load(url, data, "executemany"),
                n,
                "-",
            )
    if "sqlite" not in skip:
        with database("sqlite", "") as url:
            raw_s = best(args.repeat, lambda: raw_load(url, data, "executemany"))
            ours = ours_best(url)
            compare(
                "SQLite: seedlib vs raw executemany in one transaction",
                ours,
                n,
                raw_s,
                n,
                ">= 0.75",
            )
            compare_same_rows("SQLite: seedlib vs raw executemany", url, "executemany", ours)
            if "workers" not in skip:
                one = best(args.repeat, lambda: seedlib_run(url, n, args.workers)[0])
                compare(
                    f"SQLite: seedlib --workers {args.workers} vs raw executemany in one "
                    "transaction",
                    one,
                    n,
                    raw_s,
                    n,
                    "-",
                )
    write(results)


def extra_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for name in ("PyMySQL", "numpy", "factory_boy"):
        with suppress(PackageNotFoundError):
            found[name] = version(name)
    return found


def write(results: dict[str, Any]) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    lines = [
        f"# Benchmark results ({results['rows']:,} rows)",
        "",
        f"Machine: {results['machine']['platform']}, {results['machine']['cpus']} CPUs, Python "
        f"{results['machine']['python']}, load average at start "
        f"{results['machine'].get('load_average')}; best of {results.get('repeat', 1)} runs "
        "for seedlib and the fast loaders. Versions: "
        + ", ".join(f"{k} {v}" for k, v in results["versions"].items()),
        "",
        "| comparison | seedlib | baseline | ratio | target |",
        "| --- | --- | --- | --- | --- |",
    ]
    for c in results["comparisons"]:
        if "seedlib_rows_per_s" in c:
            lines.append(
                f"| {c['comparison']} | {c['seedlib_rows_per_s']:,} rows/s | "
                f"{c['baseline_rows_per_s']:,} rows/s | {c['ratio']} | {c['target']} |"
            )
        else:
            lines.append(
                f"| {c['comparison']} | {c['seedlib_s']} s | {c['baseline_s']} s | "
                f"{c['ratio']} | {c['target']} |"
            )
    if "peak_rss_mb" in results:
        lines += [
            "",
            "Peak RSS (MB) of a fresh process seeding the table in one transaction: "
            + ", ".join(f"{int(k):,} rows: {v}" for k, v in results["peak_rss_mb"].items())
            + " (target: the largest within +10% of the smallest, under 250 MB)",
        ]
    if "generator_peak_rss_mb" in results:
        lines.append(
            "\nLargest peak RSS (MB) among its forked generator processes: "
            + ", ".join(
                f"{int(k):,} rows: {v}" for k, v in results["generator_peak_rss_mb"].items()
            )
        )
    for floor, target in zip(results.get("cli_floors", []), ("< 2 s", "< 5 s"), strict=False):
        lines.append(
            f"\nCLI `seedctl upgrade` of the reference ERP on SQLite, process start included: "
            f"{floor['rows']:,} rows in {floor['seconds']:.2f} s (target {target}); median of "
            f"{len(floor['runs'])} runs ({floor['runs'][0]:.2f}–{floor['runs'][-1]:.2f} s) with "
            f"bytecode and value pools kept from an earlier run, as Python and seedlib do by "
            f"default; {floor['nothing_kept_seconds']:.2f} s with nothing kept (seedlib's and the "
            f"project's sources compiled, and the pools built, at start)"
        )
    if "erp_error" in results:
        lines += ["", f"Whole reference ERP on PostgreSQL: the run failed ({results['erp_error']})"]
    if "erp" in results:
        erp = results["erp"]
        lines += [
            "",
            f"Whole reference ERP on PostgreSQL, `seedctl upgrade --size {erp['size']}` "
            f"(process start included): {erp['rows']:,} rows in {erp['seconds']:.1f} s = "
            f"{erp['rows'] / erp['seconds']:,.0f} rows/s",
            "",
            "| table | rows | seconds | rows/s |",
            "| --- | --- | --- | --- |",
            *(
                f"| {t['table']} | {t['rows']:,} | {t['seconds']:.2f} | {t['rows_per_s']:,.0f} |"
                for t in erp["tables"]
            ),
        ]
    (RESULTS / "latest.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
