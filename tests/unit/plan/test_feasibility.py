"""The feasibility pre-flight: impossible counts are named before anything is inserted."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Enum,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)

from seedlib.generate.checks import domains, table_checks
from seedlib.plan.feasibility import problems

META = MetaData()
FLAGS = Table(
    "flags",
    META,
    Column("id", Integer, primary_key=True),
    Column("on", Boolean, nullable=False, unique=True),
)
KINDS = Table(
    "kinds",
    META,
    Column("id", Integer, primary_key=True),
    Column("kind", Enum("a", "b", "c", native_enum=False), nullable=False, unique=True),
)
LEVELS = Table(
    "levels",
    META,
    Column("id", Integer, primary_key=True),
    Column("level", Integer, nullable=False, unique=True),
    CheckConstraint("level BETWEEN 1 AND 5"),
)
USERS = Table("users", META, Column("id", Integer, primary_key=True), Column("name", String(20)))
PROFILES = Table(
    "profiles",
    META,
    Column("id", Integer, primary_key=True),
    Column("user_id", ForeignKey("users.id"), nullable=False, unique=True),
)
GROUPS = Table("groups", META, Column("id", Integer, primary_key=True))
MEMBERS = Table(
    "members",
    META,
    Column("id", Integer, primary_key=True),
    Column("user_id", ForeignKey("users.id"), nullable=False),
    Column("group_id", ForeignKey("groups.id"), nullable=False),
    UniqueConstraint("user_id", "group_id"),
)
ORPHANS = Table(
    "orphans",
    META,
    Column("id", Integer, primary_key=True),
    Column("group_id", ForeignKey("groups.id"), nullable=False),
)


def _problems(counts: dict[str, int], existing: dict[str, int] | None = None) -> list[str]:
    existing = existing or {}
    return problems(
        {n: META.tables[n] for n in counts},
        counts,
        domains=lambda t: domains(table_checks(t)),
        parent_rows=lambda t: counts.get(t.fullname, existing.get(t.fullname, 0)),
        overridden=lambda _t: set(),
    )


def test_counts_within_capacity_pass() -> None:
    assert (
        _problems(
            {
                "flags": 2,
                "kinds": 3,
                "levels": 5,
                "users": 10,
                "profiles": 10,
                "groups": 3,
                "members": 30,
            }
        )
        == []
    )


def test_each_impossible_count_is_named() -> None:
    found = _problems(
        {
            "flags": 3,
            "kinds": 4,
            "levels": 6,
            "users": 10,
            "profiles": 11,
            "groups": 3,
            "members": 31,
        }
    )
    text = "\n".join(found)
    assert "flags: on is unique and can take only 2" in text
    assert "kinds: kind is unique and can take only 3" in text
    assert "levels: level is unique and can take only 5" in text
    assert "profiles: user_id is unique and can take only 10" in text
    assert "members: (user_id, group_id) is unique and can take only 30" in text
    assert len(found) == 5


def test_a_required_parent_without_rows_is_named() -> None:
    assert "must reference groups" in _problems({"orphans": 5})[0]
    assert _problems({"orphans": 5}, existing={"groups": 1}) == []
