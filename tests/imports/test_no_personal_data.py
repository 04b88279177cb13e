"""No email, name or free text of the export in any report line, log line or error."""

import logging

from buddy.models import ImportRun
from webhooks.imports.services import import_run_create, import_run_execute


def _personal_values(rows) -> set[str]:
    values = set()
    for user in rows["users"]:
        values |= {user["email"].strip(), user["first_name"], user["last_name"]}
    for entity, fields in {
        "events": ["description"],
        "checkins": ["notes"],
        "feedback": ["feedback_text"],
    }.items():
        values |= {r[f] for r in rows[entity] for f in fields if r.get(f)}
    for session in rows["skill_sessions"]:
        for comment in ("teacher_comment", "learner_comment"):
            if (session.get("feedback") or {}).get(comment):
                values.add(session["feedback"][comment])
    return values


def test_report_logs_and_run_hold_no_personal_data(export, sample_rows, program, caplog):
    sample_rows["users"].append(
        dict(sample_rows["users"][0], id="5f0c2a8e-1d4b-4c1e-9a53-0b6f1c9d2e77")
    )
    sample_rows["users"][1]["email"] = "Olena Kovalenko <not-an-email>"
    sample_rows["checkins"][0]["mood"] = "Olena is sad"
    sample_rows["matches"][1]["end_reason"] = "Olena moved away"
    sample_rows["feedback"][0]["rating"] = "sehr gut"
    secrets = _personal_values(sample_rows) | {"Olena", "Kovalenko"}
    run = import_run_create(program=program, path=export(sample_rows))

    with caplog.at_level(logging.DEBUG):
        report = import_run_execute(run=run)

    run = ImportRun.objects.get(pk=run.pk)
    texts = [report.render(), caplog.text, str(run.__dict__)]
    assert report.rejections.as_list() and report.merges.as_list()
    for text in texts:
        for secret in secrets:
            assert secret not in text, secret
