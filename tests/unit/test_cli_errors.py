"""How ``seedctl`` turns failures into one line and an exit code."""

from __future__ import annotations

import pytest
import typer
from sqlalchemy import exc as sa_exc

from seedlib.cli._common import _errors
from seedlib.runtime import interrupt_behind


def _broken_by_interrupt() -> None:
    try:
        raise KeyboardInterrupt
    except KeyboardInterrupt:  # PyMySQL's connection, cut mid-statement, fails the ROLLBACK
        raise sa_exc.InterfaceError(None, None, Exception("(0, '')")) from None


def test_a_connection_broken_by_ctrl_c_is_the_interrupt(capsys: pytest.CaptureFixture[str]) -> None:
    """It exited 2, 'cannot connect to the database ((0, ''))'."""
    with pytest.raises(typer.Exit) as done, _errors():
        _broken_by_interrupt()
    assert done.value.exit_code == 130
    assert "seedctl: interrupted" in capsys.readouterr().err


def test_a_connection_error_on_its_own_is_not_an_interrupt(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(typer.Exit) as done, _errors():
        raise sa_exc.OperationalError(None, None, Exception("connection refused"))
    assert done.value.exit_code == 2
    assert "cannot connect to the database (connection refused)" in capsys.readouterr().err
    assert interrupt_behind(ValueError()) is None


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["upgrade", "--size", "huge"], "seedctl: error: Invalid value for '--size': "),
        (["upgrade", "--bogus"], "seedctl: error: No such option: --bogus; see seedctl upgrade"),
        (["nosuch"], "seedctl: error: No such command 'nosuch'; see seedctl --help"),
    ],
)
def test_a_mistyped_command_line_is_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    expected: str,
) -> None:
    """It was a framed usage box of five lines."""
    from seedlib.cli import main

    monkeypatch.setattr("sys.argv", ["seedctl", *argv])
    with pytest.raises(SystemExit) as done:
        main()
    assert done.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(expected)


def test_help_and_a_command_still_exit_0(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from seedlib.cli import main

    monkeypatch.setattr("sys.argv", ["seedctl", "upgrade", "--help"])
    with pytest.raises(SystemExit) as done:
        main()
    assert done.value.code == 0
    assert "--size" in capsys.readouterr().out
