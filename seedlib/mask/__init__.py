"""PII masking: policies, deterministic keyed maskers, row sources, scan and verify.

Typical use in a seed revision (development and staging mask, authorised production does not)::

    source = open_source("examples/terp/data/clients.csv", clients)
    prepared = prepare_source(source, clients, settings, session=session)
"""

from __future__ import annotations

from seedlib.mask.audit import emit, masking_record
from seedlib.mask.keys import KEY_VAR, MaskingKey, masking_key
from seedlib.mask.masked import MaskedSource, MaskingSkipped, Prepared, prepare_source
from seedlib.mask.maskers import MASKERS, MaskContext, Masker
from seedlib.mask.policy import ColumnRule, PiiKind, Policy, resolve_policy
from seedlib.mask.scan import Suggestion, scan
from seedlib.mask.session import MaskingSession, normalise
from seedlib.mask.sources import (
    CsvSource,
    DatabaseSource,
    JsonLinesSource,
    RowSource,
    SourceError,
    open_source,
)
from seedlib.mask.verify import Finding, VerifyReport, verify

__all__ = [
    "KEY_VAR",
    "MASKERS",
    "ColumnRule",
    "CsvSource",
    "DatabaseSource",
    "Finding",
    "JsonLinesSource",
    "MaskContext",
    "MaskedSource",
    "Masker",
    "MaskingKey",
    "MaskingSession",
    "MaskingSkipped",
    "PiiKind",
    "Policy",
    "Prepared",
    "RowSource",
    "SourceError",
    "Suggestion",
    "VerifyReport",
    "emit",
    "masking_key",
    "masking_record",
    "normalise",
    "open_source",
    "prepare_source",
    "resolve_policy",
    "scan",
    "verify",
]
