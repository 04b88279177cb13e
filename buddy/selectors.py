"""Reads of the buddy app used by the UI and the API, and the scoping of every row family.

``scope_*(queryset, access)`` is the one place that decides which rows a login sees
(``buddy.access``): every list, detail, filter, search and export behind the API and the
pages goes through one of them. Superusers see everything; coordinators and viewers the rows
of their programs; company users and logins without a role no row at all.
"""

import functools
from collections.abc import Callable, Iterable

from django.db import connection
from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.http import Http404
from django.utils import timezone

from buddy.access import Access
from buddy.models import (
    ApiToken,
    Company,
    Enrollment,
    EnrollmentStatus,
    ExternalId,
    Match,
    MatchStatus,
    Person,
    Program,
    ProgramType,
    Role,
)
from core.db import Seam, column, table
from core.errors import FieldError, ValidationFailed
from core.registry import Registry

# --- Scoping --------------------------------------------------------------------------------


def _program_ids(access: Access) -> frozenset[int] | None:
    """None: every program (superuser); else the programs read (empty: none)."""
    if access.is_superuser:
        return None
    return access.program_ids if access.reads_programs else frozenset()


def scope_programs(programs: QuerySet[Program], access: Access) -> QuerySet[Program]:
    ids = _program_ids(access)
    return programs if ids is None else programs.filter(pk__in=ids)


def enrolled_in_scope(access: Access, person_ref: str = "pk") -> Q:
    """A condition on a row naming a person (``person_ref``, from the row): that person is
    enrolled in a program the login reads. Always true for superusers."""
    ids = _program_ids(access)
    if ids is None:
        return Q()
    if not ids:
        return Q(pk__in=[])
    return Q(_enrolled_in(frozenset(ids), person_ref))


@functools.lru_cache(maxsize=256)
def _enrolled_in(program_ids: frozenset[int], person_ref: str) -> Exists:
    """``EXISTS`` an enrollment of the row's person in one of the programs, built once per
    programs and reference (its inner statement's conditions built anew for every page of
    people: ~5 % of the page's CPU); a query using it resolves a copy of it, as Django does
    for every expression (``Subquery.copy`` clones its query), so each use is its own."""
    ordered = sorted(program_ids)
    return Exists(Enrollment.objects.filter(person_id=OuterRef(person_ref), program_id__in=ordered))


def scope_people(people: QuerySet[Person], access: Access) -> QuerySet[Person]:
    """People enrolled in a program the login reads."""
    return people.filter(enrolled_in_scope(access))


def external_ids_by_person(person_ids: Iterable[int]) -> dict[int, dict[str, list[str]]]:
    """Each person's ids in other systems, by provider (providers and ids in order): one
    statement for a page of people; a person without any is absent."""
    ids = [int(pk) for pk in dict.fromkeys(person_ids)]
    found: dict[int, dict[str, list[str]]] = {}
    if not ids:
        return found
    for person_id, provider, external_id in _external_ids.impl.rows(ids):
        found.setdefault(person_id, {}).setdefault(provider, []).append(external_id)
    return found


class _GenericExternalIds:
    def rows(self, person_ids: list[int]):
        return (
            ExternalId.objects.filter(person_id__in=person_ids)
            .order_by("provider", "external_id")
            .values_list("person_id", "provider", "external_id")
        )


class _PostgresExternalIds:
    """The ids as one array (``= ANY``): one statement text whatever the page's size, so
    psycopg converts it once and prepares it, and no ORM query is compiled (the ORM's
    prefetch built 50 model instances, a queryset and a 51-parameter statement that psycopg
    converted anew each time: ~1.5 ms of a page of people; bench/README.md, API)."""

    def rows(self, person_ids: list[int]):
        with connection.cursor() as cursor:
            cursor.execute(_external_ids_sql(), [person_ids])
            return cursor.fetchall()


@functools.cache
def _external_ids_sql() -> str:
    x = functools.partial(column, ExternalId)
    key = ExternalId._meta.get_field("person").db_type(connection)
    return (
        f"SELECT x.{x('person')}, x.{x('provider')}, x.{x('external_id')}"  # noqa: S608 - model metadata
        f" FROM {table(ExternalId)} x WHERE x.{x('person')} = ANY(%s::{key}[])"
        f" ORDER BY x.{x('provider')}, x.{x('external_id')}"
    )


_external_ids: "Seam[_GenericExternalIds | _PostgresExternalIds]" = Seam(
    "buddy.external_ids_by_person",
    generic=_GenericExternalIds(),
    postgresql=_PostgresExternalIds(),
)


def scope_companies(companies: QuerySet[Company], access: Access) -> QuerySet[Company]:
    """Companies of the people in scope; a company user's own company."""
    if access.role == "company":
        return companies.filter(pk=access.company_id)
    ids = _program_ids(access)
    if ids is None:
        return companies
    people = Person.objects.filter(company_id=OuterRef("pk")).filter(enrolled_in_scope(access))
    return companies.filter(Exists(people))


