"""Match health reasons as codes with their parameters instead of English prose: the kept
rows' prose is turned into codes (every sentence ``enrollments.health`` wrote), then
``band_reason`` becomes JSON (0012, in its own transaction). A sentence not recognised stays as it is (shown verbatim)."""

import json
import re

from django.db import migrations, models

_N = r"(-?\d+)"
_X = r"([+-]?\d+(?:\.\d+)?)"
_W = r"(\w+)"
#: (pattern, code, parameter names and types), in ``derive``'s wording.
PROSE = [
    (rf"no contact for {_N} days", "no_contact", [("days", int)]),
    (rf"{_N} contacts in the last {_N} days", "contacts_recent", [("n", int), ("window", int)]),
    (rf"mood {_W} over the last {_N} check-ins", "mood_level", [("mood", str), ("n", int)]),
    ("no mood reported yet", "no_mood", []),
    (
        rf"mood fell from {_W} to {_W} over the last {_N} check-ins",
        "mood_fell",
        [("before", str), ("after", str), ("n", int)],
    ),
    (rf"mood from {_W} to {_W}", "mood_change", [("before", str), ("after", str)]),
    ("too few check-ins for a mood trend", "few_checkins", []),
    (rf"{_W} rated the match {_X}", "rated", [("role", str), ("value", float)]),
    ("no rating yet", "no_rating", []),
    (rf"{_W} rating fell by {_X}", "rating_fell", [("role", str), ("by", float)]),
    (rf"{_W} rating changed by {_X}", "rating_changed", [("role", str), ("change", float)]),
    ("too few ratings for a trend", "few_ratings", []),
    (
        rf"{_W} rated {_W} {_X}",
        "category_rated",
        [("role", str), ("category", str), ("value", float)],
    ),
    ("no category ratings yet", "no_category_ratings", []),
    (rf"{_N} milestones reached since the match started", "milestones", [("n", int)]),
    (rf"no feedback for {_N} days", "no_feedback_for", [("days", int)]),
    (rf"no feedback in {_N} days of the match", "no_feedback_in", [("days", int)]),
    ("all parts healthy", "all_healthy", []),
]


def as_code(reason):
    if not isinstance(reason, str):
        return reason
    if not reason:
        return {}
    for pattern, code, names in PROSE:
        found = re.fullmatch(pattern, reason)
        if found:
            values = found.groups()
            return {"code": code, **{n: t(v) for (n, t), v in zip(names, values, strict=True)}}
    return reason


def forwards(apps, schema_editor):
    MatchHealth = apps.get_model("enrollments", "MatchHealth")
    rows = []
    for row in MatchHealth.objects.all().iterator(chunk_size=2000):
        row.reasons = [as_code(r) for r in row.reasons]
        # as JSON text, which the column's change to JSON below reads as it is
        row.band_reason = json.dumps(as_code(row.band_reason))
        rows.append(row)
        if len(rows) == 2000:
            MatchHealth.objects.bulk_update(rows, ["reasons", "band_reason"])
            rows = []
    MatchHealth.objects.bulk_update(rows, ["reasons", "band_reason"])


class Migration(migrations.Migration):
    dependencies = [("enrollments", "0010_attention_entries")]

    operations = [
        migrations.AlterField(
            "matchhealth", "band_reason", models.CharField(blank=True, max_length=2000)
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True),
    ]
