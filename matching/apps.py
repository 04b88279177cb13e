from django.apps import AppConfig


class MatchingConfig(AppConfig):
    """Match recommendations: criteria, explained scores, tunable weights, assignment runs."""

    name = "matching"
    verbose_name = "Matching"
