"""A masking session: the key, keyed hashing, and the bookkeeping that keeps masking one-to-one.

One session masks everything of one run. Values are hashed with keyed BLAKE2b over
``(kind, attempt, normalised value)``; the normaliser makes ``Bob@X.com`` and ``bob@x.com`` (or
``(555) 123-4567`` and ``555.123.4567``) one identity, so joins on them survive masking.

Identifier kinds (email, phone, tax id, licence, card, IP) and every unique column remember which
input took which output: a masked value already taken by another input is re-probed with the next
attempt number, deterministically, so distinct inputs keep distinct outputs. An output equal to
its own input is re-probed too, so no value masks to itself.
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
from seedlib.mask.maskers import MASKERS, MaskContext, Masker, Vocabulary
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
    text = value if type(value) is str else _text(value)
    return _NON_DIGITS.sub("", text) or text.strip().casefold()


def _case_identity(value: Any) -> str:
    text = value if type(value) is str else _text(value)
    return text.strip().casefold()


def _words_identity(value: Any) -> str:
    text = value if type(value) is str else _text(value)
    return " ".join(text.split()).casefold()


def _text(value: Any) -> str:
    return str(value.isoformat()) if hasattr(value, "isoformat") else str(value)


@dataclass
class _Registry:
    """Which input took which output, within one (kind, length) scope."""

    attempts: dict[str, int] = field(default_factory=dict)
    taken: dict[str, str] = field(default_factory=dict)
    #: Normalised originals no output may take (see :meth:`MaskingSession.reserve`).
    reserved: set[str] = field(default_factory=set)


class MaskingSession:
    """Masks values for one run with one key; see the module docstring for the guarantees."""

    def __init__(self, key: MaskingKey, *, vocabulary: Vocabulary | None = None) -> None:
        self._key = key.material
        self.key_fingerprint = key.fingerprint
        self.vocabulary = vocabulary or Vocabulary()
        self._registries: dict[tuple[str, ...], _Registry] = {}
        self._reserved: dict[tuple[str, str], set[str]] = {}
        self._submaskers: dict[str, Callable[[Any], Any]] = {}

    def __repr__(self) -> str:
        return f"MaskingSession(key_fingerprint={self.key_fingerprint})"

    def digest(self, kind: str, normalised: str, attempt: int = 0) -> int:
        """128 bits of the keyed hash of ``normalised`` as a ``kind``."""
        data = f"{kind}\x1f{attempt}\x1f{normalised}".encode()
        return int.from_bytes(hashlib.blake2b(data, key=self._key, digest_size=16).digest(), "big")

    def column_masker(self, rule: ColumnRule, *, scope: str | None = None) -> Callable[[Any], Any]:
        """A function masking the values of the column ``rule`` describes.

        Values of identifier kinds share one registry per (strategy, length) across every
        table, so the same input gets the same output everywhere and distinct inputs distinct
        outputs. Other unique columns get a registry of their own (``scope`` names the column,
        e.g. ``"clients.business_name"``).
        """
        strategy = rule.strategy
        masker = MASKERS[strategy]
        ctx = MaskContext(self.vocabulary, rule.length, self._submask)
        registry = self._registry_for(rule, scope)
        return self._bind(strategy, masker, ctx, registry, self._reserved_for(rule))

    def reserve(self, rule: ColumnRule, values: Iterable[Any], *, scope: str | None = None) -> None:
        """Declare original values of ``rule``'s column that no masked value may equal.

        Masking already never maps a value to itself; reserving the sources first also keeps
        a masked value from landing, by chance, on another row's original value (so
        ``seedctl pii verify`` finds nothing). Reserve every source of a run before masking any
        of them. Quasi-identifiers (city, first/last name, postal code, date of birth) are not
        reserved: equal values there are common and prove nothing.
        """
        strategy = rule.strategy
        if strategy in _MAY_REPEAT or strategy in QUASI_IDENTIFIERS:
            return
        registry = self._registry_for(rule, scope)
        target = registry.reserved if registry is not None else self._reserved_for(rule)
        target.update(normalise(strategy, v) for v in values if v is not None and v != "")

    def _reserved_for(self, rule: ColumnRule) -> set[str]:
        key = (rule.strategy, str(rule.length))
        reserved = self._reserved.get(key)
        if reserved is None:
            reserved = self._reserved[key] = set()
        return reserved

    def _registry_for(self, rule: ColumnRule, scope: str | None) -> _Registry | None:
        if rule.strategy in IDENTIFIER_KINDS:
            return self._registry(rule.strategy, str(rule.length))
        if rule.unique:
            return self._registry(rule.strategy, str(rule.length), scope or rule.column)
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

    def _bind(
        self,
        strategy: str,
        masker: Masker,
        ctx: MaskContext,
        registry: _Registry | None,
        avoid: set[str],
    ) -> Callable[[Any], Any]:
        digest = self.digest
        norm_of = normaliser(strategy)

        if strategy in _MAY_REPEAT:
            # These maskers do not use the hash: free text masks what it embeds by those
            # values' own hashes, and a marker or NULL is the same for every value.

            def once(value: Any) -> Any:
                if value is None or value == "":
                    return value
                return masker(value, 0, ctx)

            return once

        def plain(value: Any) -> Any:
            if value is None or value == "":
                return value
            norm = norm_of(value)
            for attempt in range(MAX_ATTEMPTS):
                out = masker(value, digest(strategy, norm, attempt), ctx)
                if out is None:
                    return out
                key = norm_of(out)
                if key != norm and key not in avoid:
                    return out
            raise DataError(f"cannot mask a {strategy} value without reproducing it")

        if registry is None:
            return plain
        attempts, taken, reserved = registry.attempts, registry.taken, registry.reserved

        def tracked(value: Any) -> Any:
            if value is None or value == "":
                return value
            norm = norm_of(value)
            known = attempts.get(norm)
            if known is not None:
                return masker(value, digest(strategy, norm, known), ctx)
            for attempt in range(MAX_ATTEMPTS):
                out = masker(value, digest(strategy, norm, attempt), ctx)
                if out is None:
                    return out
                key = norm_of(out)
                if key != norm and taken.get(key, norm) == norm and key not in reserved:
                    taken[key] = norm
                    attempts[norm] = attempt
                    return out
            raise DataError(
                f"cannot find a distinct masked {strategy} value after {MAX_ATTEMPTS} attempts; "
                "the column is too short for this many distinct values"
            )

        return tracked
