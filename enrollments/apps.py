from django.apps import AppConfig


class EnrollmentsConfig(AppConfig):
    """Programs, enrollments, journey flags, the attention queue and impact figures."""

    name = "enrollments"
    verbose_name = "Programs and enrollments"

    def ready(self) -> None:
        from enrollments.attention import attention_refresh_step
        from enrollments.services import AFTER_RECOMPUTE

        # The kept attention items follow every recompute (the drain's people, nightly all).
        AFTER_RECOMPUTE.register("enrollments.attention_refresh", attention_refresh_step)
