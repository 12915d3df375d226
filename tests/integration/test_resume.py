"""Crash anywhere, run again: the result equals an uninterrupted run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from typing import Any

import pytest
from sqlalchemy import text

from seedlib.db import engine_for
from seedlib.lock import database_lock
from tests.conftest import ROOT, TERP_TABLES, Seedctl, execute, migrate_app, seedctl_argv

CHUNK = "100"


def dump(url: str) -> dict[str, list[tuple[Any, ...]]]:
    engine = engine_for(url)
    try:
        with engine.connect() as conn:
            return {
                t: [tuple(r) for r in conn.execute(text(f"SELECT * FROM {t} ORDER BY id"))]
                for t in TERP_TABLES
            }
    finally:
        engine.dispose()


def upgrade_killed_after(url: str, chunks: int) -> int:
    """Run `seedctl upgrade`, SIGKILL it after its ``chunks``-th committed chunk; return count."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEEDLIB_")}
    env["SEEDLIB_CHUNK_ROWS"] = CHUNK
    process = subprocess.Popen(
        [*seedctl_argv("upgrade", "--database-url", url, "--lock-timeout", "10")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen = 0
    try:
        assert process.stderr is not None
        for line in process.stderr:
            if json.loads(line).get("event") == "chunk_committed":
                seen += 1
                if seen == chunks:
                    process.send_signal(signal.SIGKILL)
                    break
    finally:
        process.kill()
        process.wait(timeout=60)
    return seen


@pytest.mark.slow
def test_sigkill_at_five_points_then_resume_equals_uninterrupted(
    db_url: str, other_db_url: str
) -> None:
    reference = other_db_url
    migrate_app(reference)
    assert Seedctl(reference)("upgrade", env={"SEEDLIB_CHUNK_ROWS": "1000000"}).exit_code == 0

    migrate_app(db_url)
    # Five kills, each a few chunks into a run that resumes the previous one, so they land at
    # five different places of the whole run (the run has about 30 chunks at this size).
    for point in (1, 2, 2, 3, 3):
        assert upgrade_killed_after(db_url, point) == point
        status = json.loads(Seedctl(db_url)("status", "--json").stdout)
        # Every ledgered row is in the database: nothing half-landed.
        assert status["mismatches"] == []
    seedctl = Seedctl(db_url)
    status = json.loads(seedctl("status", "--json").stdout)
    assert status["unfinished"] or status["pending"]
    final = seedctl("upgrade", env={"SEEDLIB_CHUNK_ROWS": CHUNK})
    assert final.exit_code == 0, final.stderr
    assert "revision_resumed" in final.stderr

    assert dump(db_url) == dump(reference)
    status = json.loads(seedctl("status", "--json").stdout)
    assert status["unfinished"] == []
    assert status["applied"] == ["s004"]
    # And the resumed dataset rolls back exactly like any other.
    assert seedctl("downgrade", "base", "--yes").exit_code == 0
    assert all(not rows for rows in dump(db_url).values())


def test_downgrade_removes_an_interrupted_revision(db_url: str) -> None:
    migrate_app(db_url)
    assert upgrade_killed_after(db_url, 3) == 3
    seedctl = Seedctl(db_url)
    status = json.loads(seedctl("status", "--json").stdout)
    assert status["unfinished"]
    preview = seedctl("downgrade", "base", "--dry-run")
    assert preview.exit_code == 0
    assert status["unfinished"][0] in preview.stdout
    done = seedctl("downgrade", "base", "--yes")
    assert done.exit_code == 0, done.stderr
    assert all(not rows for rows in dump(db_url).values())
    status = json.loads(seedctl("status", "--json").stdout)
    assert status == {**status, "unfinished": [], "applied": [], "ledger": {}}


def test_status_tells_a_running_revision_from_an_interrupted_one(db_url: str) -> None:
    migrate_app(db_url)
    assert upgrade_killed_after(db_url, 2) == 2
    seedctl = Seedctl(db_url)
    idle = seedctl("status")
    assert "interrupted:" in idle.stdout
    assert "running:" not in idle.stdout
    assert json.loads(seedctl("status", "--json").stdout)["lock_holder"] is None
    engine = engine_for(db_url)
    try:
        with database_lock(engine, timeout=0) as me:  # what a run in progress holds
            busy = seedctl("status")
            report = json.loads(seedctl("status", "--json").stdout)
    finally:
        engine.dispose()
    assert busy.exit_code == 0, busy.stderr
    assert "interrupted:" not in busy.stdout
    running = [line for line in busy.stdout.splitlines() if line.startswith("running:")]
    assert len(running) == 1
    assert report["unfinished"][0] in running[0]
    assert report["lock_holder"]["pid"] == me.pid == os.getpid()
    assert seedctl("status").stdout == idle.stdout  # released: interrupted again


def test_resume_with_other_parameters_is_refused(db_url: str) -> None:
    migrate_app(db_url)
    assert upgrade_killed_after(db_url, 2) == 2
    refused = Seedctl(db_url)("upgrade", "--seed", "99", env={"SEEDLIB_CHUNK_ROWS": CHUNK})
    assert refused.exit_code == 5
    assert "--seed 0" in refused.stderr


def test_status_and_check_read_an_sqlite_file_a_run_is_writing(sqlite_url: str) -> None:
    import sqlite3

    migrate_app(sqlite_url)
    seedctl = Seedctl(sqlite_url)
    writer = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")  # what a run holds (it failed: "database is locked")
        writer.execute("CREATE TABLE scratch (x INTEGER)")
        for command in (["status"], ["check"], ["plan"]):
            done = seedctl(*command)
            assert done.exit_code == 0, (command, done.stdout, done.stderr)
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_downgrade_minus_one_removes_only_the_interrupted_revision(sqlite_url: str) -> None:
    """The interrupted revision is the newest: ``-1`` removed it and the applied one too."""
    migrate_app(sqlite_url)
    upgrade_killed_after(sqlite_url, 6)
    seedctl = Seedctl(sqlite_url)
    status = json.loads(seedctl("status", "--json").stdout)
    assert (status["applied"], status["unfinished"]) == (["s001"], ["s002"])
    kept = {t: rows for t, rows in dump(sqlite_url).items() if t in {"users", "accounts"}}
    done = seedctl("downgrade", "-1", "--yes")
    assert done.exit_code == 0, done.stderr
    status = json.loads(seedctl("status", "--json").stdout)
    assert (status["applied"], status["unfinished"]) == (["s001"], [])
    assert set(status["ledger"]) == {"s001"}
    assert {t: rows for t, rows in dump(sqlite_url).items() if t in kept} == kept
    assert dump(sqlite_url)["brands"] == []


def test_a_downgrade_leaves_an_unfinished_seedctl_seed_label_alone(sqlite_url: str) -> None:
    """``downgrade -1`` counted an interrupted ``seedctl seed`` label as the newest revision
    (removing no applied one) and deleted the label's rows."""
    import seedlib

    migrate_app(sqlite_url)
    seedctl = Seedctl(sqlite_url)
    assert seedctl("upgrade", "--target", "s002").exit_code == 0
    execute(sqlite_url, "CREATE TABLE app_scratch (id INTEGER PRIMARY KEY, note VARCHAR(30))")
    calls = [0]

    def interrupt(_table: str, _done: int, _total: int) -> None:
        calls[0] += 1
        if calls[0] == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        seedlib.seed(
            sqlite_url,
            rows=0,
            tables={"app_scratch": 3000},
            label="scratch",
            chunk_rows=1000,
            progress=interrupt,
        )
    kept = dump_table(sqlite_url, "app_scratch")
    assert kept
    done = seedctl("downgrade", "-1", "--yes")
    assert done.exit_code == 0, done.stderr
    status = json.loads(seedctl("status", "--json").stdout)
    assert status["applied_revisions"] == ["s001"]
    assert status["unfinished"] == ["label:scratch"]
    assert dump_table(sqlite_url, "app_scratch") == kept
    assert seedlib.unseed(sqlite_url, label="scratch").problems == []
    assert dump_table(sqlite_url, "app_scratch") == []


def dump_table(url: str, table: str) -> list[tuple[Any, ...]]:
    engine = engine_for(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(f"SELECT * FROM {table} ORDER BY id"))]
    finally:
        engine.dispose()
