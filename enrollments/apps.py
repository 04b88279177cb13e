from django.apps import AppConfig


class EnrollmentsConfig(AppConfig):
    """Programs, enrollments, journey flags, the attention queue and impact figures."""

    name = "enrollments"
    verbose_name = "Programs and enrollments"

    def ready(self) -> None:
        # The matches list (buddy) shows each match's stored health (core.registry).
        from buddy.selectors import MATCH_LIST_COLUMNS

        MATCH_LIST_COLUMNS.register("enrollments.health", _with_health)

        from enrollments.attention import attention_refresh_step, dashboard_warm_step
        from enrollments.services import AFTER_RECOMPUTE

        # The kept attention items follow every recompute (the drain's people, nightly all),
        # then the dashboard's figures are cached for their new state (after the commit).
        AFTER_RECOMPUTE.register("enrollments.attention_refresh", attention_refresh_step)
        AFTER_RECOMPUTE.register("enrollments.dashboard_warm", dashboard_warm_step)

        # The match page's health section (buddy's registry: buddy never imports this app).
        from buddy.views.panels import MATCH_PANELS
        from enrollments.views_health import match_health_panel

        MATCH_PANELS.register("enrollments.health", match_health_panel)


def _with_health(queryset):
    """The match's stored health row (``match.health``) joined into the list's query."""
    return queryset.select_related("health")
