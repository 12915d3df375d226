"""Real processes: ``seedctl`` and plain ``alembic`` started as subprocesses from the repo root.

Covers what only separate processes can show: two runs racing for the lock, signals, the JSON log
stream on stderr, exit codes, the raw ``alembic`` entry points of both environments, the
production guard, and ``alembic revision`` in the seeds environment.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from seedlib.config import database_name
from tests.conftest import (
    APP_INI,
    ROOT,
    TERP_TABLES,
    fits_plan,
    migrate_app,
    run_process,
    seedctl_argv,
    table_counts,
)

#: Tables seed revision s003 inserts into.
LAST_REVISION_TABLES = ("orders", "order_line_items", "sales_sheets", "invoices", "payments")
#: Big enough that a run is still busy when the test stops it right after it took the lock.
BIG = "2000"
EMPTY = dict.fromkeys(TERP_TABLES, 0)
PASSWORD = "S3cretPw"
VERBS = ("upgrade", "downgrade", "status", "check", "plan")


# --- helpers -----------------------------------------------------------------------------------


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment ``run_process`` gives its children (no SEEDLIB_* / DATABASE_URL)."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("SEEDLIB_") and k != "DATABASE_URL"
    }
    env.update(extra or {})
    return env


def run_no_tty(args: Sequence[str], *, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Like ``run_process`` but with stdin at /dev/null, so it can never be a terminal."""
    return subprocess.run(
        list(args),
        cwd=ROOT,
        env=clean_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def seedctl(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_process(seedctl_argv(*args), env=env)


def alembic(
    url: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Plain ``python -m alembic`` from the repository root with ``DATABASE_URL=url``."""
    return run_process(
        [sys.executable, "-m", "alembic", *args], env={"DATABASE_URL": url, **(env or {})}
    )


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, (
        f"{result.args} exited {result.returncode}\n--- stdout\n{result.stdout}\n"
        f"--- stderr\n{result.stderr}"
    )
    return result


def json_lines(stderr: str) -> list[dict[str, Any]]:
    """The JSON events in ``stderr`` (other lines are skipped)."""
    events = []
    for line in stderr.splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict):
            events.append(event)
    return events


def events_named(stderr: str, name: str) -> list[dict[str, Any]]:
    return [e for e in json_lines(stderr) if e.get("event") == name]


def text_lines(stderr: str) -> list[str]:
    """The non-JSON, non-empty lines of ``stderr``."""
    lines = []
    for line in stderr.splitlines():
        if not line.strip():
            continue
        try:
            json.loads(line)
        except ValueError:
            lines.append(line)
    return lines


def planned_counts(url: str, *args: str, through: str | None = None) -> dict[str, int]:
    """Planned rows per table, summed over the revisions (up to ``through``)."""
    result = ok(seedctl("plan", "--json", "--database-url", url, *args))
    plan = json.loads(result.stdout)
    totals: dict[str, int] = {}
    for rev in plan["revisions"]:
        for t in rev["tables"]:
            totals[t["table"]] = totals.get(t["table"], 0) + t["rows"]
        if rev["revision"] == through:
            break
    return totals


def status_of(url: str) -> dict[str, Any]:
    result = ok(seedctl("status", "--json", "--database-url", url))
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def ledgered_counts(status: dict[str, Any]) -> dict[str, int]:
    totals = dict.fromkeys(TERP_TABLES, 0)
    for tables in status["ledger"].values():
        for table, count in tables.items():
            totals[table] = totals.get(table, 0) + int(count)
    return totals


def brief(stderr: str, limit: int = 400) -> str:
    """A process's stderr for an assertion message: event names, then the other lines cut short
    (a JSON stack dump would otherwise drown the failure)."""
    names = [str(e.get("event")) for e in json_lines(stderr)]
    other = [line[:limit] for line in text_lines(stderr)]
    if len(other) > 12:
        other = [*other[:4], f"... {len(other) - 8} more lines ...", *other[-4:]]
    return "events: " + ", ".join(names) + "\n" + "\n".join(other)


def timestamp(event: dict[str, Any]) -> dt.datetime:
    return dt.datetime.fromisoformat(str(event["timestamp"]).replace("Z", "+00:00"))


class Background:
    """A ``seedctl`` process whose stderr is read line by line on a thread."""

    def __init__(self, args: Sequence[str]) -> None:
        self.proc = subprocess.Popen(
            list(args),
            cwd=ROOT,
            env=clean_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._stdout: list[str] = []
        self._threads = [
            threading.Thread(target=self._read_stderr, daemon=True),
            threading.Thread(target=self._read_stdout, daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line)
            self._queue.put(line)
        self._queue.put(None)

    def _read_stdout(self) -> None:
        assert self.proc.stdout is not None
        self._stdout.append(self.proc.stdout.read())

    def wait_for_event(self, name: str, timeout: float = 60, **where: Any) -> dict[str, Any]:
        """Block until the process logs the JSON event ``name`` (with the fields ``where``);
        fail if it exits first or after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                pytest.fail(f"no {name!r} event within {timeout}s; stderr so far:\n{self.stderr}")
            try:
                line = self._queue.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                self.proc.wait(timeout=10)
                pytest.fail(
                    f"process exited ({self.proc.returncode}) before {name!r}:\n{self.stderr}"
                )
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if (
                isinstance(event, dict)
                and event.get("event") == name
                and all(event.get(k) == v for k, v in where.items())
            ):
                return event

    def finish(self, timeout: float = 60) -> int:
        code = self.proc.wait(timeout=timeout)
        for thread in self._threads:
            thread.join(timeout=10)
        return code

    @property
    def stderr(self) -> str:
        return "".join(self.lines)

    @property
    def stdout(self) -> str:
        return "".join(self._stdout)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.wait(timeout=10)
        finally:
            for thread in self._threads:
                thread.join(timeout=5)


@pytest.fixture
def background() -> Iterator[list[Background]]:
    """Processes started by a test; whatever still runs afterwards is killed."""
    started: list[Background] = []
    yield started
    for proc in started:
        proc.kill()


def start(started: list[Background], *args: str) -> Background:
    proc = Background(seedctl_argv(*args))
    started.append(proc)
    return proc


# --- 1. two concurrent runs --------------------------------------------------------------------


@pytest.mark.slow
def test_concurrent_upgrades_second_fails_fast_naming_holder(
    app_db: str, background: list[Background]
) -> None:
    expected = planned_counts(app_db, "--size", BIG)
    a = start(background, "upgrade", "--database-url", app_db, "--size", BIG, "--lock-timeout", "0")
    acquired = a.wait_for_event("lock_acquired")
    os.kill(a.pid, signal.SIGSTOP)
    try:
        assert acquired["pid"] == a.pid

        b = seedctl("upgrade", "--database-url", app_db, "--size", BIG, "--lock-timeout", "0")
        assert b.returncode == 4, b.stderr
        last = b.stderr.strip().splitlines()[-1]
        assert last.startswith("seedctl: error:"), b.stderr
        assert f"pid {a.pid}" in last, last
        assert "lock" in last
        assert len(text_lines(b.stderr)) == 1, b.stderr

        waited = seedctl("upgrade", "--database-url", app_db, "--size", BIG, "--lock-timeout", "1")
        assert waited.returncode == 4, waited.stderr
        assert f"pid {a.pid}" in waited.stderr.strip().splitlines()[-1]
        started_event = events_named(waited.stderr, "run_started")[0]
        failed_event = events_named(waited.stderr, "run_failed")[0]
        assert failed_event["error_type"] == "LockBusy"
        assert (timestamp(failed_event) - timestamp(started_event)).total_seconds() >= 0.95
    finally:
        os.kill(a.pid, signal.SIGCONT)

    assert a.finish() == 0, a.stderr
    assert events_named(a.stderr, "lock_released")
    assert fits_plan(table_counts(app_db, TERP_TABLES), expected)
    status = status_of(app_db)
    assert status["applied"] == ["s004"]
    assert status["pending"] == []
    assert fits_plan(ledgered_counts(status), expected)


# --- 2. SIGTERM --------------------------------------------------------------------------------


#: SIGTERM lands at a slightly different point each time; a few attempts per test make a race
#: between the signal and the code it interrupts show up reliably.
SIGTERM_ATTEMPTS = 3


@pytest.mark.slow
@pytest.mark.parametrize("stop_in", [None, "s003"], ids=["after-lock", "inside-s003"])
def test_sigterm_rolls_back_running_revision_and_releases_lock(
    app_db: str, background: list[Background], stop_in: str | None
) -> None:
    expected = planned_counts(app_db, "--size", BIG)
    # Only applied revisions have ledger entries, and every applied revision has all its tables.
    chain = {
        "s001": ["s001"],
        "s002": ["s001", "s002"],
        "s003": ["s001", "s002", "s003"],
        "s004": ["s001", "s002", "s003", "s004"],
    }
    before_s003 = planned_counts(app_db, "--size", BIG, through="s002")
    for attempt in range(1, SIGTERM_ATTEMPTS + 1):
        # --lock-timeout 0: the previous attempt's lock must be gone already.
        a = start(
            background, "upgrade", "--database-url", app_db, "--size", BIG, "--lock-timeout", "0"
        )
        if stop_in is None:
            a.wait_for_event("lock_acquired")
        else:
            # s003 has seeded its first table (orders) but has not committed yet.
            a.wait_for_event("table_seeded", revision=stop_in)
        os.kill(a.pid, signal.SIGSTOP)
        os.kill(a.pid, signal.SIGTERM)
        os.kill(a.pid, signal.SIGCONT)
        code = a.finish()

        where = f"attempt {attempt}, pid {a.pid}:\n{brief(a.stderr)}"
        assert code != 0, where
        assert code == 130, where
        assert events_named(a.stderr, "lock_acquired"), where
        assert events_named(a.stderr, "lock_released"), where
        assert not events_named(a.stderr, "run_finished"), where
        # JSON events, then one readable line; no stack dumped on stderr.
        assert len(text_lines(a.stderr)) == 1, where
        assert text_lines(a.stderr)[0].startswith("seedctl: error:"), where

        status = status_of(app_db)
        assert table_counts(app_db, TERP_TABLES) == ledgered_counts(status), where
        done = chain[status["applied"][0]] if status["applied"] else []
        assert sorted(status["ledger"]) == done, where
        if stop_in == "s003":
            # s001 and s002 committed before the signal and stay; s003 left nothing behind.
            assert status["applied"] == ["s002"], where
            counts = table_counts(app_db, TERP_TABLES)
            for table in TERP_TABLES:
                want = 0 if table in LAST_REVISION_TABLES else before_s003[table]
                assert counts[table] == want, f"{table}: {where}"
        else:
            assert status["applied"] == [], where
            assert table_counts(app_db, TERP_TABLES) == EMPTY, where

    after = seedctl("upgrade", "--database-url", app_db, "--size", BIG, "--lock-timeout", "0")
    ok(after)
    assert fits_plan(table_counts(app_db, TERP_TABLES), expected)
    final = status_of(app_db)
    assert final["applied"] == ["s004"]
    assert fits_plan(ledgered_counts(final), expected)


# --- 3. JSON logs ------------------------------------------------------------------------------


def test_upgrade_logs_json_lines_and_masks_password(app_db: str) -> None:
    url = app_db
    if make_url(app_db).get_backend_name() == "postgresql":
        url = make_url(app_db).set(password=PASSWORD).render_as_string(hide_password=False)
        assert PASSWORD in url
    result = ok(seedctl("upgrade", "--database-url", url, "--size", "150", "--seed", "7"))

    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines
    for line in lines:
        event = json.loads(line)
        assert isinstance(event, dict), line
        assert "event" in event
        assert "timestamp" in event

    started = events_named(result.stderr, "run_started")
    assert len(started) == 1
    run = started[0]
    assert run["env"] == "development"
    assert run["size"] == "150"
    assert run["seed"] == 7
    assert run["database"] == make_url(url).render_as_string(hide_password=True)
    assert isinstance(run["versions"], dict)
    assert {"alembic", "SQLAlchemy"} <= set(run["versions"])
    names = [e["event"] for e in json_lines(result.stderr)]
    for name in ("lock_acquired", "table_seeded", "lock_released", "run_finished"):
        assert name in names
    assert names.index("lock_acquired") < names.index("table_seeded") < names.index("lock_released")
    seeded = {e["table"] for e in events_named(result.stderr, "table_seeded")}
    assert seeded == set(TERP_TABLES)

    if PASSWORD in url:
        assert PASSWORD not in result.stderr
        assert PASSWORD not in result.stdout
        assert "***" in run["database"]
        assert "***" in result.stderr
        # The same for the other verbs that take the URL.
        for args in (("status", "--json"), ("plan", "--json"), ("check",)):
            other = ok(seedctl(*args, "--database-url", url))
            assert PASSWORD not in other.stdout + other.stderr, args


def test_failed_run_logs_json_then_one_readable_line(app_db: str) -> None:
    url = app_db
    if make_url(app_db).get_backend_name() == "postgresql":
        url = make_url(app_db).set(password=PASSWORD).render_as_string(hide_password=False)
    result = seedctl("upgrade", "--database-url", url, "--env", "production")
    assert result.returncode == 5, result.stderr
    assert PASSWORD not in result.stderr + result.stdout
    assert len(text_lines(result.stderr)) == 1, result.stderr
    assert text_lines(result.stderr)[0].startswith("seedctl: error:")


# --- 4. raw alembic ----------------------------------------------------------------------------


@pytest.mark.slow
def test_raw_alembic_seeds_environment_and_app_environment(app_db: str) -> None:
    small = planned_counts(app_db)
    bigger = planned_counts(app_db, "--size", "300")
    assert small != bigger

    ok(alembic(app_db, "upgrade", "seeds@head"))
    assert fits_plan(table_counts(app_db, TERP_TABLES), small)
    assert status_of(app_db)["applied"] == ["s004"]

    # The first step back removes s004 (the customer list), the second s003.
    through_s003 = planned_counts(app_db, through="s003")
    ok(alembic(app_db, "downgrade", "seeds@-1"))
    assert fits_plan(table_counts(app_db, TERP_TABLES), through_s003)
    assert status_of(app_db)["applied"] == ["s003"]
    assert status_of(app_db)["applied_revisions"] == ["s001", "s002", "s003"]
    plan = json.loads(ok(seedctl("plan", "--json", "--database-url", app_db)).stdout)
    # It said false for every revision (the models make the plan without the database).
    assert [(r["revision"], r["applied"]) for r in plan["revisions"]] == [
        ("s001", True),
        ("s002", True),
        ("s003", True),
        ("s004", False),
    ]

    ok(alembic(app_db, "downgrade", "seeds@-1"))
    after = table_counts(app_db, TERP_TABLES)
    for table in TERP_TABLES:
        want = 0 if table in LAST_REVISION_TABLES else through_s003[table]
        assert after[table] == want, table
    assert status_of(app_db)["applied"] == ["s002"]

    ok(alembic(app_db, "downgrade", "seeds@base"))
    assert table_counts(app_db, TERP_TABLES) == EMPTY

    ok(alembic(app_db, "-x", "size=300", "upgrade", "seeds@head"))
    assert fits_plan(table_counts(app_db, TERP_TABLES), bigger)
    assert status_of(app_db)["parameters"]["s003"]["size"] == "300"

    # The application's own environment never sees the seeds.
    app = str(APP_INI.relative_to(ROOT))
    ok(alembic(app_db, "-c", app, "upgrade", "head"))
    ok(alembic(app_db, "-c", app, "check"))
    heads = ok(alembic(app_db, "-c", app, "heads"))
    assert re.findall(r"^(\S+)", heads.stdout, flags=re.MULTILINE) == ["0003"], heads.stdout
    assert "s00" not in heads.stdout
    # Seeded rows survived the application's commands.
    assert fits_plan(table_counts(app_db, TERP_TABLES), bigger)


# --- 5. production guard -----------------------------------------------------------------------


def test_production_guard(app_db: str) -> None:
    name = database_name(app_db)
    base = ("upgrade", "--database-url", app_db, "--env", "production", "--lock-timeout", "0")

    refused = seedctl(*base)
    assert refused.returncode == 5, refused.stderr
    assert "production" in text_lines(refused.stderr)[-1]
    assert table_counts(app_db, TERP_TABLES) == EMPTY

    flag_only = seedctl(*base, "--allow-production")
    assert flag_only.returncode == 5, flag_only.stderr
    assert name in text_lines(flag_only.stderr)[-1]
    assert table_counts(app_db, TERP_TABLES) == EMPTY

    wrong = seedctl(*base, "--allow-production", env={"SEEDLIB_ALLOW_PRODUCTION": "wrongname"})
    assert wrong.returncode == 5, wrong.stderr
    message = text_lines(wrong.stderr)[-1]
    assert f"SEEDLIB_ALLOW_PRODUCTION={name}" in message
    assert "wrongname" in message
    assert table_counts(app_db, TERP_TABLES) == EMPTY

    var_only = seedctl(*base, env={"SEEDLIB_ALLOW_PRODUCTION": name})
    assert var_only.returncode == 5, var_only.stderr
    assert table_counts(app_db, TERP_TABLES) == EMPTY

    allowed = ok(seedctl(*base, "--allow-production", env={"SEEDLIB_ALLOW_PRODUCTION": name}))
    assert events_named(allowed.stderr, "run_finished")
    production = planned_counts(app_db, "--env", "production")
    assert fits_plan(table_counts(app_db, TERP_TABLES), production)
    status = status_of(app_db)
    assert status["applied"] == ["s004"]
    assert status["parameters"]["s003"]["env"] == "production"


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["-x", "size=huge", "upgrade", "seeds@head"], "invalid size 'huge'"),
        (["-x", "bogus=1", "upgrade", "seeds@head"], "unknown -x option(s) bogus"),
        (["upgrade", "seeds@head", "--sql"], "offline (--sql) mode is not supported"),
    ],
)
def test_raw_alembic_refusals_are_one_line_exit_2(
    sqlite_url: str, args: list[str], said: str
) -> None:
    """They printed a traceback and exited 1."""
    migrate_app(sqlite_url)
    refused = alembic(sqlite_url, *args)
    assert refused.returncode == 2, refused.stderr
    assert text_lines(refused.stderr) == [text_lines(refused.stderr)[0]]
    assert said in text_lines(refused.stderr)[0]
    assert table_counts(sqlite_url, TERP_TABLES) == EMPTY


