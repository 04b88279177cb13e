from django.apps import AppConfig


class BuddyConfig(AppConfig):
    """People, companies, external ids, matches and every recorded activity."""

    name = "buddy"
    verbose_name = "Buddy program data"
