"""Settings: sizes, precedence of explicit values over environment over defaults, production."""

from __future__ import annotations

import pytest

from seedlib.config import (
    ALLOW_PRODUCTION_VAR,
    DEFAULT_LOCK_TIMEOUT,
    Settings,
    Size,
    check_production,
    database_name,
    mask_url,
    resolve_settings,
)
from seedlib.exceptions import ConfigurationError, Refused

DEFAULT = "sqlite:///default.db"
PG = "postgresql+psycopg://deploy:s3cr3t-pw@db.example.com:5432/terp_prod"


# --- Size -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name", "factor"),
    [
        ("small", "small", 1.0),
        ("medium", "medium", 10.0),
        ("large", "large", 500.0),
        ("  Large ", "large", 500.0),
        ("100", "100", 1.0),
        ("250", "250", 2.5),
        ("1_000", "1000", 10.0),
        ("007", "7", 0.07),
    ],
)
def test_size_parse_accepts_names_and_positive_numbers(text: str, name: str, factor: float) -> None:
    size = Size.parse(text)
    assert size.name == name
    assert size.factor == pytest.approx(factor)


@pytest.mark.parametrize("text", ["", "tiny", "0", "-5", "1.5", "10k", "1e3", "_1"])
def test_size_parse_rejects_invalid_values(text: str) -> None:
    with pytest.raises(ConfigurationError, match="invalid size"):
        Size.parse(text)


@pytest.mark.parametrize("text", ["1__0", "10_"])
def test_size_parse_rejects_malformed_underscores_as_configuration_error(text: str) -> None:
    # The regex admits these but int() does not: they must still be a usage error (exit 2),
    # not a bare ValueError.
    with pytest.raises(ConfigurationError, match="invalid size"):
        Size.parse(text)


@pytest.mark.parametrize(
    ("size", "declared", "rows"),
    [
        ("small", 7, 7),
        ("medium", 7, 70),
        ("large", 7, 3500),
        ("100", 40, 40),  # an explicit number is the row count of a 100-row table
        ("300", 100, 300),
        ("10", 3, 1),  # never scales a declared table down to nothing
        ("large", 0, 0),
        ("large", -3, 0),
    ],
)
def test_size_rows(size: str, declared: int, rows: int) -> None:
    assert Size.parse(size).rows(declared) == rows


# --- resolve_settings -------------------------------------------------------------------------


def test_defaults_need_only_a_url() -> None:
    settings = resolve_settings(environ={"DATABASE_URL": "sqlite:///app.db"})
    assert settings.env == "development"
    assert settings.size == Size("small", 1.0)
    assert settings.seed == 0
    assert settings.database_url == "sqlite:///app.db"
    assert settings.lock_timeout == DEFAULT_LOCK_TIMEOUT
    assert not settings.allow_production


def test_database_url_precedence() -> None:
    environ = {
        "SEEDLIB_DATABASE_URL": "sqlite:///seedlib.db",
        "DATABASE_URL": "sqlite:///app.db",
    }

    def url(environ: dict[str, str], explicit: str | None = None) -> str:
        settings = resolve_settings(database_url=explicit, environ=environ, default_url=DEFAULT)
        return settings.database_url

    assert url(environ, "sqlite:///explicit.db") == "sqlite:///explicit.db"
    assert url(environ) == "sqlite:///seedlib.db"
    del environ["SEEDLIB_DATABASE_URL"]
    assert url(environ) == "sqlite:///app.db"
    assert url({}) == DEFAULT


def test_env_size_and_seed_precedence() -> None:
    environ = {
        "SEEDLIB_ENV": "staging",
        "SEEDLIB_SIZE": "large",
        "SEEDLIB_SEED": "42",
        "DATABASE_URL": "sqlite:///x.db",
    }
    from_env = resolve_settings(environ=environ)
    assert (from_env.env, from_env.size.name, from_env.seed) == ("staging", "large", 42)
    explicit = resolve_settings(env="test", size="medium", seed=0, environ=environ)
    # seed=0 is an explicit value, not "unset".
    assert (explicit.env, explicit.size.name, explicit.seed) == ("test", "medium", 0)


def test_size_defaults_to_the_environments_default() -> None:
    environ = {"DATABASE_URL": "sqlite:///x.db"}
    assert resolve_settings(env="staging", environ=environ).size.name == "medium"
    assert resolve_settings(env="test", environ=environ).size.name == "small"


def test_env_name_is_normalised() -> None:
    settings = resolve_settings(env="  STAGING ", database_url="sqlite:///x.db", environ={})
    assert settings.env == "staging"


def test_unknown_env_is_a_configuration_error_naming_it() -> None:
    with pytest.raises(ConfigurationError, match="'prod'"):
        resolve_settings(environ={"SEEDLIB_ENV": "prod", "DATABASE_URL": "sqlite:///x.db"})


def test_no_url_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="no database URL"):
        resolve_settings(environ={})


def test_bad_url_is_a_configuration_error_without_echoing_it() -> None:
    with pytest.raises(ConfigurationError, match="invalid database URL") as info:
        resolve_settings(database_url="hunter2 is not a url", environ={})
    assert "hunter2" not in str(info.value)


def test_bad_seed_and_negative_timeout_are_configuration_errors() -> None:
    with pytest.raises(ConfigurationError, match="SEEDLIB_SEED"):
        resolve_settings(environ={"SEEDLIB_SEED": "abc", "DATABASE_URL": "sqlite:///x.db"})
    with pytest.raises(ConfigurationError, match="lock-timeout"):
        resolve_settings(database_url="sqlite:///x.db", lock_timeout=-1, environ={})