def test_raw_alembic_on_an_unreachable_database_is_one_line_exit_2() -> None:
    refused = alembic("postgresql+psycopg://postgres@127.0.0.1:1/nowhere", "upgrade", "seeds@head")
    assert refused.returncode == 2, refused.stderr
    lines = text_lines(refused.stderr)
    assert len(lines) == 1
    assert lines[0].startswith("seedlib: error: cannot connect to the database")


def test_production_guard_through_raw_alembic(app_db: str) -> None:
    name = database_name(app_db)

    refused = alembic(app_db, "-x", "env=production", "upgrade", "seeds@head")
    assert refused.returncode != 0
    assert "refusing to touch production" in refused.stderr
    assert table_counts(app_db, TERP_TABLES) == EMPTY

    wrong = alembic(
        app_db,
        "-x",
        "env=production",
        "-x",
        "allow_production=1",
        "upgrade",
        "seeds@head",
        env={"SEEDLIB_ALLOW_PRODUCTION": "wrongname"},
    )
    assert wrong.returncode != 0
    assert f"SEEDLIB_ALLOW_PRODUCTION={name}" in wrong.stderr
    assert table_counts(app_db, TERP_TABLES) == EMPTY

    ok(
        alembic(
            app_db,
            "-x",
            "env=production",
            "-x",
            "allow_production=1",
            "upgrade",
            "seeds@head",
            env={"SEEDLIB_ALLOW_PRODUCTION": name},
        )
    )
    production = planned_counts(app_db, "--env", "production")
    assert fits_plan(table_counts(app_db, TERP_TABLES), production)


