"""Reads of the enrollments app used by views, the API and tasks."""

from datetime import timedelta

from django.db.models import Avg, Count
from django.http import Http404
from django.utils import timezone

from buddy.access import Access
from buddy.errors import FieldError, ValidationFailed
from enrollments.models import HealthBand, MatchHealth, MatchHealthWeek, Program, ProgramType


def program_by_type(program_type: str) -> Program:
    """The program of that type, or a validation error naming the parameter (checked against
    the known types first: a value such as NUL never reaches the database)."""
    known = program_type in ProgramType.values
    program = Program.objects.filter(program_type=program_type).first() if known else None
    if program is None:
        raise ValidationFailed(
            [FieldError("program", f"must be one of {', '.join(ProgramType.values)}")]
        )
    return program


def program_in_scope(program_type: str | None, access: Access) -> Program:
    """The program of that type if the login reads it (an unknown type is a validation
    error, a program out of scope 404); without a type, the first program it reads."""
    programs = access.programs().order_by("program_type")
    if not program_type:
        program = programs.filter(program_type=ProgramType.BUDDY).first() or programs.first()
        if program is None:
            raise Http404("No program.")
        return program
    program = program_by_type(program_type)
    if not access.sees_program(program.pk):
        raise Http404("No such program.")
    return program


# --- Match health (issue 21): program-level figures for the dashboard and impact page ---


def _band_counts(rows) -> dict:
    counts = dict.fromkeys(HealthBand.values, 0)
    total = 0
    for band, n in rows:
        counts[band] = counts.get(band, 0) + n
        total += n
    return {
        "matches": total,
        **{f"{band}_share": round(counts[band] / total, 4) if total else 0.0 for band in counts},
    }


def health_band_shares(*, program: Program, company_id: int | None = None) -> dict:
    """Share of the program's active matches in each band (now); ``company_id``: only
    matches whose buddy works there."""
    qs = MatchHealth.objects.filter(program=program)
    if company_id is not None:
        qs = qs.filter(match__buddy__company_id=company_id)
    rows = qs.values_list("band").annotate(n=Count("pk")).order_by()
    return {**_band_counts(rows), "mean_score": qs.aggregate(m=Avg("score"))["m"]}


def health_by_company(*, program: Program) -> list[dict]:
    """Band shares per company of the buddies (``company_id`` None: buddies without one)."""
    rows = (
        MatchHealth.objects.filter(program=program)
        .values_list("match__buddy__company_id", "band")
        .annotate(n=Count("pk"))
        .order_by()
    )
    grouped: dict = {}
    for company_id, band, n in rows:
        grouped.setdefault(company_id, []).append((band, n))
    return [
        {"company_id": company_id, **_band_counts(bands)}
        for company_id, bands in sorted(grouped.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))
    ]


def health_over_time(*, program: Program, weeks: int = 12, now=None) -> list[dict]:
    """Per week (Monday, oldest first) of the last ``weeks``: matches scored, band shares
    and the mean score, from the weekly history."""
    from enrollments.health import week_of

    since = week_of(now or timezone.now()) - timedelta(weeks=weeks - 1)
    qs = MatchHealthWeek.objects.filter(program=program, week__gte=since)
    bands = qs.values_list("week", "band").annotate(n=Count("pk")).order_by()
    means = dict(qs.values_list("week").annotate(m=Avg("score")).order_by())
    grouped: dict = {}
    for week, band, n in bands:
        grouped.setdefault(week, []).append((band, n))
    return [
        {"week": week, **_band_counts(grouped[week]), "mean_score": means.get(week)}
        for week in sorted(grouped)
    ]


def match_health(*, match_id: int) -> MatchHealth | None:
    """The current health of one match (None: not active or not computed yet)."""
    return MatchHealth.objects.filter(match_id=match_id).first()


def health_at_risk(*, program: Program) -> list[dict]:
    """The program's matches at risk, lowest score first (ids, numbers, reasons in words)."""
    return list(
        MatchHealth.objects.filter(program=program, band=HealthBand.AT_RISK)
        .order_by("score", "match_id")
        .values("match_id", "score", "band_reason", "band_since", "reasons", "parts")
    )


# --- Structured feedback analysis (issue 21) ------------------------------------------------


def feedback_analysis(
    *,
    program: Program,
    company_id: int | None = None,
    since=None,
    until=None,
    low: float | None = None,
    disagree: float = 0.5,
) -> dict:
    """Ratings and category ratings of the program's feedback (of one company's buddies,
    within a period): distribution (tenths), mean per month, the negative share with the
    seed's >30 % rule (``settings.ENROLLMENTS``), and the matches whose two sides' latest
    ratings differ by ``disagree`` or more."""
    from django.conf import settings
    from django.db.models.functions import TruncMonth

    from buddy.models import Feedback

    c = settings.ENROLLMENTS
    low = c["LOW_RATING"] if low is None else low
    qs = Feedback.objects.filter(match__program=program)
    if company_id is not None:
        qs = qs.filter(match__buddy__company_id=company_id)
    if since is not None:
        qs = qs.filter(submitted_at__gte=since)
    if until is not None:
        qs = qs.filter(submitted_at__lt=until)
    ratings = list(qs.values_list("rating", flat=True))
    distribution = [0] * 10
    for r in ratings:
        distribution[min(9, max(0, int(r * 10)))] += 1
    negative = sum(1 for r in ratings if r < low)
    share = negative / len(ratings) if ratings else 0.0
    by_month = [
        {"month": row["month"].date().isoformat(), "n": row["n"], **{k: row[k] for k in
         ("rating", "communication", "helpfulness", "engagement")}}
        for row in qs.annotate(month=TruncMonth("submitted_at")).values("month").annotate(
            n=Count("pk"), rating=Avg("rating"), communication=Avg("communication"),
            helpfulness=Avg("helpfulness"), engagement=Avg("engagement"),
        ).order_by("month")
    ]  # fmt: skip
    latest = {}
    for match_id, role, rating in qs.values_list("match_id", "from_role", "rating").order_by(
        "match_id", "from_role", "submitted_at", "pk"
    ):
        latest[(match_id, role)] = rating
    disagreements = sorted(
        (m, latest[(m, "participant")], latest[(m, "buddy")])
        for (m, role) in latest
        if role == "participant"
        and (m, "buddy") in latest
        and abs(latest[(m, "participant")] - latest[(m, "buddy")]) >= disagree
    )
    return {
        "feedback": len(ratings),
        "distribution": distribution,
        "negative": negative,
        "negative_share": round(share, 4),
        "negative_spike": share > c["NEGATIVE_SHARE"],
        "by_month": by_month,
        "disagreements": [
            {"match_id": m, "participant_rating": p, "buddy_rating": b} for m, p, b in disagreements
        ],
    }
