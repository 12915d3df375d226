"""Integrations with other tools (Alembic)."""
