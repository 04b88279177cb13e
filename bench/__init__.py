"""Benchmarks (``bench/<name>/run.py``) and what they share with the tests (``exportgen``)."""