def test_bad_size_from_environment_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="huge"):
        resolve_settings(environ={"SEEDLIB_SIZE": "huge", "DATABASE_URL": "sqlite:///x.db"})


def test_chunk_rows_precedence_and_validation() -> None:
    environ = {"DATABASE_URL": "sqlite:///x.db"}
    default = resolve_settings(environ=environ).chunk_rows
    assert default >= 1
    assert resolve_settings(environ={**environ, "SEEDLIB_CHUNK_ROWS": "500"}).chunk_rows == 500
    explicit = resolve_settings(chunk_rows=7, environ={**environ, "SEEDLIB_CHUNK_ROWS": "500"})
    assert explicit.chunk_rows == 7
    with pytest.raises(ConfigurationError, match="SEEDLIB_CHUNK_ROWS"):
        resolve_settings(environ={**environ, "SEEDLIB_CHUNK_ROWS": "0"})
    with pytest.raises(ConfigurationError, match="SEEDLIB_CHUNK_ROWS"):
        resolve_settings(environ={**environ, "SEEDLIB_CHUNK_ROWS": "many"})


def test_workers_default_to_automatic_and_take_a_number_or_auto() -> None:
    environ = {"DATABASE_URL": "sqlite:///x.db"}
    assert resolve_settings(environ=environ).workers is None
    for automatic in ("auto", "AUTO", " ", ""):
        assert resolve_settings(environ={**environ, "SEEDLIB_WORKERS": automatic}).workers is None
    assert resolve_settings(environ={**environ, "SEEDLIB_WORKERS": "3"}).workers == 3
    assert resolve_settings(workers=1, environ={**environ, "SEEDLIB_WORKERS": "3"}).workers == 1
    for wrong in ("0", "-2", "many"):
        with pytest.raises(ConfigurationError, match="SEEDLIB_WORKERS"):
            resolve_settings(environ={**environ, "SEEDLIB_WORKERS": wrong})
    with pytest.raises(ConfigurationError, match="--workers"):
        resolve_settings(workers=0, environ=environ)


# --- URLs -------------------------------------------------------------------------------------


def test_mask_url_hides_the_password() -> None:
    masked = mask_url(PG)
    assert "s3cr3t-pw" not in masked
    assert "***" in masked
    assert "deploy" in masked
    assert "db.example.com" in masked
    assert masked.endswith("/terp_prod")


def test_mask_url_of_garbage_reveals_nothing() -> None:
    assert "hunter2" not in mask_url("hunter2 garbage")


def test_settings_safe_url_and_database_name() -> None:
    settings = resolve_settings(database_url=PG, environ={})
    assert "s3cr3t-pw" not in settings.safe_url
    assert settings.database_name == "terp_prod"


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("sqlite:////var/data/terp.sqlite3", "terp.sqlite3"),
        ("sqlite://", ":memory:"),
        ("postgresql://u@h/erp", "erp"),
    ],
)
def test_database_name(url: str, name: str) -> None:
    assert database_name(url) == name


# --- production guard -------------------------------------------------------------------------


def production(url: str = PG, *, allow: bool) -> Settings:
    return resolve_settings(env="production", database_url=url, allow_production=allow, environ={})


@pytest.mark.parametrize("env", ["development", "test", "staging"])
def test_non_production_needs_no_authorisation(env: str) -> None:
    settings = resolve_settings(env=env, database_url=PG, environ={})
    check_production(settings, environ={})  # does not raise


def test_production_without_flag_is_refused() -> None:
    with pytest.raises(
        Refused, match=r"--allow-production \(plain alembic: -x allow_production=1\)"
    ) as info:
        check_production(production(allow=False), environ={ALLOW_PRODUCTION_VAR: "terp_prod"})
    assert info.value.exit_code == 5


def test_production_flag_without_second_key_is_refused_naming_the_database() -> None:
    with pytest.raises(Refused, match="terp_prod") as info:
        check_production(production(allow=True), environ={})
    assert "not set" in str(info.value)


def test_production_flag_with_wrong_second_key_is_refused_naming_both() -> None:
    with pytest.raises(Refused, match="terp_prod") as info:
        check_production(production(allow=True), environ={ALLOW_PRODUCTION_VAR: "terp_staging"})
    assert "terp_staging" in str(info.value)


def test_production_with_flag_and_matching_key_is_allowed() -> None:
    check_production(production(allow=True), environ={ALLOW_PRODUCTION_VAR: "terp_prod"})


def test_production_key_is_compared_against_the_sqlite_file_name() -> None:
    settings = production("sqlite:////srv/prod/terp.sqlite3", allow=True)
    check_production(settings, environ={ALLOW_PRODUCTION_VAR: "terp.sqlite3"})
    with pytest.raises(Refused):
        check_production(settings, environ={ALLOW_PRODUCTION_VAR: "/srv/prod/other.sqlite3"})


def test_production_url_without_database_name_still_needs_the_second_key() -> None:
    # A URL with no database part (the server picks the user's default database) must not let
    # the flag alone through: an unset SEEDLIB_ALLOW_PRODUCTION equals the empty target name.
    settings = production("postgresql+psycopg://deploy:pw@db.example.com", allow=True)
    with pytest.raises(Refused):
        check_production(settings, environ={})
