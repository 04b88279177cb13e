"""The matching board of the coordinator UI (issue 19) and a person page's top 5.

Thin like the API: parse the form, scope the rows (``buddy.selectors``), call
``matching.services``, render. Coordinators of the program change, viewers read with
personal data masked (the ``person_label`` filter), company users and logins without a role
get 403, anonymous clients the login page (``role_required``).
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from buddy.access import access_for, role_required
from buddy.access_log import log_people_access
from buddy.filtersets import PersonListFilterSet
from buddy.models import Person, Program, Role
from buddy.selectors import people_for_list, program_in_scope, scope_people, scope_programs
from buddy.views.common import current_program, program_errors
from core.errors import DomainError, FieldError, ValidationFailed
from matching import selectors, services
from matching.engine.words import explanation_shown, reasons_words
from matching.forms import BulkAcceptForm, CriteriaForm, DismissForm, SuggestionAcceptForm
from matching.models import Proposal, ProposalStatus, RecommendationRun, RunStatus
from matching.outcomes import outcome_evidence

PAGE_SIZE = 25
PROPOSALS_PAGE_SIZE = 50
#: The filters of the waiting list (``PersonListFilterSet``'s, as on the people list).
WAITING_FILTERS = ("q", "language", "interest", "city", "waiting_days")


def _posted_program(request) -> Program:
    """The program a form names (``program``): required, in scope (else 400 / 404)."""
    wanted = request.POST.get("program", "")
    if not wanted:
        raise ValidationFailed([FieldError("program", "required")])
    program = program_in_scope(wanted, access_for(request.user))
    request.current_program = program
    return program


def _board_url(program: Program) -> str:
    return f"{reverse('matching:board')}?program={program.program_type}"


def _in_scope(queryset, request):
    programs = scope_programs(Program.objects.all(), access_for(request.user))
    return queryset.filter(program__in=programs)


# --- The board ------------------------------------------------------------------------------


@role_required(read="programs")
@program_errors
@require_GET
def board(request):
    return _board(request, current_program(request))


def _board(request, program: Program, *, status: int = 200, **extra):
    """The board of a program: waiting participants (the people list's selector and
    filterset), the latest run with its progress, proposals and why-not-matched list."""
    access = access_for(request.user)
    refusals, dismiss_forms = extra.get("refusals", {}), extra.get("dismiss_forms", {})
    queryset = people_for_list(program=program, access=access, role=Role.PARTICIPANT).filter(
        waiting_since__isnull=False
    )
    data = request.GET.copy()
    for name in ("program", "page", "proposals_page", "unmatched_page"):
        data.pop(name, None)
    filterset = PersonListFilterSet(
        data, queryset=queryset, program=program, masked=access.masked, request=request
    )
    for name in list(filterset.form.fields):  # the people list's search and filters
        if name not in WAITING_FILTERS:
            filterset.form.fields.pop(name)
    ok = filterset.is_valid()
    waiting = Paginator(filterset.qs if ok else queryset.none(), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    run = selectors.latest_run(program=program)
    proposals = unmatched = None
    open_ids: list[int] = []
    if run is not None and run.status == RunStatus.DONE:
        proposals = Paginator(selectors.run_proposals(run=run), PROPOSALS_PAGE_SIZE).get_page(
            request.GET.get("proposals_page")
        )
        open_ids = [p.pk for p in proposals if p.status == ProposalStatus.PROPOSED]
        bulk = extra.get("bulk_form")
        ticked = set(bulk.data.getlist("proposal")) if bulk is not None else set()
        for p in proposals:  # each row's own forms: what was typed and its errors
            p.ticked = str(p.pk) in ticked
            p.dismiss_form = dismiss_forms.get(p.pk) or DismissForm(prefix=f"dismiss-{p.pk}")
            p.refusal = refusals.get(p.pk)
            p.reasons_shown = reasons_words(p.reasons, p.reason_codes)
        unmatched = Paginator(run.unmatched, PROPOSALS_PAGE_SIZE).get_page(
            request.GET.get("unmatched_page")
        )
    shown = [*waiting]
    if proposals is not None:
        shown += [person for p in proposals for person in (p.participant, p.buddy)]
    log_people_access(request, shown)
    unmatched_people = (
        Person.objects.in_bulk([e.get("participant_id") for e in unmatched])
        if unmatched is not None
        else {}
    )
    query = data.copy()
    query["program"] = program.program_type
    return render(
        request,
        "matching/board.html",
        {
            "program": program,
            "filterset": filterset,
            "waiting": waiting,
            "query": query.urlencode(),
            "run": run,
            "proposals": proposals,
            "open_ids": open_ids,
            "unmatched": [
                {
                    **explanation_shown(entry),
                    "person": unmatched_people.get(entry.get("participant_id")),
                }
                for entry in (unmatched or [])
            ],
            "unmatched_page": unmatched,
            "refusals": refusals,
            "dismiss_errors": {pk: form for pk, form in dismiss_forms.items() if form.errors},
            "bulk_form": extra.get("bulk_form"),
        },
        status=status if ok else 400,
    )


@require_POST
@role_required(read="change", change="change")
@program_errors
def run_start(request):
    """One click: a program-wide run, queued for a worker (``services.run_start``)."""
    program = _posted_program(request)
    services.run_start(program=program, by=request.user)
    messages.info(request, _("Matching started for the program."))
    return redirect(_board_url(program))


@role_required(read="programs")
@require_GET
def run_progress(request, pk):
    """The run's progress bar (htmx polls it every second while the run is not finished;
    once it is, the board reloads to show the proposals)."""
    run = get_object_or_404(_in_scope(RecommendationRun.objects.all(), request), pk=pk)
    response = render(request, "matching/_run_progress.html", {"run": run})
    if request.htmx and run.status in (RunStatus.DONE, RunStatus.FAILED):
        response["HX-Refresh"] = "true"
    return response


def _proposal_in_scope(request, pk) -> Proposal:
    queryset = _in_scope(Proposal.objects.select_related("program", "run"), request)
    proposal = get_object_or_404(queryset, pk=pk)
    request.current_program = proposal.program
    return proposal


@require_POST
@role_required(read="change", change="change")
def proposal_accept(request, pk):
    """Accept one proposal: a ``proposed`` match (``services.proposal_accept``)."""
    proposal = _proposal_in_scope(request, pk)
    try:
        match = services.proposal_accept(proposal=proposal, by=request.user)
    except DomainError as error:
        return _board(
            request,
            proposal.program,
            status=error.http_status,
            refusals={proposal.pk: gettext(error.message)},
        )
    messages.success(
        request, _("Accepted: match #%(id)s is proposed to both people.") % {"id": match.pk}
    )
    return redirect(_board_url(proposal.program))


@require_POST
@role_required(read="change", change="change")
def proposal_dismiss(request, pk):
    """Dismiss one proposal with a reason (``services.proposal_dismiss``)."""
    proposal = _proposal_in_scope(request, pk)
    form = DismissForm(request.POST, prefix=f"dismiss-{proposal.pk}")
    if form.is_valid():
        try:
            services.proposal_dismiss(
                proposal=proposal, reason=form.cleaned_data["reason"], by=request.user
            )
        except DomainError as error:
            return _board(
                request,
                proposal.program,
                status=error.http_status,
                refusals={proposal.pk: gettext(error.message)},
            )
        messages.success(request, _("Dismissed: this pair is not proposed again."))
        return redirect(_board_url(proposal.program))
    return _board(request, proposal.program, status=400, dismiss_forms={proposal.pk: form})


@require_POST
@role_required(read="change", change="change")
def proposals_accept(request, pk):
    """Accept the ticked proposals of a run in bulk (``services.proposals_accept_selected``)."""
    runs = _in_scope(RecommendationRun.objects.select_related("program"), request)
    run = get_object_or_404(runs, pk=pk)
    request.current_program = run.program
    open_ids = Proposal.objects.filter(run=run, status=ProposalStatus.PROPOSED).values_list(
        "pk", flat=True
    )
    form = BulkAcceptForm(request.POST, proposal_ids=list(open_ids))
    if not form.is_valid():
        return _board(request, run.program, status=400, bulk_form=form)
    result = services.proposals_accept_selected(
        run=run, proposal_ids=form.cleaned_data["proposal"], by=request.user
    )
    messages.success(request, _("Accepted %(n)s proposals.") % {"n": result["accepted"]})
    if result["refused"]:
        messages.warning(
            request,
            _("Refused by a rule (someone took the place meanwhile): %(ids)s.")
            % {"ids": ", ".join(f"#{r['proposal_id']}" for r in result["refused"])},
        )
    return redirect(_board_url(run.program))


# --- Criteria per program -------------------------------------------------------------------


@role_required(read="programs", change="change")
@program_errors
def criteria(request):
    """The program's criteria: GET shows the current version (``?apply=suggested`` fills the
    weights learnt from outcomes); POST ``preview`` shows how the top suggestions move,
    POST ``save`` stores a new version."""
    preview = None
    if request.method == "POST":
        program = _posted_program(request)
        current = selectors.criteria_latest(program=program)
        form = CriteriaForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                if "save" in request.POST:
                    version = services.criteria_save(
                        program=program, by=request.user, **form.settings()
                    )
                    messages.success(
                        request,
                        _("Saved as criteria version %(v)s; the next runs use it.")
                        % {"v": version.version},
                    )
                    return redirect(
                        f"{reverse('matching:criteria')}?program={program.program_type}"
                    )
                preview = services.criteria_preview(program=program, **form.settings())
                status = 200
            except DomainError as error:
                form.add_service_errors(error)
    else:
        program = current_program(request)
        current = selectors.criteria_latest(program=program)
        status = 200
    evidence = outcome_evidence(program=program, criteria=current.criteria)
    suggested = {
        row["criterion"]: row["suggested_weight"]
        for row in evidence["criteria"]
        if row["suggested_weight"] is not None
    }
    if request.method != "POST":
        applying = request.GET.get("apply") == "suggested" and bool(suggested)
        form = CriteriaForm(
            initial=CriteriaForm.initial_from(current, suggested if applying else None)
        )
        if applying:
            messages.info(
                request,
                _("The suggested weights are filled in: preview, then save to use them."),
            )
    if preview is not None:
        _label_preview(request, preview)
    return render(
        request,
        "matching/criteria.html",
        {
            "program": program,
            "current": current,
            "form": form,
            "preview": preview,
            "evidence": evidence,
            "suggested": suggested,
        },
        status=status,
    )


def _label_preview(request, preview: dict) -> None:
    """The people of a preview, for their labels (masked for viewers)."""
    ids = {row["participant_id"] for row in preview["participants"]}
    for row in preview["participants"]:
        ids |= {c["buddy_id"] for c in row["after"] + row["dropped"]}
    people = Person.objects.in_bulk(ids)
    for row in preview["participants"]:
        row["participant"] = people.get(row["participant_id"])
        for candidate in row["after"] + row["dropped"]:
            candidate["buddy"] = people.get(candidate["buddy_id"])
    log_people_access(request, people.values())


# --- A person's top 5 -----------------------------------------------------------------------


def _person_in_scope(request, pk) -> Person:
    return get_object_or_404(scope_people(Person.objects.all(), access_for(request.user)), pk=pk)


def _suggestions(request, person: Person, program: Program, *, refusal=None) -> dict:
    """The participant's top 5 in the program with the buddies to label them, or why the
    list is empty (not waiting, nobody eligible: the why-not-matched explanation)."""
    context = {"person": person, "program": program, "refusal": refusal, "candidates": []}
    try:
        result = services.recommend_for_participant(program=program, participant=person)
    except DomainError as error:
        context["not_waiting"] = gettext(error.message)
        context["refusal_elsewhere"] = refusal is not None
        return context
    buddies = Person.objects.select_related("company").in_bulk(
        [c["buddy_id"] for c in result["candidates"]]
    )
    context["candidates"] = [
        {
            **c,
            "buddy": buddies[c["buddy_id"]],
            "parts": _parts(c.get("parts", {})),
            "reasons": reasons_words(c.get("reasons"), c.get("reason_codes")),
        }
        for c in result["candidates"]
        if c["buddy_id"] in buddies
    ]
    shown = {c["buddy_id"] for c in context["candidates"]}
    context["refusal_elsewhere"] = refusal is not None and refusal["buddy_id"] not in shown
    why_not = result.get("why_not")
    context["why_not"] = explanation_shown(why_not) if why_not else None
    context["criteria_version"] = result["criteria_version"]
    log_people_access(request, buddies.values())
    return context


def _parts(parts: dict) -> list[dict]:
    from matching.engine.criteria import REGISTRY

    return [
        {"name": name, "label": REGISTRY[name].label if name in REGISTRY else name, "points": v}
        for name, v in parts.items()
        if v
    ]


def _render_suggestions(request, context: dict, *, status: int = 200):
    template = "matching/_suggestions.html" if request.htmx else "matching/suggestions.html"
    return render(request, template, context, status=status)


@role_required(read="programs")
@program_errors
@require_GET
def person_suggestions(request, pk):
    """A waiting participant's top 5 (htmx loads it into the person page; without
    JavaScript it is a page of its own)."""
    person = _person_in_scope(request, pk)
    program = program_in_scope(request.GET.get("program") or None, access_for(request.user))
    return _render_suggestions(request, _suggestions(request, person, program))


@require_POST
@role_required(read="change", change="change")
@program_errors
def suggestion_accept(request, pk):
    """Accept one of the top 5: a ``proposed`` match (``services.suggestion_accept``); a
    rule's refusal is shown beside the button."""
    person = _person_in_scope(request, pk)
    form = SuggestionAcceptForm(request.POST)
    if not form.is_valid():
        raise ValidationFailed(
            [FieldError(name, "; ".join(errors)) for name, errors in form.errors.items()]
        )
    program = program_in_scope(form.cleaned_data["program"], access_for(request.user))
    buddy_id = form.cleaned_data["buddy"]
    try:
        match = services.suggestion_accept(
            program=program, participant=person, buddy_id=buddy_id, by=request.user
        )
    except DomainError as error:
        refusal = {"buddy_id": buddy_id, "message": gettext(error.message)}
        context = _suggestions(request, person, program, refusal=refusal)
        return _render_suggestions(request, context, status=error.http_status)
    messages.success(
        request, _("Accepted: match #%(id)s is proposed to both people.") % {"id": match.pk}
    )
    url = reverse("buddy:person", args=[person.pk])
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
