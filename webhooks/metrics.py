"""Prometheus counters of the webhook receiver, served at ``/metrics``.

Under gunicorn with several workers set ``PROMETHEUS_MULTIPROC_DIR`` (an empty,
writable directory) so that ``/metrics`` adds up every worker's figures.
"""

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client import multiprocess as _multiprocess
from prometheus_client.registry import REGISTRY

RECEIVED = Counter(
    "buddy_webhook_deliveries_received_total", "Webhook deliveries received (every request)."
)
REJECTED = Counter(
    "buddy_webhook_deliveries_rejected_total",
    "Deliveries refused before processing, by HTTP status.",
    ["status"],
)
PROCESSED = Counter(
    "buddy_webhook_events_processed_total", "Events processed successfully.", ["event_type"]
)
DUPLICATES = Counter(
    "buddy_webhook_duplicates_total", "Deliveries answered 202: event or delivery already done."
)
CONFLICTS = Counter(
    "buddy_webhook_conflicts_total", "Event ids received again with a different payload."
)
FAILURES = Counter(
    "buddy_webhook_failures_total", "Processing attempts that failed.", ["event_type", "reason"]
)
DEAD_LETTERS = Counter(
    "buddy_webhook_dead_letters_total", "Deliveries dead-lettered after their last attempt."
)
ENUM_DRIFT = Counter(
    "buddy_webhook_enum_drift_total", "Enum values stored as 'other' (enum drift)."
)
PROCESSING_SECONDS = Histogram(
    "buddy_webhook_processing_seconds",
    "Time to process one event (domain transaction), by event type.",
    ["event_type"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)


def render() -> tuple[bytes, str]:
    """The exposition text of this process, or of every worker in multi-process mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        _multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
