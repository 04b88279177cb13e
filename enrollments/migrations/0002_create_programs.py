from django.db import migrations

from enrollments.program_templates import PROGRAM_TEMPLATES


def create_programs(apps, schema_editor):
    Program = apps.get_model("enrollments", "Program")
    for template in PROGRAM_TEMPLATES:
        Program.objects.update_or_create(
            program_type=template["program_type"],
            defaults={k: v for k, v in template.items() if k != "program_type"},
        )


class Migration(migrations.Migration):
    dependencies = [("enrollments", "0001_initial")]

    operations = [migrations.RunPython(create_programs, migrations.RunPython.noop)]
