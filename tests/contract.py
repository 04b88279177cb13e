"""Where the tests find the Buddy System contract: the repository's own copy.

``docs/buddy-system/`` is a copy of the contract (WEBHOOKS.md, EXPORT.md, example events,
sample export) kept in the repository so a fresh clone tests on its own; nothing the
repository tracks reads outside it. ``tests/test_contract_copy.py`` compares the copy with
an upstream folder when ``BUDDY_UPSTREAM_CONTRACT`` names one.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONTRACT = ROOT / "docs" / "buddy-system"
EVENTS = CONTRACT / "events"
SAMPLE_DIR = CONTRACT / "export" / "sample"
SAMPLE_JSON = CONTRACT / "export" / "sample.json"
