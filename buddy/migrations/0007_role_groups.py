"""The role groups (coordinator, viewer, company) with their permissions."""

from django.db import migrations

ROLE_PERMISSIONS = {
    "coordinator": ("read_program_data", "change_program_data"),
    "viewer": ("read_program_data",),
    "company": ("view_company_impact",),
}
NAMES = {
    "read_program_data": "Read the data of the programs granted",
    "change_program_data": "Change the data of the programs granted",
    "view_company_impact": "View the aggregated impact figures of the company granted",
}


def create_groups(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    content_type, _ = ContentType.objects.get_or_create(app_label="buddy", model="rolegrant")
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        for codename in codenames:
            permission, _ = Permission.objects.get_or_create(
                content_type=content_type, codename=codename, defaults={"name": NAMES[codename]}
            )
            group.permissions.add(permission)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("buddy", "0006_access"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
