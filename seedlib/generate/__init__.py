"""Deterministic value generation: per-cell hashes, value pools, column inference."""
