"""The case pages: the list (filters), a case with its workflow actions, raising a case from
a match or person page; and the cases sections of those pages (``buddy.views.panels``).
Thin: reads through ``concerns.selectors``, every change through ``concerns.services``.
A restricted case (safeguarding, discrimination) shows only that it exists to logins
without the ``safeguarding`` permission (``selectors.is_withheld``)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from buddy.access import access_for, role_required
from buddy.models import Match, Person
from buddy.selectors import scope_matches, scope_people
from buddy.views.common import current_program, program_errors
from concerns import selectors, services
from concerns.forms import ACTIONS, ConcernFilterForm, ConcernOpenForm
from concerns.models import Concern, Outcome, Status
from core.errors import DomainError, FieldError, ValidationFailed, said

PAGE_SIZE = 50


def _rows(concerns, *, request, access, now):
    """The cases as the list and the sections show them: withheld ones without content."""
    return [
        {
            "concern": c,
            "withheld": selectors.is_withheld(c, user=request.user, access=access),
            "overdue": c.status == Status.OPEN and c.respond_by < now,
        }
        for c in concerns
    ]


@role_required(read="programs")
@program_errors
@require_GET
def concern_list(request):
    program = current_program(request)
    access = access_for(request.user)
    form = ConcernFilterForm(request.GET)
    ok = form.is_valid()
    now = timezone.now()
    if ok:
        values = form.cleaned_data
        overdue = {"true": True, "false": False}.get(values["overdue"])
        rows = selectors.concern_list(
            access=access,
            program_id=program.pk,
            status=values["status"] or None,
            severity=values["severity"] or None,
            category=values["category"] or None,
            overdue=overdue,
            now=now,
        )
    else:
        rows = Concern.objects.none()
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "concerns/list.html",
        {
            "program": program,
            "form": form,
            "page": page,
            "rows": _rows(page, request=request, access=access, now=now),
            "query": query.urlencode(),
        },
        status=200 if ok else 400,
    )


def _concern_in_scope(request, pk) -> Concern:
    queryset = selectors.scope_concerns(Concern.objects.all(), access_for(request.user))
    return get_object_or_404(
        queryset.select_related("program", "match__participant", "match__buddy", "person"), pk=pk
    )


def _detail_context(request, concern, *, forms=None) -> dict:
    access = access_for(request.user)
    withheld = selectors.is_withheld(concern, user=request.user, access=access)
    actions = []
    if not withheld and access.changes_programs:
        for name, (form_class, label) in ACTIONS.items():
            if concern.status in services.ALLOWED_FROM[name]:
                form = (forms or {}).get(name) or (form_class(prefix=name) if form_class else None)
                actions.append({"name": name, "label": label, "form": form})
    return {
        "concern": concern,
        "withheld": withheld,
        "rematch": _rematch(concern, access) if not withheld else None,
        "overdue": concern.status == Status.OPEN and concern.respond_by < timezone.now(),
        "actions": actions,
        "meetings": [] if withheld else concern.meetings.all(),
        "steps": [] if withheld else concern.steps.all(),
        "involved": [] if withheld else concern.involved.all(),
    }


def _rematch(concern, access) -> dict | None:
    """A case resolved with "rematch": the participant's top 5 without the previous buddy
    (``services.concern_rematch_suggestions``), for logins that may act on them."""
    if not (concern.outcome == Outcome.REMATCH and concern.match_id and access.changes_programs):
        return None
    try:
        result = services.concern_rematch_suggestions(concern=concern)
    except DomainError as error:  # e.g. the participant is matched again already
        return {"error": gettext(error.message), "candidates": []}
    people = Person.objects.in_bulk([c["buddy_id"] for c in result["candidates"]])
    return {
        "error": None,
        "candidates": [{**c, "buddy": people.get(c["buddy_id"])} for c in result["candidates"]],
    }


@role_required(read="programs")
@require_GET
def concern_detail(request, pk):
    concern = _concern_in_scope(request, pk)
    return render(request, "concerns/detail.html", _detail_context(request, concern))


@role_required(read="change", change="change")
def concern_action(request, pk):
    """POST one workflow step (``action``: acknowledge, meeting, resolve) of the case."""
    if request.method != "POST":
        return redirect("concerns:detail", pk=pk)
    concern = _concern_in_scope(request, pk)
    access = access_for(request.user)
    if selectors.is_withheld(concern, user=request.user, access=access):
        raise PermissionDenied
    name = request.POST.get("action", "")
    if name not in ACTIONS:
        context = _detail_context(request, concern)
        context["error"] = _("Choose one of the actions of this case.")
        return render(request, "concerns/detail.html", context, status=400)
    form_class = ACTIONS[name][0]
    form = form_class(request.POST, prefix=name) if form_class else None
    if form is not None and not form.is_valid():
        return render(
            request,
            "concerns/detail.html",
            _detail_context(request, concern, forms={name: form}),
            status=400,
        )
    values = form.cleaned_data if form is not None else {}
    try:
        if name == "acknowledge":
            services.concern_acknowledge(concern=concern, by=request.user)
        elif name == "meeting":
            services.concern_meeting_add(concern=concern, by=request.user, **values)
        else:
            services.concern_resolve(concern=concern, by=request.user, **values)
    except DomainError as error:
        context = _detail_context(request, concern, forms={name: form} if form else None)
        context["error"] = said(error.message)
        return render(request, "concerns/detail.html", context, status=error.http_status)
    messages.success(request, _("Done: the case is now %(status)s.") % {
        "status": Concern.objects.get(pk=concern.pk).get_status_display()
    })  # fmt: skip
    return redirect("concerns:detail", pk=concern.pk)


def _subject(request, access):
    """The match or person a new case is about (``?match=`` or ``?person=``, in scope)."""
    source = request.POST if request.method == "POST" else request.GET
    match_id, person_id = source.get("match", ""), source.get("person", "")
    if match_id.isdigit():
        match = get_object_or_404(
            scope_matches(Match.objects.select_related("program"), access), pk=int(match_id)
        )
        return match, None, match.program
    if person_id.isdigit():
        person = get_object_or_404(scope_people(Person.objects.all(), access), pk=int(person_id))
        return None, person, None
    raise ValidationFailed([FieldError("match", _("A case is about a match or a person."))])


@role_required(read="change", change="change")
@program_errors
def concern_new(request):
    """Raise a case about a match or a person (``?match=`` / ``?person=``)."""
    access = access_for(request.user)
    match, person, program = _subject(request, access)
    if program is None:
        program = current_program(request)
    form = ConcernOpenForm(request.POST if request.method == "POST" else None)
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            concern = services.concern_open(program=program, match=match, person=person,
                                            by=request.user, **form.cleaned_data)  # fmt: skip
        except DomainError as e:
            error = said(e.message)
        else:
            messages.success(request, _("The case was opened."))
            return redirect("concerns:detail", pk=concern.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "concerns/new.html",
        {"form": form, "match": match, "person": person, "program": program, "error": error},
        status=status,
    )


# --- The sections of the match and person pages (buddy.views.panels) ----------------------


def match_cases_panel(request, match, access) -> str:
    concerns = selectors.concerns_for_match(match_id=match.pk, access=access)
    return _panel(request, access, concerns, new_query=f"match={match.pk}")


def person_cases_panel(request, person, access) -> str:
    concerns = selectors.concerns_for_person(person_id=person.pk, access=access)
    return _panel(request, access, concerns, new_query=f"person={person.pk}")


def _panel(request, access, concerns, *, new_query: str) -> str:
    rows = _rows(concerns.order_by("-opened_at", "-id"), request=request, access=access,
                 now=timezone.now())  # fmt: skip
    return render_to_string(
        "concerns/_cases_panel.html",
        {"rows": rows, "new_query": new_query, "access": access},
        request=request,
    )
