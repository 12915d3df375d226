"""The masking key: the secret that makes masking keyed (irreversible without it) and stable.

The same key gives the same masked value for the same input in every table and every run, so
joins survive. Rotating the key changes every masked value (see docs/compliance.md). The key is
never logged, printed or put in an exception message; :class:`MaskingKey` hides it from ``repr``.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping

from seedlib import log
from seedlib.exceptions import ConfigurationError

KEY_VAR = "SEEDLIB_MASKING_KEY"
#: Environments that must bring their own key.
KEY_REQUIRED = frozenset({"staging", "production"})
MIN_KEY_LENGTH = 16
#: Public on purpose: development data masked with it is reversible by anyone with this source.
DEVELOPMENT_KEY = "seedlib-development-masking-key"


class MaskingKey:
    """A 32-byte key derived from the secret; ``repr`` and ``str`` never show it."""

    __slots__ = ("_bytes", "source")

    def __init__(self, secret: str | bytes, *, source: str = "explicit") -> None:
        raw = secret.encode() if isinstance(secret, str) else bytes(secret)
        if not raw:
            raise ConfigurationError(f"{KEY_VAR} is empty")
        self._bytes = hashlib.blake2b(raw, digest_size=32, person=b"seedlib-maskkey").digest()
        self.source = source

    @property
    def material(self) -> bytes:
        """The derived key bytes, for keyed hashing only."""
        return self._bytes

    @property
    def fingerprint(self) -> str:
        """A short one-way identifier of the key, so audits can tell keys apart (not reverse)."""
        return hashlib.blake2b(self._bytes, digest_size=4, person=b"seedlib-keyfp").hexdigest()

    def __repr__(self) -> str:
        return f"MaskingKey(<hidden>, source={self.source!r}, fingerprint={self.fingerprint})"

    __str__ = __repr__


def masking_key(env: str, environ: Mapping[str, str] | None = None) -> MaskingKey:
    """The key for a run in ``env``, from ``SEEDLIB_MASKING_KEY``.

    Staging (and production, when it masks) must set it, at least 16 characters long. In
    development and test a missing key falls back to a public default, and a warning says so.

    Raises:
        ConfigurationError: the key is missing or too short where it is required.
    """
    environ = os.environ if environ is None else environ
    secret = environ.get(KEY_VAR, "")
    if secret:
        if env in KEY_REQUIRED and len(secret) < MIN_KEY_LENGTH:
            raise ConfigurationError(
                f"{KEY_VAR} is too short for {env}: use at least {MIN_KEY_LENGTH} random "
                "characters (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)"
            )
        return MaskingKey(secret, source=KEY_VAR)
    if env in KEY_REQUIRED:
        raise ConfigurationError(
            f"masking in {env} needs a secret key: set {KEY_VAR} (at least {MIN_KEY_LENGTH} "
            "random characters, kept in your secret store)"
        )
    key = MaskingKey(DEVELOPMENT_KEY, source="development-default")
    log.get_logger().warning(
        "masking_default_key",
        env=env,
        fingerprint=key.fingerprint,
        note=f"{KEY_VAR} is not set: masking uses the public development key; "
        "masked values are reproducible by anyone. Set it for anything beyond local development.",
    )
    return key
