"""The state of the database an import writes, by natural keys (no surrogate ids, no times of
writing), so two imports can be compared."""

from buddy.models import (
    CheckIn,
    Company,
    Enrollment,
    EventAttendance,
    ExternalId,
    Feedback,
    InformalEvent,
    Match,
    MatchTransition,
    MilestoneAchievement,
    Person,
    SkillSession,
)

SKIP = {"id", "created_at", "updated_at"}


def _row(obj, refs: dict) -> dict:
    values = {}
    for field in obj._meta.concrete_fields:
        if field.name in SKIP:
            continue
        value = getattr(obj, field.attname)
        if field.is_relation and value is not None:
            value = refs.get((field.related_model.__name__, value), value)
        values[field.name] = value
    return values


def db_state() -> dict:
    people = {p.pk: p for p in Person.objects.all()}
    person_key = {}
    for link in ExternalId.objects.order_by("external_id"):
        person_key.setdefault(link.person_id, link.external_id)
    refs = {("Person", pk): f"person:{person_key.get(pk, pk)}" for pk in people}
    refs.update({("Company", c.pk): f"company:{c.name}" for c in Company.objects.all()})
    refs.update(
        {
            ("Match", pk): f"match:{ext}"
            for pk, ext in Match.objects.values_list("pk", "external_id")
        }
    )
    state = {
        "people": sorted(
            (person_key.get(pk, ""), sorted(_row(p, refs).items(), key=str))
            for pk, p in people.items()
        ),
        "external_ids": sorted(
            (e.external_id, refs[("Person", e.person_id)]) for e in ExternalId.objects.all()
        ),
        "enrollments": sorted(
            (refs[("Person", e.person_id)], e.status, e.completed_at)
            for e in Enrollment.objects.all()
        ),
        "transitions": sorted(
            (refs[("Match", t.match_id)], t.from_status, t.to_status, t.reason)
            for t in MatchTransition.objects.all()
        ),
    }
    for model in (
        Match,
        InformalEvent,
        EventAttendance,
        SkillSession,
        CheckIn,
        Feedback,
        MilestoneAchievement,
    ):
        state[model.__name__] = sorted(
            (sorted(_row(o, refs).items(), key=str) for o in model.objects.all()), key=str
        )
    return state


def row_counts() -> dict[str, int]:
    return {
        m.__name__: m.objects.count()
        for m in (
            Person,
            ExternalId,
            Match,
            MatchTransition,
            InformalEvent,
            EventAttendance,
            SkillSession,
            CheckIn,
            Feedback,
            MilestoneAchievement,
            Enrollment,
        )
    }


def last_update() -> dict[str, object]:
    """The latest ``updated_at`` of each table (a re-import that changes nothing keeps it)."""
    from django.db.models import Max

    return {
        m.__name__: m.objects.aggregate(at=Max("updated_at"))["at"]
        for m in (
            Person,
            Match,
            InformalEvent,
            EventAttendance,
            SkillSession,
            CheckIn,
            Feedback,
            MilestoneAchievement,
            Enrollment,
        )
    }


def wipe() -> None:
    """Delete everything an import writes (to compare two imports in one test)."""
    from buddy.models import Company, EnrollmentStatusChange, ImportedSection

    for model in (
        ImportedSection,
        MilestoneAchievement,
        Feedback,
        CheckIn,
        SkillSession,
        EventAttendance,
        InformalEvent,
        MatchTransition,
        Match,
        EnrollmentStatusChange,
        Enrollment,
        ExternalId,
        Person,
        Company,
    ):
        model.objects.all().delete()
