"""Shared objects for the masking tests: one key, one vocabulary, the TERP tables."""

from __future__ import annotations

import pytest
from sqlalchemy import Table

from examples.terp.models import Base
from seedlib.mask.keys import MaskingKey
from seedlib.mask.maskers import Vocabulary
from seedlib.mask.session import MaskingSession

KEY = MaskingKey("unit-test-masking-key-0123456789")
VOCABULARY = Vocabulary()


@pytest.fixture
def session() -> MaskingSession:
    return MaskingSession(KEY, vocabulary=VOCABULARY)


@pytest.fixture
def clients() -> Table:
    return Base.metadata.tables["clients"]


@pytest.fixture
def suppliers() -> Table:
    return Base.metadata.tables["supplier_profiles"]
