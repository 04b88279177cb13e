"""The activities' key indexes that a composite index of the same table starts with
(issue 23: each was written for every activity and read by nobody; the composite serves the
key's look-ups and the cascades).

Only the indexes are dropped: AlterField(db_index=False) would also drop and re-add each
foreign key constraint, which re-checks every row of the table under a lock.
"""

import django.db.models.deletion
from django.db import migrations, models

KEYS = [
    ("checkin", "match"),
    ("eventattendance", "match"),
    ("eventattendance", "person"),
    ("feedback", "match"),
    ("informalevent", "match"),
    ("milestoneachievement", "person"),
    ("skillsession", "learner"),
    ("skillsession", "match"),
    ("skillsession", "teacher"),
]


def _key_indexes(apps, schema_editor):
    for model_name, field_name in KEYS:
        model = apps.get_model("buddy", model_name)
        field = model._meta.get_field(field_name)
        exclude = {index.name for index in model._meta.indexes}
        names = schema_editor._constraint_names(
            model, [field.column], index=True, type_=models.Index.suffix, exclude=exclude
        )
        yield model, field, names


def drop_key_indexes(apps, schema_editor):
    for model, _field, names in _key_indexes(apps, schema_editor):
        for name in names:
            schema_editor.execute(schema_editor._delete_index_sql(model, name))


def create_key_indexes(apps, schema_editor):
    for model, field, names in _key_indexes(apps, schema_editor):
        if not names:
            schema_editor.execute(schema_editor._create_index_sql(model, fields=[field]))


class Migration(migrations.Migration):
    dependencies = [
        ("buddy", "0015_enrollment_key_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(drop_key_indexes, create_key_indexes)],
            state_operations=[
                migrations.AlterField(
                    model_name="checkin",
                    name="match",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="checkins",
                        to="buddy.match",
                    ),
                ),
                migrations.AlterField(
                    model_name="eventattendance",
                    name="match",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="attendances",
                        to="buddy.match",
                    ),
                ),
                migrations.AlterField(
                    model_name="eventattendance",
                    name="person",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="attendances",
                        to="buddy.person",
                    ),
                ),
                migrations.AlterField(
                    model_name="feedback",
                    name="match",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="feedback",
                        to="buddy.match",
                    ),
                ),
                migrations.AlterField(
                    model_name="informalevent",
                    name="match",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="events",
                        to="buddy.match",
                    ),
                ),
                migrations.AlterField(
                    model_name="milestoneachievement",
                    name="person",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="milestones",
                        to="buddy.person",
                    ),
                ),
                migrations.AlterField(
                    model_name="skillsession",
                    name="learner",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="sessions_learned",
                        to="buddy.person",
                    ),
                ),
                migrations.AlterField(
                    model_name="skillsession",
                    name="match",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="skill_sessions",
                        to="buddy.match",
                    ),
                ),
                migrations.AlterField(
                    model_name="skillsession",
                    name="teacher",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="sessions_taught",
                        to="buddy.person",
                    ),
                ),
            ],
        ),
    ]
