"""A source seen through a masking policy, and the decision whether to mask at all.

Development, test and staging always mask: a PII column without a strategy stops the run
(:class:`~seedlib.exceptions.UnmaskedPII`, exit 7). Production is refused unless authorised
twice (``--allow-production`` and ``SEEDLIB_ALLOW_PRODUCTION=<database>``); when authorised, real
data loads as is and the returned :class:`MaskingSkipped` says so, by whom, for which revision.
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
import socket
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from seedlib import log
from seedlib.config import check_production
from seedlib.mask.keys import masking_key
from seedlib.mask.policy import Policy, resolve_policy
from seedlib.mask.session import MaskingSession

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy import Table

    from seedlib.config import Settings
    from seedlib.mask.sources import RowSource


_MISSING = object()


class MaskedSource:
    """A :class:`~seedlib.mask.sources.RowSource` whose PII columns come out masked.

    ``masked_counts`` counts, per column, the values actually replaced (NULLs and empty strings
    are not PII and pass through uncounted).
    """

    def __init__(
        self,
        source: RowSource,
        policy: Policy,
        session: MaskingSession,
        *,
        reserve: bool = True,
        batch_rows: int = 10_000,
    ) -> None:
        self.source = source
        self.policy = policy
        self.session = session
        self.columns = list(source.columns)
        self._reserve = reserve
        self._batch_rows = batch_rows
        self.masked_counts: dict[str, int] = {c: 0 for c in policy.rules if c in self.columns}
        #: Column → ordinal → the value before masking, for the columns :meth:`keep_originals`
        #: names (foreign keys to another source's keys, which are looked up unmasked).
        self.kept: dict[str, dict[int, Any]] = {}
        #: Column → value before masking → value after, for the columns :meth:`keep_outputs`
        #: names (unique columns other sources' foreign keys refer to).
        self.outputs: dict[str, dict[Any, Any]] = {}
        self._maskers: list[tuple[str, Callable[[Any], Any]]] = [
            (name, session.column_masker(rule, scope=f"{policy.table}.{name}"))
            for name, rule in policy.rules.items()
            if name in self.columns
        ]

    def count(self) -> int:
        return self.source.count()

    def reserve_originals(self) -> None:
        """Read the source once so no masked value can equal another row's original value.

        Runs by itself before the first batch; when a run masks several sources with one
        session, call it for all of them before reading any rows, so that no table's masked
        values can land on another table's originals either.
        """
        if not self._reserve:
            return
        self._reserve = False
        rules = [r for name, r in self.policy.rules.items() if name in self.columns]
        total = self.source.count()
        for start in range(0, total, self._batch_rows):
            batch = self.source.rows(start, min(total, start + self._batch_rows))
            for rule in rules:
                self.session.reserve(rule, (row.get(rule.column) for row in batch))

    def keep_originals(self, column: str) -> None:
        """Remember ``column``'s values before masking (in :attr:`kept`) as rows are read."""
        self.kept.setdefault(column, {})

    def keep_outputs(self, column: str) -> None:
        """Remember ``column``'s masked value of each value before masking (in
        :attr:`outputs`) as rows are read."""
        self.outputs.setdefault(column, {})

    def refer(self, column: str, parent: MaskedSource, parent_column: str) -> None:
        """Mask ``column``, a foreign key to ``parent``'s unique ``parent_column``, to the value
        the parent row with the same value (exactly, case and spacing included) was masked
        to, when the parent has one and it fits the column; else as the column would be.

        In a unique column, values that differ only in case (``Alice@Corp.com``,
        ``alice@corp.com``) get distinct outputs; masking the reference by its own identity
        would join it to whichever of them came first.
        """
        parent.keep_outputs(parent_column)
        outputs = parent.outputs[parent_column]
        length = self.policy.rules[column].length
        for i, (name, own) in enumerate(self._maskers):
            if name != column:
                continue

            def mask(value: Any, own: Callable[[Any], Any] = own) -> Any:
                out = outputs.get(value, _MISSING)
                if out is _MISSING or (length is not None and len(str(out)) > length):
                    return own(value)
                return out

            self._maskers[i] = (name, mask)

    def rows(self, start: int, stop: int) -> list[dict[str, Any]]:
        if self._reserve:
            self.reserve_originals()
        rows = self.source.rows(start, stop)
        for name, kept in self.kept.items():
            kept.update((start + i, row.get(name)) for i, row in enumerate(rows))
        counts = self.masked_counts
        for name, mask in self._maskers:
            done = 0
            outputs = self.outputs.get(name)
            for row in rows:
                value = row.get(name)
                if value is None or value == "":
                    continue
                row[name] = masked = mask(value)
                if outputs is not None:
                    outputs[value] = masked
                done += 1
            counts[name] += done
        return rows

    def audit(self) -> dict[str, dict[str, Any]]:
        """Per masked column: kind, strategy and number of values masked — never a value."""
        return {
            name: {
                "kind": self.policy.rules[name].kind,
                "strategy": self.policy.rules[name].strategy,
                "values": self.masked_counts[name],
            }
            for name in self.masked_counts
        }


@dataclass(frozen=True)
class MaskingSkipped:
    """Masking was skipped because production was authorised; log and store this record."""

    table: str
    revision: str | None
    database: str
    authorised_by: str
    host: str
    at: str
    pii_columns: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"event": "masking_skipped", "reason": "production authorised", **asdict(self)}


@dataclass
class Prepared:
    """What :func:`prepare_source` decided: the source to load and, if any, why it is unmasked."""

    source: RowSource
    masked: MaskedSource | None
    skipped: MaskingSkipped | None


def who() -> str:
    """The operating-system user running this process (for audits)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid:{os.getuid()}" if hasattr(os, "getuid") else "unknown"


def prepare_source(
    source: RowSource,
    table: Table,
    settings: Settings,
    *,
    overrides: Mapping[str, str] | None = None,
    session: MaskingSession | None = None,
    revision: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Prepared:
    """Mask ``source`` for ``table`` as ``settings.env`` requires.

    Outside production the policy is resolved strictly and every PII column is masked with one
    shared ``session`` (pass the same session for every table of a run, so joins survive). In
    production the run must be authorised; the source then loads unmasked and the returned
    record (also logged as ``masking_skipped``) says by whom and for which revision.

    Raises:
        Refused: production without authorisation (exit 5).
        UnmaskedPII: a PII column has no masking strategy (exit 7).
        ConfigurationError: staging without ``SEEDLIB_MASKING_KEY`` (exit 2).
    """
    policy = resolve_policy(table, overrides)
    if settings.env == "production":
        check_production(settings, environ)
        skipped = MaskingSkipped(
            table=table.name,
            revision=revision,
            database=settings.safe_url,
            authorised_by=who(),
            host=socket.gethostname(),
            at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            pii_columns=policy.columns,
        )
        log.get_logger().warning(**skipped.as_dict())
        return Prepared(source=source, masked=None, skipped=skipped)
    if session is None:
        session = MaskingSession(masking_key(settings.env, environ))
    masked = MaskedSource(source, policy, session)
    return Prepared(source=masked, masked=masked, skipped=None)
