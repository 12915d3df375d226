"""MySQL/MariaDB tables whose storage engine cannot roll back (MyISAM, Aria, MEMORY …) are
refused before anything is written: their rows would outlive a rolled-back revision with no
ledger entry, and a rejected batch is bisected inside savepoints they do not support. Leaving
such a table out works, and rollback of rows already in one is unaffected."""

from __future__ import annotations

import pytest

import seedlib
from tests.conftest import Seedctl, execute, migrate_app, rows

#: ``legacy`` cannot roll back; ``kids`` (InnoDB) comes after it and references ``parents``.
SCHEMA = (
    "CREATE TABLE parents (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(20)) ENGINE=InnoDB",
    "CREATE TABLE legacy (id INT AUTO_INCREMENT PRIMARY KEY, note VARCHAR(20)) ENGINE={engine}",
    "CREATE TABLE kids (id INT AUTO_INCREMENT PRIMARY KEY, parent_id INT NOT NULL, "
    "code VARCHAR(5) NOT NULL, FOREIGN KEY (parent_id) REFERENCES parents (id)) ENGINE=InnoDB",
)


def _ledgered(url: str) -> int:
    found = rows(
        url,
        "SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() "
        "AND TABLE_NAME = 'seedlib_ledger'",
    )
    if found != [(1,)]:
        return 0
    return int(rows(url, "SELECT count(*) FROM seedlib_ledger")[0][0])


@pytest.mark.parametrize(
    "engine", ["MyISAM", "Aria TRANSACTIONAL=1", "Aria TRANSACTIONAL=0", "MEMORY"]
)
def test_a_table_that_cannot_roll_back_is_refused_before_anything_is_written(
    mysql_url: str, engine: str
) -> None:
    execute(mysql_url, *(s.format(engine=engine) for s in SCHEMA))
    with pytest.raises(seedlib.ConfigurationError) as refused:
        seedlib.seed(mysql_url, rows=10, label="engines")
    message = str(refused.value)
    assert f"cannot seed legacy ({engine.split()[0]})" in message
    assert "ALTER TABLE legacy ENGINE=InnoDB" in message
    assert "--table legacy=0" in message
    assert "parents" not in message
    assert "kids" not in message
    counts = "SELECT (SELECT count(*) FROM parents), (SELECT count(*) FROM legacy), "
    assert rows(mysql_url, counts + "(SELECT count(*) FROM kids)") == [(0, 0, 0)]
    assert _ledgered(mysql_url) == 0


def test_the_cli_refuses_with_one_line_and_exit_2(mysql_url: str) -> None:
    execute(mysql_url, *(s.format(engine="MyISAM") for s in SCHEMA))
    seedctl = Seedctl(mysql_url)
    result = seedctl("seed", "--rows", "10", "--label", "engines")
    assert result.exit_code == 2, result.stderr
    [line] = [ln for ln in result.stderr.splitlines() if ln.startswith("seedctl: error:")]
    assert "legacy (MyISAM)" in line
    assert "--table legacy=0" in line
    assert rows(mysql_url, "SELECT count(*) FROM legacy") == [(0,)]
    # a dry run says so as well, rather than plan rows the run would refuse
    assert seedctl("seed", "--rows", "10", "--dry-run").exit_code == 2


def test_leaving_the_table_out_seeds_the_rest_and_unseed_removes_it(mysql_url: str) -> None:
    execute(
        mysql_url,
        *(s.format(engine="MyISAM") for s in SCHEMA),
        "INSERT INTO legacy (note) VALUES ('app')",
    )
    seedctl = Seedctl(mysql_url)
    result = seedctl("seed", "--rows", "10", "--table", "legacy=0", "--label", "engines")
    assert result.exit_code == 0, result.stderr
    assert rows(mysql_url, "SELECT count(*) FROM parents UNION ALL SELECT count(*) FROM kids") == [
        (10,),
        (10,),
    ]
    assert seedctl("unseed", "--label", "engines", "--yes").exit_code == 0
    assert rows(mysql_url, "SELECT count(*) FROM parents UNION ALL SELECT count(*) FROM kids") == [
        (0,),
        (0,),
    ]
    assert rows(mysql_url, "SELECT note FROM legacy") == [("app",)]


def test_unseed_still_removes_rows_from_a_table_converted_after_seeding(mysql_url: str) -> None:
    execute(mysql_url, *(s.format(engine="InnoDB") for s in SCHEMA))
    seedlib.seed(mysql_url, rows=10, label="engines")
    execute(mysql_url, "ALTER TABLE legacy ENGINE=Aria TRANSACTIONAL=1")
    assert seedlib.unseed(mysql_url, label="engines").problems == []
    assert rows(mysql_url, "SELECT count(*) FROM legacy") == [(0,)]


def _to_myisam(url: str, table: str) -> None:
    """Drop ``table``'s foreign keys (MyISAM keeps none) and convert it."""
    keys = rows(
        url,
        "SELECT CONSTRAINT_NAME FROM information_schema.TABLE_CONSTRAINTS WHERE "
        f"TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '{table}' "
        "AND CONSTRAINT_TYPE = 'FOREIGN KEY'",
    )
    execute(
        url,
        *(f"ALTER TABLE {table} DROP FOREIGN KEY `{name}`" for (name,) in keys),
        f"ALTER TABLE {table} ENGINE=MyISAM",
    )


def test_seed_revisions_are_refused_before_the_first_one_runs(mysql_url: str) -> None:
    """``ledger_entries`` is in s001, the first revision: nothing of any revision is written;
    downgrade of what is applied is unaffected."""
    migrate_app(mysql_url)
    seedctl = Seedctl(mysql_url)
    _to_myisam(mysql_url, "ledger_entries")
    result = seedctl("upgrade")
    assert result.exit_code == 2, result.stderr
    [line] = [ln for ln in result.stderr.splitlines() if ln.startswith("seedctl: error:")]
    assert "ledger_entries (MyISAM)" in line
    assert "ALTER TABLE ledger_entries ENGINE=InnoDB" in line
    assert "SEEDS" in line
    assert rows(mysql_url, "SELECT count(*) FROM users") == [(0,)]
    assert _ledgered(mysql_url) == 0
    # converted back, the revisions apply; converted again, they still roll back
    execute(mysql_url, "ALTER TABLE ledger_entries ENGINE=InnoDB")
    assert seedctl("upgrade").exit_code == 0
    assert rows(mysql_url, "SELECT count(*) > 0 FROM ledger_entries") == [(1,)]
    _to_myisam(mysql_url, "ledger_entries")
    result = seedctl("downgrade", "base", "--yes")
    assert result.exit_code == 0, result.stderr
    assert rows(mysql_url, "SELECT count(*) FROM ledger_entries") == [(0,)]
    assert _ledgered(mysql_url) == 0
