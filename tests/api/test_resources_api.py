"""The REST API over every resource (issue 18): match transitions and their history,
enrollments with their status history, impact as CSV, recommendations, inbound deliveries,
filters (400 when malformed) — each a thin caller of the services, scoped like the pages."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from buddy.models import EnrollmentStatusChange, MatchStatus, MatchTransition
from matching.models import Proposal, ProposalStatus
from matching.services import run_create
from tests.factories import (
    BuddyFactory,
    CheckInFactory,
    EnrollmentFactory,
    FeedbackFactory,
    MatchFactory,
    ParticipantFactory,
    WebhookDeliveryFactory,
    WebhookEventFactory,
    buddy_program,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(coordinator):
    client = APIClient()
    client.force_authenticate(coordinator)
    return client


def _enrolled_match(**kwargs):
    match = MatchFactory(**kwargs)
    for person in (match.participant, match.buddy):
        EnrollmentFactory(person=person, program=match.program)
    return match


def test_pausing_and_resuming_a_match_goes_through_the_lifecycle(api):
    match = _enrolled_match()
    assert api.post(f"/api/matches/{match.pk}/pause/").json()["status"] == MatchStatus.INACTIVE
    assert api.post(f"/api/matches/{match.pk}/resume/").json()["status"] == MatchStatus.ACTIVE
    moves = MatchTransition.objects.filter(match=match).values_list("to_status", flat=True)
    assert list(moves) == [MatchStatus.INACTIVE, MatchStatus.ACTIVE]


def test_resuming_a_match_that_is_not_paused_is_refused_with_the_error_body(api):
    match = _enrolled_match()
    response = api.post(f"/api/matches/{match.pk}/resume/")
    assert response.status_code == 409
    assert response.json()["code"]
    assert MatchTransition.objects.filter(match=match).count() == 0


def test_deactivate_stays_an_alias_of_pause(api):
    match = _enrolled_match()
    assert api.post(f"/api/matches/{match.pk}/deactivate/").json()["status"] == "inactive"


def test_the_transition_history_lists_every_move_oldest_first(api):
    match = _enrolled_match()
    api.post(f"/api/matches/{match.pk}/pause/", {"note": "holiday"}, format="json")
    api.post(f"/api/matches/{match.pk}/resume/")
    history = api.get(f"/api/matches/{match.pk}/transitions/").json()
    assert [(h["from_status"], h["to_status"], h["reason"]) for h in history] == [
        ("active", "inactive", "pause"),
        ("inactive", "active", "resume"),
    ]
    assert history[0]["note"] == "holiday"


def test_the_former_reason_field_of_a_move_is_still_taken_as_its_note(api):
    match = _enrolled_match()
    api.post(f"/api/matches/{match.pk}/pause/", {"reason": "holiday"}, format="json")
    assert MatchTransition.objects.get(match=match).note == "holiday"


def test_a_viewer_reads_the_note_of_a_move_masked(api):
    from core.pii import MASK
    from tests.factories import viewer_of

    match = _enrolled_match()
    api.post(f"/api/matches/{match.pk}/pause/", {"note": "holiday in Aleppo"}, format="json")
    viewer = APIClient()
    viewer.force_authenticate(viewer_of(match.program))
    history = viewer.get(f"/api/matches/{match.pk}/transitions/").json()
    assert (history[0]["reason"], history[0]["note"]) == ("pause", MASK)


def test_declining_without_a_note_is_a_400_naming_the_field(api):
    match = _enrolled_match(status=MatchStatus.PROPOSED, matched_at=None)
    response = api.post(f"/api/matches/{match.pk}/decline/", {}, format="json")
    assert response.status_code == 400
    assert "note" in str(response.json())
    assert MatchTransition.objects.filter(match=match).count() == 0


def test_an_enrollment_detail_carries_its_status_history(api):
    enrollment = EnrollmentFactory()
    EnrollmentStatusChange.objects.create(
        enrollment=enrollment, from_status="", to_status="active", at=timezone.now(), reason="x"
    )
    body = api.get(f"/api/enrollments/{enrollment.pk}/").json()
    assert [c["to_status"] for c in body["status_changes"]] == ["active"]


def test_enrollments_filter_by_status_and_program(api):
    EnrollmentFactory(status="active")
    EnrollmentFactory(status="completed")
    body = api.get("/api/enrollments/?status=completed&program=buddy").json()
    assert [e["status"] for e in body["results"]] == ["completed"]


def test_a_malformed_filter_is_a_400_naming_the_parameter(api):
    response = api.get("/api/feedback/?rating_min=high")
    assert response.status_code == 400
    assert "rating_min" in str(response.json())


def test_an_unknown_choice_in_a_filter_is_a_400(api):
    assert api.get("/api/check-ins/?mood=ecstatic").status_code == 400


def test_check_ins_filter_by_mood_and_date_range(api):
    match = _enrolled_match()
    CheckInFactory(match=match, mood="struggling")
    CheckInFactory(match=match, mood="good")
    body = api.get("/api/check-ins/?mood=struggling").json()
    assert [c["mood"] for c in body["results"]] == ["struggling"]
    later = (timezone.now() + timedelta(days=1)).isoformat()
    assert api.get("/api/check-ins/", {"checkin_date_after": later}).json()["results"] == []


def test_activity_lists_are_cursor_paginated_with_the_maximum_page_size(api, settings):
    match = _enrolled_match()
    FeedbackFactory.create_batch(3, match=match)
    settings.API_MAX_PAGE_SIZE = 2
    first = api.get("/api/feedback/?limit=50").json()
    assert len(first["results"]) == 2 and first["next"]
    second = api.get(first["next"]).json()
    assert len(second["results"]) == 1 and second["next"] is None


def test_people_filter_by_language(api):
    buddy = BuddyFactory(languages=["fa"])
    EnrollmentFactory(person=buddy)
    EnrollmentFactory(person=BuddyFactory(languages=["de"]))
    body = api.get("/api/people/?language=fa").json()
    assert [p["id"] for p in body["results"]] == [buddy.pk]


def test_impact_figures_come_as_csv_through_the_formula_neutralising_writer(api):
    response = api.get("/api/impact/?per=program&format=csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    header = response.content.decode().splitlines()[0].split(",")
    assert header[:3] == ["program", "per", "key"]


def test_a_coordinator_starts_a_recommendation_run_and_polls_it(api):
    response = api.post("/api/recommendations/runs/", {"program": "buddy"}, format="json")
    assert response.status_code == 202
    run = response.json()
    assert run["status"] == "queued" and run["program"] == "buddy"
    assert api.get(f"/api/recommendations/runs/{run['id']}/").json()["id"] == run["id"]


def _proposal(program):
    participant, buddy = ParticipantFactory(), BuddyFactory()
    for person in (participant, buddy):
        EnrollmentFactory(person=person, program=program)
    run = run_create(program=program)
    return Proposal.objects.create(
        run=run, program=program, participant=participant, buddy=buddy, score=70.0
    )


def test_accepting_a_proposal_proposes_the_match(api):
    from tests.factories import buddy_program

    proposal = _proposal(buddy_program())
    response = api.post(f"/api/recommendations/proposals/{proposal.pk}/accept/")
    assert response.status_code == 201
    assert response.json()["status"] == MatchStatus.PROPOSED
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.ACCEPTED


def test_dismissing_a_proposal_needs_a_reason(api):
    from tests.factories import buddy_program

    proposal = _proposal(buddy_program())
    url = f"/api/recommendations/proposals/{proposal.pk}/dismiss/"
    assert api.post(url, {}, format="json").status_code == 400
    assert api.post(url, {"reason": "too far"}, format="json").json()["status"] == "dismissed"


def test_the_top_five_for_a_participant_answers_candidates_or_why_not(api):
    participant = ParticipantFactory()
    EnrollmentFactory(person=participant)
    body = api.get(f"/api/recommendations/top/?participant={participant.pk}").json()
    assert body["participant_id"] == participant.pk
    assert "candidates" in body


def test_the_top_five_for_someone_out_of_scope_is_a_404(api):
    assert api.get("/api/recommendations/top/?participant=999999").status_code == 404


def test_inbound_deliveries_are_listed_and_replayed(api):
    match = _enrolled_match()
    delivery = WebhookDeliveryFactory(event=WebhookEventFactory(match_id=match.external_id))
    listed = api.get("/api/webhooks/deliveries/").json()["results"]
    assert [d["id"] for d in listed] == [delivery.pk]
    response = api.post(f"/api/webhooks/deliveries/{delivery.pk}/replay/")
    assert response.status_code == 200 and response.json()["outcome"]


def test_a_wrong_method_is_a_405_and_a_wrong_content_type_a_415(api):
    assert api.delete("/api/programs/").status_code == 405
    match = _enrolled_match()
    response = api.post(f"/api/matches/{match.pk}/pause/", "reason=x", content_type="text/plain")
    assert response.status_code == 415


def test_a_viewer_reads_activities_with_personal_text_masked(viewer):
    from core.pii import MASK

    match = _enrolled_match()
    CheckInFactory(match=match, notes="=HYPERLINK(secret)")
    client = APIClient()
    client.force_authenticate(viewer)
    (row,) = client.get("/api/check-ins/").json()["results"]
    assert row["notes"] == MASK


def test_a_company_user_reads_no_activity_rows():
    from tests.factories import CompanyFactory, company_user_of

    client = APIClient()
    client.force_authenticate(company_user_of(CompanyFactory()))
    assert client.get("/api/check-ins/").status_code == 403
    assert client.get("/api/enrollments/").status_code == 403


def test_the_api_root_lists_the_resources_of_every_app(api):
    response = api.get("/api/")
    assert response.status_code == 200
    listed = response.json()
    for resource in ("people", "matches", "programs", "enrollments", "journey-flags"):
        assert listed[resource].endswith(f"/api/{resource}/")
    assert listed["recommendations/runs"].endswith("/api/recommendations/runs/")
    assert listed["concerns"].endswith("/api/concerns/")


def _run_leaving_someone_unmatched(program):
    person = ParticipantFactory()
    run = run_create(program=program)
    entry = {"participant_id": person.pk, "code": "no_language", "text": "speaks only Basque"}
    run.unmatched = [entry]
    run.save(update_fields=["unmatched"])
    return run


def test_a_viewer_reads_why_someone_was_not_matched_masked(viewer):
    from core.pii import MASK

    run = _run_leaving_someone_unmatched(buddy_program())
    client = APIClient()
    client.force_authenticate(viewer)
    (entry,) = client.get(f"/api/recommendations/runs/{run.pk}/unmatched/").json()
    assert (entry["code"], entry["text"]) == ("no_language", MASK)


def test_a_coordinator_reads_why_someone_was_not_matched(api):
    run = _run_leaving_someone_unmatched(buddy_program())
    (entry,) = api.get(f"/api/recommendations/runs/{run.pk}/unmatched/").json()
    assert entry["text"] == "speaks only Basque"
