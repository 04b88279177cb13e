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
    """Give each role group (created by a migration) its permissions (``ROLE_PERMISSIONS``);
    idempotent. Runs after ``auth`` created the permissions of this app's models."""
    from django.contrib.auth.models import Group, Permission

    from buddy.models.access import ROLE_PERMISSIONS

    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.using(using).get_or_create(name=role)
        permissions = Permission.objects.using(using).filter(
            content_type__app_label="buddy", codename__in=codenames
        )
        group.permissions.add(*permissions)
