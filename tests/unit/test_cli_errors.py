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
