from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    """Personal data rights: subject access export, erasure, retention, the access log."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "privacy"
    verbose_name = "Personal data"
