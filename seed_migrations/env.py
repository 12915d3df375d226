"""The seeds environment: production guard, advisory lock, drift gate, then seed revisions.

Settings come from seedctl, or with plain alembic from ``-x env=... -x size=... -x seed=...``
and the environment variables documented in docs/configuration.md.
"""

from seedlib.integrations.alembic import run_env

run_env()
