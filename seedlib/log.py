"""structlog configuration, applied once at the edge (``seedctl`` or the seeds ``env.py``).

The library itself only calls :func:`get_logger` and binds context; its entry points (the seeds
``env.py``, ``seedlib.seed``, ``seedlib.unseed``) configure output only when the process has not
(:func:`ensure_configured`).
"""

from __future__ import annotations

import logging
import sys
from typing import Any, Literal, TextIO

import structlog

LogFormat = Literal["json", "console"]
_configured: LogFormat | None = None
#: Stack traces as data, without local variables: locals can hold passwords and masking keys.
_TRACEBACKS = structlog.processors.ExceptionRenderer(
    structlog.tracebacks.ExceptionDictTransformer(show_locals=False)
)


class _StderrLoggerFactory:
    """Write to whatever ``sys.stderr`` is when a line is logged (test runners swap it)."""

    def __call__(self, *args: Any) -> structlog.PrintLogger:
        return structlog.PrintLogger(_Stderr())  # type: ignore[arg-type]


class _Stderr:
    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def default_format(stream: TextIO | None = None) -> LogFormat:
    """JSON unless ``stream`` (stderr by default) is a terminal."""
    stream = sys.stderr if stream is None else stream
    return "console" if stream.isatty() else "json"


def configure(fmt: LogFormat | None = None, *, level: int = logging.INFO) -> LogFormat:
    """Configure structlog to write one event per line on stderr, as JSON or for a console."""
    global _configured
    chosen = fmt or default_format()
    renderer: Any
    if chosen == "json":
        renderer = structlog.processors.JSONRenderer(sort_keys=False, default=str)
        exc: Any = _TRACEBACKS
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
        exc = structlog.dev.set_exc_info
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.StackInfoRenderer(),
            exc,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=_StderrLoggerFactory(),
        cache_logger_on_first_use=False,
    )
    _route_stdlib_logging(renderer, level)
    _configured = chosen
    return chosen


def _route_stdlib_logging(renderer: Any, level: int) -> None:
    """Send warnings of libraries that use ``logging`` (SQLAlchemy's pool, Alembic) through the
    same renderer, so stderr stays one event per line."""
    formatter = structlog.stdlib.ProcessorFormatter(
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            _TRACEBACKS
            if isinstance(renderer, structlog.processors.JSONRenderer)
            else structlog.dev.set_exc_info,
            renderer,
        ],
        foreign_pre_chain=[
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.stdlib.ExtraAdder(),
        ],
    )
    handler = logging.StreamHandler(_Stderr())
    handler.setFormatter(formatter)
    handler.set_name("seedlib")
    root = logging.getLogger()
    root.handlers = [h for h in root.handlers if h.get_name() != "seedlib"] + [handler]
    root.setLevel(max(level, logging.WARNING))


def is_configured() -> bool:
    """Whether :func:`configure` has run in this process."""
    return _configured is not None


def ensure_configured() -> None:
    """Configure (JSON lines on stderr, see :func:`configure`) unless this process already
    configured structlog: an application's own configuration is kept, and a script calling
    ``seedlib.seed`` gets no log lines mixed into its stdout (structlog's default)."""
    if not is_configured() and not structlog.is_configured():
        configure()


def get_logger(**context: Any) -> Any:
    """A structlog logger bound to ``context``."""
    return structlog.get_logger("seedlib").bind(**context)
