"""Seeding plans: dependency order from foreign keys, cycle breaking, row counts."""
