from django.apps import AppConfig


class EnrollmentsConfig(AppConfig):
    """Programs, enrollments, journey flags, the attention queue and impact figures."""

    name = "enrollments"
    verbose_name = "Programs and enrollments"
