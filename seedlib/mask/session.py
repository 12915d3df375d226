"""A masking session: the key, keyed hashing, and the bookkeeping that keeps masking one-to-one.

One session masks everything of one run. Values are hashed with keyed BLAKE2b over
``(kind, attempt, normalised value)``; the normaliser makes ``Bob@X.com`` and ``bob@x.com`` (or
``(555) 123-4567`` and ``555.123.4567``) one identity, so joins on them survive masking.

A value's output depends on the key, the strategy and the value only — never on the table or
the column's length, unless the output does not fit the column (then the column gets a shorter
one of its own). Identifier kinds (email, phone, tax id, licence, card, IP) and every unique column
remember which input took which output: a masked value already taken by another input is
re-probed with the next attempt number, deterministically, so distinct inputs keep distinct
outputs. An output equal to its own input, or to an original reserved from any source of the run
in any column of the strategy, is re-probed too.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from seedlib.exceptions import DataError
from seedlib.mask.keys import MaskingKey
from seedlib.mask.maskers import (
    MASKERS,
    MaskContext,
    Masker,
    Vocabulary,
    fold,
    identifiers,
    strings,
)
from seedlib.mask.policy import IDENTIFIER_KINDS, QUASI_IDENTIFIERS, ColumnRule

#: Attempts before giving up on a distinct value (only reachable with a tiny output space).
MAX_ATTEMPTS = 64
_NON_DIGITS = re.compile(r"\D+")
_DIGIT_KINDS = frozenset({"phone", "tax_id", "card_number"})


#: Strategies whose output may equal the input (text without PII, a value already redacted);
#: their maskers ignore the hash.
_MAY_REPEAT = frozenset({"free_text", "redact", "null"})
_CASE_KINDS = frozenset({"email", "ip_address", "postal_code", "license_number"})


def normalise(kind: str, value: Any) -> str:
    """The identity of ``value`` as a ``kind``: what must map to one masked value."""
    return normaliser(kind)(value)


def normaliser(kind: str) -> Callable[[Any], str]:
    """:func:`normalise` for one ``kind``, chosen once (masking calls it twice per value)."""
    if kind in _DIGIT_KINDS:
        return _digits_identity
    if kind in _CASE_KINDS:
        return _case_identity
    return _words_identity


def _digits_identity(value: Any) -> str:
    text = fold(value if type(value) is str else _text(value))
    return _NON_DIGITS.sub("", text) or text.strip().casefold()


def _case_identity(value: Any) -> str:
    text = fold(value if type(value) is str else _text(value))
    return text.strip().casefold()


def _words_identity(value: Any) -> str:
    text = fold(value if type(value) is str else _text(value))
    return " ".join(text.split()).casefold()


def _text(value: Any) -> str:
    return str(value.isoformat()) if hasattr(value, "isoformat") else str(value)


@dataclass
class _Registry:
    """Which input took which output, for one strategy (or one unique column of a strategy that
    is not an identifier kind). Outputs cut to fit a short column share ``taken`` with whole
    ones, so no two inputs ever share an output."""

    #: (input identity, column length the output was cut for, or None) → attempt number.
    attempts: dict[tuple[str, int | None], int] = field(default_factory=dict)
    #: Normalised output → the identity of the input that took it.
    taken: dict[str, str] = field(default_factory=dict)


class MaskingSession:
    """Masks values for one run with one key; see the module docstring for the guarantees."""

    def __init__(self, key: MaskingKey, *, vocabulary: Vocabulary | None = None) -> None:
        self._key = key.material
        self.key_fingerprint = key.fingerprint
        self.vocabulary = vocabulary or Vocabulary()
        self._registries: dict[tuple[str, ...], _Registry] = {}
        #: Per strategy: normalised originals no output may take, whatever the column.
        self._reserved: dict[str, set[str]] = {}
        self._submaskers: dict[str, Callable[[Any], Any]] = {}

    def __repr__(self) -> str:
        return f"MaskingSession(key_fingerprint={self.key_fingerprint})"

    def digest(self, kind: str, normalised: str, attempt: int = 0) -> int:
        """128 bits of the keyed hash of ``normalised`` as a ``kind``."""
        data = f"{kind}\x1f{attempt}\x1f{normalised}".encode()
        return int.from_bytes(hashlib.blake2b(data, key=self._key, digest_size=16).digest(), "big")

    def column_masker(self, rule: ColumnRule, *, scope: str | None = None) -> Callable[[Any], Any]:
        """A function masking the values of the column ``rule`` describes.

        A value's output depends only on the key, the strategy and the value (its normalised
        identity) — not on the table, the column or its length — as long as it fits the column;
        a column too short for it gets a shorter output of its own. Values of identifier kinds
        share one registry per strategy across every table, so distinct inputs get distinct
        outputs everywhere. Other unique columns get a registry of their own (``scope`` names
        the column, e.g. ``"clients.business_name"``). In a unique column, values that differ
        only in case or spacing (one identity) still get distinct outputs, so no row is lost.
        """
        strategy = rule.strategy
        masker = MASKERS[strategy]
        if strategy in _MAY_REPEAT:
            # These maskers do not use the hash: free text masks what it embeds by those
            # values' own hashes, and a marker or NULL is the same for every value.
            ctx = MaskContext(self.vocabulary, rule.length, self._submask)

            def once(value: Any) -> Any:
                if value is None or value == "":
                    return value
                return masker(value, 0, ctx)

            return once
        registry = self._registry_for(rule, scope)
        probe = self._prober(strategy, masker, rule.length, registry)
        norm_of = normaliser(strategy)

        def mask(value: Any) -> Any:
            if value is None or value == "":
                return value
            if type(value) is str and not value.isascii():
                value = fold(value)  # full-width digits and en dashes mask as ASCII ones
            norm = norm_of(value)
            return probe(value, norm, norm)

        if not rule.unique:
            return mask
        #: Identity → the exact value that took the identity's own output in this column.
        first: dict[str, str] = {}

        def mask_unique(value: Any) -> Any:
            if value is None or value == "":
                return value
            exact = _text(value)
            if type(value) is str and not value.isascii():
                value = fold(value)
            norm = norm_of(value)
            owner = first.setdefault(norm, exact)
            return probe(value, norm, norm if owner == exact else f"{norm}\x1e{exact}")

        return mask_unique

    def reserve(self, rule: ColumnRule, values: Iterable[Any]) -> None:
        """Declare original values of ``rule``'s column that no masked value may equal.

        Masking already never maps a value to itself; reserving the sources first also keeps
        a masked value from landing, by chance, on another row's original value, in any
        column of the same strategy (so ``seedctl pii verify`` finds nothing). Reserve every
        source of a run before masking any of them. Free text reserves the identifiers it
        embeds (emails, phone numbers, SSNs, card numbers). Quasi-identifiers (city, first/last
        name, postal code, date of birth) are not reserved: equal values there are common and
        prove nothing.
        """
        strategy = rule.strategy
        if strategy == "free_text":
            for value in values:
                if value is None or value == "":
                    continue
                for text in strings(value):
                    for kind, found in identifiers(text):
                        self._reserved_for(kind).add(normalise(kind, found))
            return
        if strategy in _MAY_REPEAT or strategy in QUASI_IDENTIFIERS:
            return
        norm_of = normaliser(strategy)
        self._reserved_for(strategy).update(norm_of(v) for v in values if v is not None and v != "")

    def _reserved_for(self, strategy: str) -> set[str]:
        reserved = self._reserved.get(strategy)
        if reserved is None:
            reserved = self._reserved[strategy] = set()
        return reserved

    def _registry_for(self, rule: ColumnRule, scope: str | None) -> _Registry | None:
        if rule.strategy in IDENTIFIER_KINDS:
            return self._registry(rule.strategy)
        if rule.unique:
            return self._registry(rule.strategy, scope or rule.column)
        return None

    def mask(self, strategy: str, value: Any, *, length: int | None = None) -> Any:
        """Mask one value as a column of ``strategy`` (no length limit unless given) would."""
        rule = ColumnRule(column="", kind=strategy, strategy=strategy, length=length)
        return self.column_masker(rule)(value)

    def _submask(self, strategy: str, value: Any) -> Any:
        masker = self._submaskers.get(strategy)
        if masker is None:
            rule = ColumnRule(column="", kind=strategy, strategy=strategy)
            # Names and addresses recur in notes: remember the latest ones (masking is a pure
            # function of the value once a registry has placed it).
            masker = lru_cache(maxsize=1 << 16)(self.column_masker(rule))
            self._submaskers[strategy] = masker
        return masker(value)

    def _registry(self, *scope: str) -> _Registry:
        registry = self._registries.get(scope)
        if registry is None:
            registry = self._registries[scope] = _Registry()
        return registry

    def _prober(
        self, strategy: str, masker: Masker, length: int | None, registry: _Registry | None
    ) -> Callable[[Any, str, str], Any]:
        """``(value, norm, identity) -> output``: the first attempt whose output is not the
        value itself, not a reserved original and not another input's output; first without
        a length limit, and only if that output does not fit, cut for ``length``."""
        digest = self.digest
        norm_of = normaliser(strategy)
        reserved = self._reserved_for(strategy)
        free = MaskContext(self.vocabulary, None, self._submask)
        bounded = MaskContext(self.vocabulary, length, self._submask)
        attempts = registry.attempts if registry is not None else {}
        taken = registry.taken if registry is not None else None

        def search(value: Any, norm: str, ident: str, ctx: MaskContext, bound: int | None) -> Any:
            known = attempts.get((ident, bound))
            if known is not None:
                return masker(value, digest(strategy, ident, known), ctx)
            for attempt in range(MAX_ATTEMPTS):
                out = masker(value, digest(strategy, ident, attempt), ctx)
                if out is None:
                    return out
                key = norm_of(out)
                if key == norm or key in reserved:
                    continue
                if taken is not None:
                    if taken.setdefault(key, ident) != ident:
                        continue
                    attempts[ident, bound] = attempt
                return out
            if taken is None:
                raise DataError(f"cannot mask a {strategy} value without reproducing it")
            raise DataError(
                f"cannot find a distinct masked {strategy} value after {MAX_ATTEMPTS} attempts; "
                "the column is too short for this many distinct values"
            )

        def probe(value: Any, norm: str, ident: str) -> Any:
            out = search(value, norm, ident, free, None)
            if length is None or out is None or len(_text(out)) <= length:
                return out
            return search(value, norm, ident, bounded, length)

        return probe
