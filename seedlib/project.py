"""A seeds project: the seeds Alembic environment and the application it belongs to.

Everything is configuration in the seeds ``alembic.ini`` (main section):

``seedlib.schema_config``
    path of the application's own ``alembic.ini`` (its schema migrations); the drift gate
    compares the database's schema revision with that environment's head(s).
``seedlib.models``
    ``module:attribute`` of the application's ``MetaData`` (or declarative base); when absent
    the schema is reflected from the live database.
``seedlib.default_url``
    the database used when no URL is given (the embedded SQLite file).
``seedlib.schema_version_table``
    the application's version table (default ``alembic_version``).
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData

from seedlib.exceptions import ConfigurationError

DEFAULT_CONFIG = "alembic.ini"


@dataclass
class Project:
    """The seeds environment's Alembic ``Config`` and what it says about the application."""

    config: Config

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None) -> Project:
        """Read the seeds ``alembic.ini`` (``path``, else ``SEEDLIB_CONFIG``, else ``alembic.ini``).

        Raises:
            ConfigurationError: the file does not exist.
        """
        chosen = Path(path or os.environ.get("SEEDLIB_CONFIG") or DEFAULT_CONFIG)
        if not chosen.is_file():
            raise ConfigurationError(
                f"no seeds configuration at {chosen}: run from the project root or pass --config"
            )
        return cls(Config(str(chosen)))

    def option(self, name: str, default: str | None = None) -> str | None:
        value = self.config.get_main_option(name)
        return value if value not in (None, "") else default

    @cached_property
    def script(self) -> ScriptDirectory:
        """The seed revisions (importing this also applies the ini's ``prepend_sys_path``)."""
        return ScriptDirectory.from_config(self.config)

    @property
    def default_url(self) -> str | None:
        return self.option("seedlib.default_url")

    @property
    def schema_version_table(self) -> str:
        return self.option("seedlib.schema_version_table", "alembic_version") or "alembic_version"

    @cached_property
    def schema_config(self) -> Config | None:
        """The application's schema-migrations ``Config``, when the ini names one."""
        path = self.option("seedlib.schema_config")
        if path is None:
            return None
        if not Path(path).is_file():
            raise ConfigurationError(
                f"seedlib.schema_config points at {path}, which does not exist: fix alembic.ini"
            )
        return Config(path)

    @cached_property
    def schema_script(self) -> ScriptDirectory | None:
        return (
            None if self.schema_config is None else ScriptDirectory.from_config(self.schema_config)
        )

    def schema_heads(self) -> tuple[str, ...]:
        """Head revision(s) of the application's schema migrations (empty when not configured)."""
        script = self.schema_script
        return () if script is None else tuple(sorted(script.get_heads()))

    @cached_property
    def models(self) -> MetaData | None:
        """The application's ``MetaData`` named by ``seedlib.models``, or None."""
        spec = self.option("seedlib.models")
        if spec is None:
            return None
        _ = self.script  # applies prepend_sys_path so the application imports
        module_name, _sep, attribute = spec.partition(":")
        try:
            target: object = importlib.import_module(module_name)
            for part in (attribute or "metadata").split("."):
                target = getattr(target, part)
        except (ImportError, AttributeError) as exc:
            raise ConfigurationError(
                f"seedlib.models = {spec} cannot be imported ({exc}); fix alembic.ini"
            ) from None
        metadata = getattr(target, "metadata", target)
        if not isinstance(metadata, MetaData):
            raise ConfigurationError(f"seedlib.models = {spec} is not a SQLAlchemy MetaData")
        return metadata
