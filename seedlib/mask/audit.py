"""The masking audit: which fields of which tables were masked, how, and how many values.

The record never holds a value, masked or original, nor the key — only the key's one-way
fingerprint, so an auditor can tell whether two runs used the same key.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seedlib import log
from seedlib.mask.masked import MaskedSource, MaskingSkipped, who

if TYPE_CHECKING:
    from seedlib.config import Settings


def masking_record(
    masked: Iterable[MaskedSource],
    *,
    settings: Settings,
    revision: str | None = None,
    run_id: str | None = None,
    skipped: Iterable[MaskingSkipped] = (),
) -> dict[str, Any]:
    """One audit record for a run: per table and column the kind, strategy and count.

    Tables that loaded unmasked by production authorisation are listed under ``skipped``.
    """
    tables: dict[str, dict[str, Any]] = {}
    fingerprints: set[str] = set()
    for source in masked:
        columns = tables.setdefault(source.policy.table, {})
        for column, entry in source.audit().items():
            if column in columns:
                columns[column]["values"] += entry["values"]
            else:
                columns[column] = dict(entry)
        fingerprints.add(source.session.key_fingerprint)
    return {
        "action": "mask",
        "run_id": run_id,
        "revision": revision,
        "env": settings.env,
        "database": settings.safe_url,
        "os_user": who(),
        "host": socket.gethostname(),
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "key_fingerprints": sorted(fingerprints),
        "tables": tables,
        "skipped": [s.as_dict() for s in skipped],
    }


def emit(record: dict[str, Any], audit_file: str | Path | None = None) -> None:
    """Log ``record`` as ``pii_masked`` and append it, as one JSON line, to ``audit_file``."""
    log.get_logger().info("pii_masked", **{k: v for k, v in record.items() if k != "action"})
    if audit_file is not None:
        with Path(audit_file).open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, sort_keys=True, default=str) + "\n")
