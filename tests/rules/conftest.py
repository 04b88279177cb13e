"""The import's fixtures (an export written from the contract's sample rows)."""

from tests.imports.conftest import export, sample_rows

__all__ = ["export", "sample_rows"]
