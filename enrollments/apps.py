from django.apps import AppConfig


class EnrollmentsConfig(AppConfig):
    """Programs, enrollments, journey flags, the attention queue and impact figures."""

    name = "enrollments"
    verbose_name = "Programs and enrollments"

    def ready(self) -> None:
        # The match page's health section (buddy's registry: buddy never imports this app).
        from buddy.views.panels import MATCH_PANELS
        from enrollments.views_health import match_health_panel

        MATCH_PANELS.register("enrollments.health", match_health_panel)
