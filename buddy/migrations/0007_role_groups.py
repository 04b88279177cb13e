"""The role groups: coordinator, viewer, company.

Their permissions (``RoleGrant``'s custom ones, ``buddy.models.access.ROLE_PERMISSIONS``) are
given after every migrate by ``buddy.apps`` (post_migrate): permissions themselves are only
created then, and creating them (or their content type) here would give them other ids than
a flush recreates, which breaks tests that restore a serialized database.
"""

from django.db import migrations

ROLES = ("coordinator", "viewer", "company")


def create_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for role in ROLES:
        Group.objects.get_or_create(name=role)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("buddy", "0006_access"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
