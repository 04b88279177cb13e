"""The Q2Q evidence: de-identified snippets of free text with their dimension scores.

Read by ``GET /api/q2q/evidence/`` and ``manage.py export_q2q``: check-in notes, feedback
text and skill-session comments of matches, each analysed (``enrollments.text_analysis``)
and de-identified (the match's participant and buddy by name → ``[participant]`` /
``[buddy]``, emails, phones, URLs) before it leaves the system.
"""

from collections.abc import Iterator
from datetime import datetime

from buddy.models import CheckIn, Feedback, SkillSession
from enrollments.text_analysis import default_analyser, person_names, snippet

#: (source name, model, text fields, date field)
SOURCES = (
    ("checkin", CheckIn, ("notes",), "checkin_date"),
    ("feedback", Feedback, ("feedback_text",), "submitted_at"),
    ("skill_session", SkillSession, ("teacher_comment", "learner_comment"), "completed_at"),
)


def q2q_evidence(
    *, program_ids=None, since: datetime | None = None, analyser=None
) -> Iterator[dict]:
    """One record per non-empty text of a match (of ``program_ids``; None: all), oldest
    first per source; ``since``: texts dated from then on."""
    analyser = analyser or default_analyser()
    for source, model, fields, date_field in SOURCES:
        qs = model.objects.filter(match__isnull=False).select_related(
            "match__participant", "match__buddy"
        )
        if program_ids is not None:
            qs = qs.filter(match__program_id__in=list(program_ids))
        if since is not None:
            qs = qs.filter(**{f"{date_field}__gte": since})
        for row in qs.order_by(date_field, "pk").iterator(chunk_size=2000):
            match = row.match
            names = {
                **person_names(match.buddy, "[buddy]"),
                **person_names(match.participant, "[participant]"),
            }
            for name in fields:
                text = getattr(row, name) or ""
                if not text.strip():
                    continue
                analysis = analyser.analyse(text)
                yield {
                    "source": source,
                    "field": name,
                    "id": row.pk,
                    "match_id": match.pk,
                    "program_id": match.program_id,
                    "date": getattr(row, date_field).isoformat(),
                    "analyser": analyser.name,
                    "language": analysis.language,
                    "status": "analysed" if analysis.analysed else "not analysed",
                    "scores": analysis.scores,
                    "snippet": snippet(text, names=names),
                }
