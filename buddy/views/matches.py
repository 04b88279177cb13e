"""Matches: the program's list, a match's page (timeline, history) and its workflow actions,
which call ``buddy.services.matches`` like the API."""

from datetime import datetime, time

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from buddy import selectors
from buddy.access import access_for, role_required
from buddy.access_log import log_people_access
from buddy.filtersets import MatchFilterSet
from buddy.forms import MATCH_ACTIONS, MatchActionForm, actions_for
from buddy.models import (
    CheckIn,
    DataSource,
    EventAttendance,
    Feedback,
    InformalEvent,
    Match,
    MilestoneAchievement,
    Mood,
    SkillSession,
)
from buddy.services.matches import match_end, match_transition
from buddy.views.common import current_program, program_errors
from buddy.views.panels import MATCH_PANELS, panels
from core.errors import DomainError, said

PAGE_SIZE = 50


@role_required(read="programs")
@program_errors
@require_GET
def match_list(request):
    program = current_program(request)
    queryset = selectors.matches_for_list(program=program, access=access_for(request.user))
    data = request.GET.copy()
    for name in ("program", "page"):
        data.pop(name, None)
    filterset = MatchFilterSet(data, queryset=queryset, request=request)
    for name in ("program", "participant", "buddy", "source", "concurrent_active"):
        filterset.form.fields.pop(name, None)
    filterset.form.fields["status"].label = _("Status")
    filterset.form.fields["matched_after"].label = _("Started after")
    ok = filterset.is_valid()
    rows = filterset.qs if ok else queryset.none()
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    log_people_access(request, [p for m in page for p in (m.participant, m.buddy)])
    return render(
        request,
        "buddy/matches.html",
        {
            "program": program,
            "filterset": filterset,
            "page": page,
            "query": data.urlencode(),
            "now": timezone.now(),
        },
        status=200 if ok else 400,
    )


def _match_in_scope(request, pk) -> Match:
    queryset = selectors.scope_matches(Match.objects.all(), access_for(request.user))
    return get_object_or_404(queryset.select_related("participant", "buddy", "program"), pk=pk)


@role_required(read="programs")
@require_GET
def match_detail(request, pk):
    match = _match_in_scope(request, pk)
    log_people_access(request, (match.participant, match.buddy))
    context = _match_context(match)
    context["panels"] = panels(MATCH_PANELS, request, match, access_for(request.user))
    return render(request, "buddy/match.html", context)


def _match_context(match: Match) -> dict:
    checkins = list(CheckIn.objects.filter(match=match).order_by("checkin_date"))
    people = (match.participant_id, match.buddy_id)
    timeline = [
        *(
            {"at": e.event_date, "kind": "event", "text": e.event_type}
            for e in InformalEvent.objects.filter(match=match)
        ),
        *({"at": c.checkin_date, "kind": "checkin", "text": c.mood} for c in checkins),
        *(
            {"at": a.attended_at, "kind": "attendance", "text": a.event_title}
            for a in EventAttendance.objects.filter(match=match)
        ),
        *(
            {"at": s.completed_at, "kind": "skill_session", "text": s.skill_name}
            for s in SkillSession.objects.filter(match=match)
        ),
        *(
            {"at": m.reached_at, "kind": "milestone", "text": m.milestone_title}
            for m in MilestoneAchievement.objects.filter(person_id__in=people)
        ),
    ]
    timeline.sort(key=lambda row: row["at"], reverse=True)
    moods = list(Mood.values)
    mood_points = [
        {"at": c.checkin_date.strftime("%Y-%m-%d"), "score": len(moods) - moods.index(c.mood)}
        for c in checkins
        if c.mood
    ]
    return {
        "match": match,
        "transitions": match.transitions.select_related(None).order_by("at", "id"),
        "feedback": Feedback.objects.filter(match=match).order_by("-submitted_at"),
        "checkins": checkins,
        "timeline": timeline,
        "actions": [(name, MATCH_ACTIONS[name][0]) for name in actions_for(match.status)],
        "chart_data": {
            "mood": {
                "labels": [p["at"] for p in mood_points],
                "datasets": [
                    {
                        "label": _("Mood (5 great … 1 difficult)"),
                        "data": [p["score"] for p in mood_points],
                    }
                ],
            }
        },
    }


@role_required(read="change", change="change")
def match_action(request, pk):
    """GET: the confirmation form of one action (``?action=``); POST: do it."""
    match = _match_in_scope(request, pk)
    if request.method == "POST":
        form = MatchActionForm(request.POST, match=match)
        if form.is_valid():
            try:
                _perform(match, form.cleaned_data, request.user)
            except DomainError as error:
                form.add_error(None, said(error.message))
            else:
                messages.success(
                    request,
                    _("Done: the match is now %(status)s.")
                    % {"status": Match.objects.get(pk=match.pk).get_status_display()},
                )
                return redirect("buddy:match", pk=match.pk)
        status = 400
    else:
        log_people_access(request, (match.participant, match.buddy))
        action = request.GET.get("action", "")
        form = MatchActionForm(
            initial={"action": action, "ended_on": timezone.localdate()}, match=match
        )
        status = 200 if action in actions_for(match.status) else 400
    action = form.data.get("action") or form.initial.get("action", "")
    return render(
        request,
        "buddy/match_action.html",
        {
            "match": match,
            "form": form,
            "action": action,
            "action_label": MATCH_ACTIONS.get(action, ("",))[0],
            "allowed": action in actions_for(match.status),
        },
        status=status,
    )


def _perform(match: Match, data: dict, user) -> None:
    via = DataSource.COORDINATOR
    if data["action"] == "end":
        ended = datetime.combine(data["ended_on"], time(12), tzinfo=timezone.get_current_timezone())
        ended = min(ended, timezone.now())
        if match.matched_at is not None:
            ended = max(ended, match.matched_at)
        match_end(
            match=match,
            ended_at=ended,
            end_reason=data["end_reason"],
            via=via,
            by=user,
            note=data.get("note", ""),
        )
    else:
        to_status = MATCH_ACTIONS[data["action"]][1]
        match_transition(
            match=match,
            to_status=to_status,
            via=via,
            by=user,
            reason=data["action"],
            note=data.get("note", ""),
        )
