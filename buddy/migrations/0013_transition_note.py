from django.db import migrations, models

import core.fields

# The reasons the system itself wrote on coordinator moves; anything else a coordinator's
# move carries was typed by a person (the API's free "reason") and becomes the note.
_MACHINE_REASONS = {
    "accept", "activate", "deactivate", "pause", "resume", "decline", "end",
    "accepted", "participant accepted", "buddy accepted", "proposed", "admin action", "demo",
    "completed", "participant_request", "buddy_request", "mutual_agreement", "inactivity",
    "violation", "program_ended", "other",
}  # fmt: skip


def typed_reasons_to_notes(apps, schema_editor):
    MatchTransition = apps.get_model("buddy", "MatchTransition")
    typed = (
        MatchTransition.objects.filter(via="coordinator")
        .exclude(reason="")
        .exclude(reason__in=_MACHINE_REASONS)
    )
    for row in typed.only("pk", "reason").iterator(chunk_size=2000):
        MatchTransition.objects.filter(pk=row.pk).update(note=row.reason, reason="")


class Migration(migrations.Migration):
    dependencies = [
        ("buddy", "0012_user_language"),
    ]

    operations = [
        migrations.AddField(
            model_name="matchtransition",
            name="note",
            field=core.fields.PersonalTextField(
                blank=True,
                help_text="What the coordinator wrote with the change (personal data: masked "
                "for viewers, erased with the person).",
                max_length=2000,
            ),
        ),
        migrations.AlterField(
            model_name="matchtransition",
            name="reason",
            field=models.CharField(
                blank=True,
                help_text="What moved it, as a code the system writes (an action, an end "
                "reason, 'imported'); never what a person typed.",
                max_length=200,
            ),
        ),
        migrations.RunPython(typed_reasons_to_notes, migrations.RunPython.noop),
    ]
