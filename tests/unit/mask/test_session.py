"""MaskingSession: one output per input whatever the column, originals reserved run-wide,
distinct outputs in unique columns."""

from __future__ import annotations

from seedlib.mask.policy import ColumnRule
from seedlib.mask.session import MaskingSession, normalise
from tests.unit.mask.conftest import KEY, VOCABULARY


def fresh() -> MaskingSession:
    return MaskingSession(KEY, vocabulary=VOCABULARY)


def email_rule(column: str, length: int | None, *, unique: bool = False) -> ColumnRule:
    return ColumnRule(column, "email", "email", length=length, unique=unique)


def test_the_output_does_not_depend_on_the_column_length_where_it_fits() -> None:
    session = fresh()
    wide = session.column_masker(email_rule("email", 255, unique=True), scope="people.email")
    narrow = session.column_masker(email_rule("buyer", 60), scope="orders.buyer")
    inputs = [f"person{i}@corp{i % 7}.com" for i in range(2000)]
    assert [narrow(v) for v in reversed(inputs)][::-1] == [wide(v) for v in inputs]
    # A column too short for the whole output gets a shorter one of its own, still distinct.
    short = session.column_masker(email_rule("e", 16))
    cut = [short(v) for v in inputs[:300]]
    assert all(len(c) <= 16 for c in cut)
    assert len({normalise("email", c) for c in cut}) == len(cut)
    assert not {normalise("email", c) for c in cut} & {normalise("email", wide(v)) for v in inputs}


def test_an_original_of_any_column_is_never_an_output() -> None:
    first = fresh().mask("email", "dave@corp.com")
    session = fresh()
    # Another row's original, in a column of another length, is the value dave's email would
    # take first: dave's email must take another one, in every column and inside free text.
    session.reserve(email_rule("email", 255, unique=True), ["dave@corp.com", first])
    session.reserve(email_rule("buyer", 60), ["dave@corp.com"])
    people = session.column_masker(email_rule("email", 255, unique=True), scope="people.email")
    orders = session.column_masker(email_rule("buyer", 60), scope="orders.buyer")
    note = session.column_masker(ColumnRule("note", "free_text", "free_text"))
    masked = people("dave@corp.com")
    assert masked != first
    assert orders("dave@corp.com") == masked
    assert session.mask("email", "dave@corp.com") == masked
    assert note("forwarded from dave@corp.com") == f"forwarded from {masked}"


def test_free_text_originals_are_reserved_for_their_kind() -> None:
    first = fresh().mask("email", "dave@corp.com")
    session = fresh()
    session.reserve(ColumnRule("note", "free_text", "free_text"), [f"cc {first} please"])
    assert session.mask("email", "dave@corp.com") != first


def test_the_same_input_maps_alike_whatever_else_a_revision_masks() -> None:
    alone = fresh()
    alone.reserve(email_rule("email", 255), ["x@corp.com"])
    busy = fresh()
    others = [f"someone{i}@firm.org" for i in range(5000)]
    busy.reserve(email_rule("email", 120), [*others, "x@corp.com"])
    busy_mask = busy.column_masker(email_rule("email", 120, unique=True), scope="a.email")
    for value in others:
        busy_mask(value)
    assert busy_mask("x@corp.com") == alone.mask("email", "x@corp.com", length=255)


def test_case_variants_in_a_unique_column_keep_distinct_outputs() -> None:
    session = fresh()
    unique = session.column_masker(email_rule("email", 255, unique=True), scope="people.email")
    plain = session.column_masker(email_rule("cc", 255), scope="notes.cc")
    a, b, c = unique("Alice@Corp.com"), unique("alice@corp.com "), unique("Alice@Corp.com")
    assert a == c
    assert normalise("email", a) != normalise("email", b)
    # Elsewhere the variants are one identity (so joins on them survive), the first one's.
    assert plain("ALICE@corp.com") == a
    names = session.column_masker(
        ColumnRule("name", "company_name", "company_name", length=200, unique=True),
        scope="clients.business_name",
    )
    assert names("Acme  Corp") != names("acme corp")
