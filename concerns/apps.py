from django.apps import AppConfig


class ConcernsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "concerns"
    verbose_name = "Concerns and disputes"

    def ready(self) -> None:
        # What the apps below need of the concerns (core.registry: they never import this app).
        from buddy.views.panels import MATCH_PANELS, PERSON_PANELS
        from concerns.attention import concerns_overdue_items
        from concerns.selectors import violation_pairs
        from concerns.services import concerns_suggest
        from concerns.views import match_cases_panel, person_cases_panel
        from enrollments.attention import ATTENTION_SOURCES
        from enrollments.services import AFTER_RECOMPUTE
        from matching.selectors import EXCLUDED_PAIRS

        ATTENTION_SOURCES.register("concerns.overdue", concerns_overdue_items)
        AFTER_RECOMPUTE.register("concerns.suggest", concerns_suggest)
        EXCLUDED_PAIRS.register("concerns.violations", violation_pairs)
        MATCH_PANELS.register("concerns.cases", match_cases_panel)
        PERSON_PANELS.register("concerns.cases", person_cases_panel)
