"""Options, consoles and error mapping shared by the ``seedctl`` command modules."""

from __future__ import annotations

import enum
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from alembic.util import CommandError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from sqlalchemy import exc as sa_exc

from seedlib import log
from seedlib.config import ENVIRONMENTS, Size
from seedlib.db import cannot_connect
from seedlib.exceptions import ConfigurationError, Refused, SeedError
from seedlib.runtime import interrupt_behind

if TYPE_CHECKING:
    from seedlib.rollback import RollbackReport


class LogFormat(enum.StrEnum):
    json = "json"
    console = "console"


out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)
_state: dict[str, Any] = {}


def _check_env(value: str | None) -> str | None:
    if value is not None and value.lower() not in ENVIRONMENTS:
        raise typer.BadParameter(f"{value!r}: use one of {', '.join(ENVIRONMENTS)}")
    return value


def _check_size(value: str | None) -> str | None:
    if value is not None:
        try:
            Size.parse(value)
        except ConfigurationError as exc:
            raise typer.BadParameter(str(exc)) from None
    return value


EnvOpt = Annotated[
    str | None,
    typer.Option(
        "--env",
        callback=_check_env,
        help="development, test, staging or production [default: $SEEDLIB_ENV or development]",
    ),
]
SizeOpt = Annotated[
    str | None,
    typer.Option(
        "--size",
        callback=_check_size,
        help="small, medium, large or a row count N (a table "
        "declared with 100 rows gets N) [default: the environment's]",
    ),
]
SeedOpt = Annotated[int | None, typer.Option("--seed", help="RNG seed [default: 0]")]
UrlOpt = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="SQLAlchemy URL [default: $SEEDLIB_DATABASE_URL, $DATABASE_URL, "
        "or the embedded SQLite file]",
    ),
]
LockOpt = Annotated[
    float | None,
    typer.Option(
        "--lock-timeout", min=0, help="seconds to wait for the lock; 0 fails at once [default: 30]"
    ),
]
ProdOpt = Annotated[
    bool,
    typer.Option(
        "--allow-production",
        help="allow --env production (also needs SEEDLIB_ALLOW_PRODUCTION=<database name>)",
    ),
]
WorkersOpt = Annotated[
    int | None,
    typer.Option(
        "--workers",
        min=1,
        help="processes generating rows while the database loads them (PostgreSQL, SQLite); "
        "1 makes them in the seeding process; the rows are the same for any number [default: "
        "$SEEDLIB_WORKERS or auto: one per CPU (one fewer on SQLite), up to 4, for 50,000 rows "
        "or more]",
    ),
]
DryOpt = Annotated[bool, typer.Option("--dry-run", help="show what would happen; write nothing")]
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON instead of tables")]


@contextmanager
def _errors() -> Iterator[None]:
    """One readable line on stderr and the documented exit code for every failure."""
    try:
        yield
    except SeedError as exc:
        _fail(str(exc), exc.exit_code)
    except typer.Exit:
        raise
    except KeyboardInterrupt:
        _interrupted()
    except MemoryError:
        _fail("not enough memory to plan or make that many rows; ask for a smaller --size", 7)
    except sa_exc.DBAPIError as exc:
        if interrupt_behind(exc) is not None:  # the connection broke under the signal
            _interrupted()
        reason = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else repr(exc)
        if "database is locked" in reason:  # SQLite: another run is writing
            _fail(
                f"the database is locked by another connection ({reason}); wait for the other "
                "run to finish, then try again",
                4,
            )
        unreachable = cannot_connect(exc)
        if isinstance(exc, sa_exc.IntegrityError) or (exc.statement is None and not unreachable):
            # A constraint, or a trigger, the database checked (at COMMIT: no statement).
            _fail(
                f"the database refused the change: {reason}; the running transaction was "
                "rolled back (a constraint or trigger checked at commit): give the columns it "
                "names values that hold, or leave that table out",
                7,
            )
        if unreachable:
            _fail(
                f"cannot connect to the database ({reason}); check the URL, that the server is "
                "running and that the database exists",
                2,
            )
        if _denied(exc):
            _fail(
                f"the database refused this role: {reason}; use a role that may write the "
                "tables (and create seedlib's bookkeeping tables)",
                2,
            )
        _unexpected(exc)
    except CommandError as exc:  # Alembic: an unknown revision or target
        _fail(f"{exc}; seedctl status lists the seed revisions", 2)
    except sa_exc.ArgumentError as exc:  # an unknown dialect or driver in the URL
        _fail(f"bad database URL ({exc}); expected dialect+driver://user@host/db", 2)
    except Exception as exc:
        _unexpected(exc)


def _fail(message: str, code: int) -> NoReturn:
    err.print(f"seedctl: error: {message}", markup=False)
    raise typer.Exit(code) from None


def _interrupted() -> NoReturn:
    err.print(
        "seedctl: interrupted; what the running revision had not committed was rolled back; "
        "run the same command again to continue (committed chunks are kept and resumed)",
        markup=False,
    )
    raise typer.Exit(130) from None


def _denied(exc: sa_exc.DBAPIError) -> bool:
    """A permission error: PostgreSQL's SQLSTATE 42501, MySQL's 1142/1044/1227 and kin."""
    orig = exc.orig
    if getattr(orig, "sqlstate", None) == "42501":
        return True
    code = orig.args[0] if orig is not None and orig.args else None
    return code in (1044, 1045, 1142, 1143, 1227, 1370)


def _unexpected(exc: Exception) -> NoReturn:
    log.get_logger().error("unexpected_error", error=str(exc), exc_info=True)
    text = str(exc.orig if isinstance(exc, sa_exc.DBAPIError) else exc).strip()
    first = text.splitlines()[0] if text else ""
    err.print(
        f"seedctl: unexpected error: {type(exc).__name__}: {first} (the JSON log on "
        "stderr has the statement and the stack; please report it)",
        markup=False,
    )
    raise typer.Exit(1) from None


@contextmanager
def _progress() -> Iterator[Callable[[str, int, int], None] | None]:
    if not sys.stderr.isatty():
        yield None
        return
    # Refreshed on each update, not by rich's refresh thread: a process running a second
    # thread would not fork row generators (see seedlib.load.parallel.workers_for).
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=err,
        transient=True,
        auto_refresh=False,
    )
    tasks: dict[str, Any] = {}

    def update(table: str, done: int, total: int) -> None:
        if table not in tasks:
            tasks[table] = bar.add_task(table, total=total)
        bar.update(tasks[table], completed=done, refresh=True)

    with bar:
        yield update


def _render_previews(previews: list[RollbackReport], console: Console) -> None:
    table = Table(title="rows to delete (from the ledger)")
    for column in ("revision", "table", "rows", "sample keys"):
        table.add_column(column, justify="right" if column == "rows" else "left")
    for p in previews:
        for name, count in p.ledgered.items():
            table.add_row(p.revision, name, f"{count:,}", ", ".join(p.samples.get(name, [])))
    console.print(table)


def _confirm(previews: list[RollbackReport]) -> bool:
    if not sys.stdin.isatty():
        raise Refused("this deletes rows and there is no terminal to confirm on; pass --yes")
    _render_previews(previews, err)
    return typer.confirm("Delete these rows?", default=False, err=True)
