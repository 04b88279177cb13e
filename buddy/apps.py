from django.apps import AppConfig
from django.db.models.signals import post_migrate


class BuddyConfig(AppConfig):
    """People, companies, external ids, matches and every recorded activity."""

    name = "buddy"
    verbose_name = "Buddy program data"

    def ready(self) -> None:
        from buddy.api import schema  # noqa: F401 - registers the token scheme with the schema

        # After every migrate (and every test flush): the role groups get their permissions.
        post_migrate.connect(_role_permissions, sender=self, dispatch_uid="buddy.role_perms")


def _role_permissions(sender, using="default", **kwargs) -> None:
    """Give each role group the migration created its permissions (``ROLE_PERMISSIONS``);
    idempotent. Runs after ``auth`` created the permissions of this app's models. It creates
    no group: rows made here would collide with a test database's serialized copy after a
    flush; ``buddy.access.role_group`` makes a missing group, with its permissions."""
    from django.contrib.auth.models import Group

    from buddy.access import role_permissions_give
    from buddy.models.access import ROLE_PERMISSIONS

    for group in Group.objects.using(using).filter(name__in=list(ROLE_PERMISSIONS)):
        role_permissions_give(group, using=using)
