"""structlog configuration: one JSON line per event on stderr, with bound context."""

from __future__ import annotations

import io
import json
import logging
import os
from collections.abc import Iterator

import pytest
import structlog

from seedlib import log


@pytest.fixture(autouse=True)
def restore_structlog(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(log, "_configured", None)
    yield
    structlog.contextvars.clear_contextvars()
    structlog.reset_defaults()


def test_json_log_line_has_event_and_bound_context(capsys: pytest.CaptureFixture[str]) -> None:
    assert log.configure("json") == "json"
    assert log.is_configured()
    logger = log.get_logger(run_id="run-7", revision="abc123")
    logger.info("table_seeded", table="clients", rows=25)
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1
    event = json.loads(lines[0])
    assert event["event"] == "table_seeded"
    assert event["run_id"] == "run-7"
    assert event["revision"] == "abc123"
    assert event["table"] == "clients"
    assert event["rows"] == 25
    assert event["level"] == "info"
    assert "timestamp" in event


def test_context_variables_are_merged(capsys: pytest.CaptureFixture[str]) -> None:
    log.configure("json")
    structlog.contextvars.bind_contextvars(run_id="ctx-run")
    log.get_logger().warning("lock_waiting")
    event = json.loads(capsys.readouterr().err)
    assert event == {**event, "event": "lock_waiting", "run_id": "ctx-run", "level": "warning"}


def test_level_filters_lower_events(capsys: pytest.CaptureFixture[str]) -> None:
    log.configure("json", level=logging.WARNING)
    logger = log.get_logger()
    logger.info("chatty")
    logger.error("broken", reason="x")
    lines = capsys.readouterr().err.splitlines()
    assert [json.loads(line)["event"] for line in lines] == ["broken"]


def test_non_serialisable_values_are_rendered_as_text(capsys: pytest.CaptureFixture[str]) -> None:
    from decimal import Decimal
    from pathlib import Path

    log.configure("json")
    log.get_logger().info("summary", total=Decimal("1.50"), path=Path("/tmp/x"))
    event = json.loads(capsys.readouterr().err)
    assert event["total"] == "1.50"
    assert event["path"] == "/tmp/x"


def test_console_format_is_not_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert log.configure("console") == "console"
    log.get_logger(table="clients").info("hello")
    err = capsys.readouterr().err
    assert "hello" in err
    assert "clients" in err
    with pytest.raises(json.JSONDecodeError):
        json.loads(err)


def test_default_format_follows_the_terminal() -> None:
    assert log.default_format(io.StringIO()) == "json"
    primary, secondary = os.openpty()
    try:
        with os.fdopen(secondary, "w", closefd=False) as tty:
            assert log.default_format(tty) == "console"
    finally:
        os.close(primary)
        os.close(secondary)


def test_not_configured_until_configure_runs() -> None:
    assert not log.is_configured()
