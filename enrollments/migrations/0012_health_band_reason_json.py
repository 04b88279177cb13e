"""``MatchHealth.band_reason`` as JSON (a code and its parameters; 0011 wrote them as JSON
text)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("enrollments", "0011_health_reason_codes")]

    operations = [
        migrations.AlterField(
            model_name="matchhealth",
            name="band_reason",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AlterField(
            model_name="matchhealth",
            name="reasons",
            field=models.JSONField(
                default=list, help_text='Reasons as {"code": …, parameters}, worst first.'
            ),
        ),
    ]