# --- 6. bad arguments --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("--size", "huge"),
        ("--env", "nope"),
        ("--no-such-option",),
        ("--lock-timeout", "-1"),
        ("--seed", "abc"),
    ],
    ids=["size", "env", "unknown-option", "negative-lock-timeout", "seed"],
)
def test_bad_arguments_exit_2_with_one_line(sqlite_url: str, args: tuple[str, ...]) -> None:
    migrate_app(sqlite_url)
    result = seedctl("upgrade", "--database-url", sqlite_url, *args)
    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("seedctl: error: ")
    assert line.endswith("; see seedctl upgrade --help")
    assert table_counts(sqlite_url, TERP_TABLES) == EMPTY


@pytest.mark.parametrize("verb", ["upgrade", "downgrade", "status", "check", "plan"])
def test_bad_database_url_is_one_readable_line(verb: str) -> None:
    result = seedctl(
        verb, "--database-url", "nonsense", *(["--yes"] if verb == "downgrade" else [])
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("seedctl: error:")
    assert "database URL" in lines[0]


def test_help_lists_every_verb_with_examples() -> None:
    top = ok(run_process([sys.executable, "-m", "seedlib", "--help"]))
    for verb in VERBS:
        assert re.search(rf"\b{verb}\b", top.stdout), verb
    for verb in VERBS:
        helped = ok(run_process([sys.executable, "-m", "seedlib", verb, "--help"]))
        assert "Example" in helped.stdout, verb
        assert "Usage" in helped.stdout, verb


# --- 7. downgrade needs a confirmation ---------------------------------------------------------


def test_downgrade_without_tty_or_yes_is_refused(app_db: str) -> None:
    ok(seedctl("upgrade", "--database-url", app_db))
    before = table_counts(app_db, TERP_TABLES)
    ledger_before = status_of(app_db)["ledger"]
    assert before != EMPTY

    for target in ("base", "-1"):
        result = run_no_tty(seedctl_argv("downgrade", target, "--database-url", app_db))
        assert result.returncode == 5, result.stderr
        assert "--yes" in text_lines(result.stderr)[-1]
        assert table_counts(app_db, TERP_TABLES) == before
    status = status_of(app_db)
    assert status["applied"] == ["s004"]
    assert status["ledger"] == ledger_before

    # A dry run shows without deleting; --yes then deletes.
    dry = ok(run_no_tty(seedctl_argv("downgrade", "base", "--dry-run", "--database-url", app_db)))
    assert "orders" in dry.stdout
    assert table_counts(app_db, TERP_TABLES) == before
    ok(run_no_tty(seedctl_argv("downgrade", "base", "--yes", "--database-url", app_db)))
    assert table_counts(app_db, TERP_TABLES) == EMPTY


# --- 8. alembic revision in the seeds environment ----------------------------------------------


def test_alembic_revision_fills_requires_schema(tmp_path: Path) -> None:
    shutil.copy(ROOT / "alembic.ini", tmp_path / "alembic.ini")
    shutil.copytree(
        ROOT / "seed_migrations",
        tmp_path / "seed_migrations",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    ini = tmp_path / "alembic.ini"
    text = ini.read_text()
    text, n_schema = re.subn(
        r"^seedlib\.schema_config\s*=.*$",
        lambda _: f"seedlib.schema_config = {APP_INI}",
        text,
        flags=re.MULTILINE,
    )
    text, n_path = re.subn(
        r"^prepend_sys_path\s*=.*$",
        lambda _: f"prepend_sys_path = {ROOT}",
        text,
        flags=re.MULTILINE,
    )
    assert (n_schema, n_path) == (1, 1)
    ini.write_text(text)
    versions = tmp_path / "seed_migrations" / "versions"
    before = {p.name for p in versions.glob("*.py")}
    repo_versions = sorted(p.name for p in (ROOT / "seed_migrations" / "versions").glob("*.py"))

    result = ok(
        run_process([sys.executable, "-m", "alembic", "-c", str(ini), "revision", "-m", "x"])
    )

    created = [p for p in versions.glob("*.py") if p.name not in before]
    assert len(created) == 1, result.stdout + result.stderr
    source = created[0].read_text()
    assert "requires_schema = '0003'" in source
    assert "down_revision = 's004'" in source
    compile(source, str(created[0]), "exec")
    spec = importlib.util.spec_from_file_location("seed_revision_under_test", created[0])
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.requires_schema == "0003"
    assert module.down_revision == "s004"
    assert module.branch_labels is None
    assert callable(module.upgrade)
    assert callable(module.downgrade)
    # The repository's own seed revisions are untouched.
    assert sorted(p.name for p in (ROOT / "seed_migrations" / "versions").glob("*.py")) == (
        repo_versions
    )
    heads = ok(run_process([sys.executable, "-m", "alembic", "-c", str(ini), "heads"]))
    assert module.revision in heads.stdout