def scope_matches(matches: QuerySet[Match], access: Access, *, via: str = "") -> QuerySet:
    """Matches of the programs the login reads; ``via``: the path from the queryset's rows
    to the match (``"match__"`` for check-ins, feedback, informal events)."""
    ids = _program_ids(access)
    if ids is None:
        return matches
    return matches.filter(**{f"{via}program_id__in": ids})


def scope_person_rows(rows: QuerySet, access: Access, *, person_fields: tuple[str, ...]):
    """Rows naming people (attendances, milestones, skill sessions): those of which any of
    ``person_fields`` names a person in scope."""
    if _program_ids(access) is None:
        return rows
    condition = Q(pk__in=[])
    for name in person_fields:
        condition |= enrolled_in_scope(access, f"{name}_id")
    return rows.filter(condition)


def scope_import_runs(runs: QuerySet, access: Access) -> QuerySet:
    ids = _program_ids(access)
    return runs if ids is None else runs.filter(program_id__in=ids)


# --- Reads ----------------------------------------------------------------------------------


def program_overview(*, access: Access):
    """The programs the login reads, with their enrollment and match counts (one query).

    Each relation is counted in its own grouped sub-query: joining both would pair every
    enrollment of a program with every match of it before counting (10^10 rows at 100,000
    of each)."""

    def counted(model, **condition):
        return Coalesce(
            Subquery(
                model.objects.filter(program=OuterRef("pk"), **condition)
                .order_by()
                .values("program")
                .annotate(n=Count("pk"))
                .values("n")[:1]
            ),
            0,
        )

    return (
        scope_programs(Program.objects.all(), access)
        .annotate(
            enrolled=counted(Enrollment),
            active_enrollments=counted(Enrollment, status=EnrollmentStatus.ACTIVE),
            active_matches=counted(Match, status=MatchStatus.ACTIVE),
            matches_total=counted(Match),
        )
        .order_by("program_type")
    )


# --- Data-quality flags (after an import; also items of the attention queue) ---------------

NEGATIVE_RATING = 0.5


def matches_zero_duration(*, program: Program):
    """Ended matches whose end equals their start."""
    from django.db.models import F

    return Match.objects.filter(
        program=program, ended_at__isnull=False, ended_at=F("matched_at")
    ).select_related("participant", "buddy")


def matches_active_without_feedback(*, program: Program, days: int = 90, now=None):
    """Matches active for more than ``days`` with no feedback at all."""
    from datetime import timedelta

    from django.db.models import Exists, OuterRef

    from buddy.models import Feedback

    cutoff = (now or timezone.now()) - timedelta(days=days)
    return (
        Match.objects.active()
        .filter(program=program, matched_at__lt=cutoff)
        .exclude(Exists(Feedback.objects.filter(match=OuterRef("pk"))))
        .select_related("participant", "buddy")
    )


def feedback_negative_share(*, program: Program) -> tuple[int, int, float]:
    """(ratings below 0.5, all ratings, share) of the program's feedback."""
    from django.db.models import Count

    from buddy.models import Feedback

    counts = Feedback.objects.filter(match__program=program).aggregate(
        total=Count("id"), negative=Count("id", filter=Q(rating__lt=NEGATIVE_RATING))
    )
    total, negative = counts["total"], counts["negative"]
    return negative, total, (negative / total if total else 0.0)


def orphaned_references(*, program: Program) -> dict[str, int]:
    """How many rows keep weak references that name nothing known."""
    from buddy.models import InformalEvent, MilestoneAchievement

    return {
        "informal_events_with_unknown_attendees": InformalEvent.objects.filter(
            match__program=program
        )
        .exclude(unknown_attendee_ids=[])
        .count(),
        "milestones_with_unknown_related": MilestoneAchievement.objects.filter(
            person__enrollments__program=program
        )
        .exclude(unknown_related_ids=[])
        .count(),
    }


# --- The coordinator UI's lists and pages ---------------------------------------------------


