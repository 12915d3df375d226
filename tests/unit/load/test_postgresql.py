"""Which index definitions read as "a plain B-tree over one column, ascending"."""

from __future__ import annotations

import pytest

from seedlib.load.postgresql import _only_column


@pytest.mark.parametrize(
    ("definition", "column"),
    [
        ("CREATE UNIQUE INDEX t_code_key ON public.t USING btree (code)", "code"),
        ('CREATE INDEX ix ON public.t USING btree ("Mixed Case")', "Mixed Case"),
        ('CREATE INDEX ix ON public.t USING btree ("say ""hi""")', 'say "hi"'),
        ("CREATE INDEX ix ON public.t USING btree (code DESC)", None),
        ("CREATE INDEX ix ON public.t USING btree (code) INCLUDE (name)", None),
        ("CREATE INDEX ix ON public.t USING btree (code) WHERE (name IS NOT NULL)", None),
        ("CREATE INDEX ix ON public.t USING btree (code, name)", None),
        ("CREATE INDEX ix ON public.t USING btree (lower((code)::text))", None),
        ('CREATE INDEX ix ON public.t USING btree (code COLLATE "C")', None),
        ("CREATE INDEX ix ON public.t USING btree (code text_pattern_ops)", None),
        ("CREATE INDEX ix ON public.t USING hash (code)", None),
    ],
)
def test_only_plain_ascending_one_column_btrees_are_recognised(
    definition: str, column: str | None
) -> None:
    assert _only_column(definition) == column
