"""Bundled example data (see SOURCE.md)."""
