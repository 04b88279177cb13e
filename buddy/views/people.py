"""People: the participant and buddy lists of a program, and a person's page."""

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from buddy import selectors
from buddy.access import access_for, role_required
from buddy.access_log import (
    log_people_access,
    log_person_access,
)
from buddy.filtersets import PersonListFilterSet
from buddy.models import Enrollment, EnrollmentStatus, Match, Person, Role
from buddy.models.matches import BINDING_STATUSES
from buddy.views.common import current_program, program_errors
from buddy.views.panels import PERSON_PANELS, panels

PAGE_SIZE = 50


@role_required(read="programs")
@program_errors
@require_GET
def people_list(request):
    access = access_for(request.user)
    program = current_program(request)
    role = Role.BUDDY if request.GET.get("role") == Role.BUDDY else Role.PARTICIPANT
    queryset = selectors.people_for_list(program=program, access=access, role=role)
    data = request.GET.copy()
    data.pop("program", None)
    data.pop("page", None)
    filterset = PersonListFilterSet(
        data, queryset=queryset, program=program, masked=access.masked, request=request
    )
    for name in ("role", "external_id", "joined_after"):
        filterset.form.fields.pop(name, None)
    if role == Role.PARTICIPANT:
        filterset.form.fields.pop("free_capacity", None)
    else:
        filterset.form.fields.pop("waiting_days", None)
    status = 200
    if filterset.is_valid():
        rows = filterset.qs
    else:
        rows, status = queryset.none(), 400
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    log_people_access(request, page)
    query = data.copy()
    query["role"] = role
    return render(
        request,
        "buddy/people.html",
        {
            "program": program,
            "role": role,
            "filterset": filterset,
            "page": page,
            "query": query.urlencode(),
        },
        status=status,
    )


@role_required(read="programs")
@require_GET
def person_detail(request, pk):
    access = access_for(request.user)
    person = get_object_or_404(
        selectors.scope_people(Person.objects.select_related("company"), access), pk=pk
    )
    log_person_access(request, person)
    enrollments = list(
        Enrollment.objects.filter(person=person, program__in=access.programs())
        .select_related("program", "journey")
        .prefetch_related("status_changes")
        .order_by("program__name")
    )
    matches = list(
        selectors.scope_matches(Match.objects.involving(person), access).select_related(
            "participant", "buddy", "program"
        )
    )
    bound = {m.program_id for m in matches if m.status in BINDING_STATUSES}
    return render(
        request,
        "buddy/person.html",
        {
            "person": person,
            "enrollments": enrollments,
            "matches": matches,
            "timeline": selectors.person_timeline(person=person, matches=matches),
            "milestones": person.milestones.order_by("-reached_at")[:50],
            # The programs where the participant waits: the matching app's top 5 is loaded
            # there (_suggestions.html).
            "suggestions": [
                e.program
                for e in enrollments
                if person.role == Role.PARTICIPANT
                and e.status == EnrollmentStatus.ACTIVE
                and e.program_id not in bound
            ],
            "panels": panels(PERSON_PANELS, request, person, access),
        },
    )