def people_for_list(*, program: Program, access: Access, role: str):
    """The people of a role enrolled in the program, in scope, with what the list shows: their
    enrollment status there, since when they wait (participants) and their active matches."""
    enrollment = Enrollment.objects.filter(person_id=OuterRef("pk"), program=program)
    waiting = enrollments_waiting(program=program).filter(person_id=OuterRef("pk"))
    field = "buddy_id" if role == "buddy" else "participant_id"
    active = (
        Match.objects.active()
        .filter(program=program, **{field: OuterRef("pk")})
        .order_by()
        .values(field)
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    return (
        scope_people(Person.objects.filter(role=role).filter(Exists(enrollment)), access)
        .select_related("company")
        .annotate(
            enrollment_status=Subquery(enrollment.values("status")[:1]),
            waiting_since=Subquery(waiting.values("waiting_since")[:1]),
            active_matches=Coalesce(Subquery(active), 0),
        )
        .order_by("pk")
    )


def last_contact_expression():
    """When a match last had contact: the latest activity of any kind, else its start (the
    rule of the attention queue's no-contact items)."""
    from buddy.models import CheckIn, EventAttendance, Feedback, InformalEvent, SkillSession

    def last(model, date_field):
        return Subquery(
            model.objects.filter(match=OuterRef("pk"))
            .order_by()
            .values("match")
            .annotate(last=Max(date_field))
            .values("last")[:1]
        )

    sources = (
        (InformalEvent, "event_date"),
        (CheckIn, "checkin_date"),
        (Feedback, "submitted_at"),
        (SkillSession, "completed_at"),
        (EventAttendance, "attended_at"),
    )
    return Greatest("matched_at", *(Coalesce(last(m, f), "matched_at") for m, f in sources))


#: What the apps above add to each row of the matches list, in the list's one query (a
#: function ``queryset → queryset``; enrollments: the stored health, ``match.health``).
MATCH_LIST_COLUMNS: Registry[Callable[[QuerySet], QuerySet]] = Registry("matches list columns")


def matches_for_list(*, program: Program, access: Access):
    """The program's matches in scope with their people, their last contact and what
    ``MATCH_LIST_COLUMNS`` adds (one query)."""
    queryset = (
        scope_matches(Match.objects.filter(program=program), access)
        .select_related("participant", "buddy")
        .annotate(last_contact=last_contact_expression())
    )
    for add in MATCH_LIST_COLUMNS:
        queryset = add(queryset)
    return queryset


def person_timeline(*, person: Person, matches, limit: int = 100) -> list[dict]:
    """Every activity of a person (through their matches or naming them), newest first:
    ``{"at", "kind", "text", "match_id"}``, no free text (a fixed number of queries)."""
    from buddy.models import (
        CheckIn,
        EventAttendance,
        Feedback,
        InformalEvent,
        MilestoneAchievement,
        SkillSession,
    )

    match_ids = [m.pk for m in matches]
    rows = []
    for e in InformalEvent.objects.filter(match_id__in=match_ids).order_by("-event_date")[:limit]:
        rows.append(
            {"at": e.event_date, "kind": "event", "text": e.event_type, "match_id": e.match_id}
        )
    for c in CheckIn.objects.filter(match_id__in=match_ids).order_by("-checkin_date")[:limit]:
        rows.append(
            {"at": c.checkin_date, "kind": "checkin", "text": c.mood, "match_id": c.match_id}
        )
    for f in Feedback.objects.filter(match_id__in=match_ids).order_by("-submitted_at")[:limit]:
        rows.append(
            {
                "at": f.submitted_at,
                "kind": "feedback",
                "text": f"{f.rating:.2f}",
                "match_id": f.match_id,
            }
        )
    for a in EventAttendance.objects.filter(person=person).order_by("-attended_at")[:limit]:
        rows.append(
            {
                "at": a.attended_at,
                "kind": "attendance",
                "text": a.event_title,
                "match_id": a.match_id,
            }
        )
    sessions = SkillSession.objects.filter(Q(teacher=person) | Q(learner=person))
    for s in sessions.order_by("-completed_at")[:limit]:
        rows.append(
            {
                "at": s.completed_at,
                "kind": "skill_session",
                "text": s.skill_name,
                "match_id": s.match_id,
            }
        )
    for m in MilestoneAchievement.objects.filter(person=person).order_by("-reached_at")[:limit]:
        rows.append(
            {"at": m.reached_at, "kind": "milestone", "text": m.milestone_title, "match_id": None}
        )
    return sorted(rows, key=lambda r: r["at"], reverse=True)[:limit]


def tokens_in_use(*, user) -> QuerySet:
    """The login's own API tokens that still authenticate, newest first: an expired token
    is refused (``buddy.api.authentication``) and deleted at the owner's next new token
    (``token_create``), so it is not listed in between."""
    unexpired = Q(expiry__isnull=True) | Q(expiry__gte=timezone.now())
    return ApiToken.objects.filter(unexpired, user=user).order_by("-created")


# --- Programs and enrollments ----------------------------------------------------------


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


def enrollments_waiting(*, program: Program):
    """Active participants of the program without an open match, with ``waiting_since``: the
    later of their enrollment and the end of their last match (the attention queue's rule)."""
    open_match = Match.objects.open().filter(program=program, participant=OuterRef("person_id"))
    last_ended = Subquery(
        Match.objects.filter(program=program, participant=OuterRef("person_id"))
        .order_by()
        .values("participant")
        .annotate(last=Max("ended_at"))
        .values("last")[:1]
    )
    return (
        Enrollment.objects.filter(
            program=program, status=EnrollmentStatus.ACTIVE, person__role=Role.PARTICIPANT
        )
        .exclude(Exists(open_match))
        .annotate(waiting_since=Greatest("enrolled_at", Coalesce(last_ended, "enrolled_at")))
    )
