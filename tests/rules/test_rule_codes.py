"""Each rule refuses with one code wherever it is applied: the webhook (body ``code``), the
import (the report row's code, stored and shown by the API), the API (error body ``code``),
the admin (the message starts with the code) and the services. A copy of a rule that drifts
from ``buddy.rules`` (another code, a missing check) fails here."""

import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from buddy import rules
from buddy.models import CheckIn, Match, MatchStatus
from buddy.schemas import MatchCreatedRecord, MatchRecord
from buddy.services.matches import match_record_created, match_record_export
from core.errors import DomainError
from tests.factories import (
    BuddyFactory,
    EnrollmentFactory,
    MatchFactory,
    ParticipantFactory,
    PersonFactory,
)
from tests.webhooks.conftest import BUDDY_ID, MATCH_ID, PARTICIPANT_ID, deliver, example
from webhooks.imports.pipeline import import_export
from webhooks.imports.services import import_run_create, import_run_execute

pytestmark = pytest.mark.django_db
UNKNOWN = "00000000-0000-4000-8000-0000000000ff"


@pytest.fixture
def api(coordinator):
    client = APIClient()
    client.force_authenticate(coordinator)
    return client


def _import(export, rows, program) -> list[dict]:
    """The stored rejections of importing these rows."""
    return import_export(path=export(rows), program=program).rejections.as_records()


def _admin_refusal(admin_client, action: str, match, **extra) -> str:
    data = {"action": action, "_selected_action": [match.pk], **extra}
    response = admin_client.post(reverse("admin:buddy_match_changelist"), data, follow=True)
    (message,) = [m.message for m in response.context["messages"]]
    return message


def _code(exc_info) -> str:
    return exc_info.value.code


def _created(participant, buddy) -> MatchCreatedRecord:
    return MatchCreatedRecord.model_validate(
        {
            "matchId": str(uuid.uuid4()),
            "participantId": PersonFactory.buddy_uuid(participant),
            "buddyId": PersonFactory.buddy_uuid(buddy),
            "matchedAt": (timezone.now() - timedelta(days=10)).isoformat(),
        }
    )


def _export_row(participant, buddy, **overrides) -> MatchRecord:
    data = {
        "match_id": str(uuid.uuid4()),
        "participant_id": PersonFactory.buddy_uuid(participant),
        "buddy_id": PersonFactory.buddy_uuid(buddy),
        "matched_at": (timezone.now() - timedelta(days=10)).isoformat(),
        "status": "active",
    }
    return MatchRecord.model_validate(data | overrides)


# --- The participant has the participant role, the buddy the buddy role -----------------


def test_roles_webhook_answers_400_with_the_rule_code(client):
    ParticipantFactory(external_id=BUDDY_ID)  # the two swapped
    BuddyFactory(external_id=PARTICIPANT_ID)
    response = deliver(client, example("buddy.match.created"))
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == rules.ROLE_MISMATCH
    assert {e["path"] for e in body["errors"]} == {"data.participantId", "data.buddyId"}


def test_roles_webhook_processing_refuses_with_the_rule_code(program):
    with pytest.raises(DomainError) as error:
        match_record_created(record=_created(BuddyFactory(), BuddyFactory()), program=program)
    assert _code(error) == rules.ROLE_MISMATCH


def test_roles_import_rejects_the_row_with_the_rule_code(export, sample_rows, program):
    row = sample_rows["matches"][0]
    row["participant_id"], row["buddy_id"] = row["buddy_id"], row["participant_id"]
    rejected = _import(export, sample_rows, program)[0]  # its activities follow: unknown match
    assert (rejected["file"], rejected["line"]) == ("matches.csv", 2)
    assert rejected["code"] == rules.ROLE_MISMATCH
    assert rejected["message"] == rules.ROLE_MISMATCH_MESSAGE


def test_roles_single_row_import_refuses_with_the_rule_code(program):
    with pytest.raises(DomainError) as error:
        match_record_export(record=_export_row(BuddyFactory(), BuddyFactory()), program=program)
    assert _code(error) == rules.ROLE_MISMATCH


def test_roles_api_answers_409_with_the_rule_code(api):
    participant, buddy = BuddyFactory(), BuddyFactory()
    for person in (participant, buddy):
        EnrollmentFactory(person=person)
    response = api.post(
        "/api/matches/", {"participant": participant.pk, "buddy": buddy.pk}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == rules.ROLE_MISMATCH


def test_roles_admin_add_form_shows_the_rule_code(admin_client, program):
    response = admin_client.post(
        reverse("admin:buddy_match_add"),
        {
            "program": program.pk,
            "participant": ParticipantFactory().pk,
            "buddy": ParticipantFactory().pk,
            "matching_criteria": "{}",
        },
    )
    form = response.context["adminform"].form  # the form again, the refusal on it
    (message,) = [m for messages in form.errors.values() for m in messages]
    assert message.startswith(f"{rules.ROLE_MISMATCH}: ")
    assert not Match.objects.exists()


# --- A match cannot end before it started -----------------------------------------------


def test_dates_webhook_answers_400_with_the_rule_code(client):
    match = MatchFactory(external_id=MATCH_ID)
    ended = (match.matched_at - timedelta(days=1)).isoformat()
    response = deliver(client, example("buddy.match.ended", endedAt=ended))
    assert response.status_code == 400
    assert response.json()["code"] == rules.ENDS_BEFORE_START
    assert [e["path"] for e in response.json()["errors"]] == ["data.endedAt"]


def test_dates_import_rejects_the_row_with_the_rule_code(export, sample_rows, program):
    row = sample_rows["matches"][0]
    row.update(status="ended", ended_at="2025-02-01T10:00:00Z", end_reason="completed")
    rejected = _import(export, sample_rows, program)[0]
    assert (rejected["file"], rejected["line"], rejected["path"]) == ("matches.csv", 2, "ended_at")
    assert rejected["code"] == rules.ENDS_BEFORE_START


def test_dates_api_answers_400_with_the_rule_code(api):
    match = MatchFactory()
    ended = (match.matched_at - timedelta(days=1)).isoformat()
    response = api.post(
        f"/api/matches/{match.pk}/end/", {"end_reason": "completed", "ended_at": ended}
    )
    assert response.status_code == 400
    assert response.json()["code"] == rules.ENDS_BEFORE_START


def test_dates_admin_end_action_shows_the_rule_code(admin_client):
    match = MatchFactory(matched_at=timezone.now() + timedelta(hours=2))  # starts later today
    message = _admin_refusal(admin_client, "end", match, end_reason="completed")
    assert f"match #{match.pk}: {rules.ENDS_BEFORE_START}: " in message
    match.refresh_from_db()
    assert match.status == MatchStatus.ACTIVE


# --- A Buddy System id names something we know ------------------------------------------


def test_reference_webhook_names_the_rule_code(client):
    response = deliver(client, example("buddy.checkin.completed"))  # its match is unknown
    assert response.json()["error"].startswith(f"{rules.REFERENCE_UNKNOWN}: ")
    assert not CheckIn.objects.exists()


@pytest.mark.parametrize(
    ("entity", "field"),
    [
        ("matches", "participant_id"),
        ("matches", "buddy_id"),
        ("events", "match_id"),
        ("event_attendance", "user_id"),
        ("event_attendance", "match_id"),
        ("skill_sessions", "teacher_id"),
        ("skill_sessions", "learner_id"),
        ("skill_sessions", "match_id"),
        ("checkins", "match_id"),
        ("feedback", "match_id"),
        ("milestones", "user_id"),
    ],
)
def test_reference_import_rejects_the_row_with_the_rule_code(
    export, sample_rows, program, entity, field
):
    sample_rows[entity][0][field] = UNKNOWN
    rejected = _import(export, sample_rows, program)
    assert (rejected[0]["file"], rejected[0]["path"]) == (f"{entity}.csv", field)
    assert rejected[0]["code"] == rules.REFERENCE_UNKNOWN


def test_reference_single_row_services_refuse_with_the_rule_code(program):
    record = _export_row(ParticipantFactory(), BuddyFactory(), buddy_id=UNKNOWN)
    with pytest.raises(DomainError) as error:
        match_record_export(record=record, program=program)
    assert _code(error) == rules.REFERENCE_UNKNOWN


# --- A match's status only moves along the lifecycle ------------------------------------


def test_transition_import_rejects_the_row_with_the_rule_code(export, sample_rows, program):
    declined = MatchFactory(
        external_id=sample_rows["matches"][0]["match_id"], status=MatchStatus.DECLINED
    )  # the export says active: a declined proposal never moves again
    rejected = _import(export, sample_rows, program)
    assert [(r["file"], r["line"], r["path"], r["code"]) for r in rejected] == [
        ("matches.csv", 2, "status", rules.ILLEGAL_TRANSITION)
    ]
    declined.refresh_from_db()
    assert declined.status == MatchStatus.DECLINED


def test_transition_api_answers_409_with_the_rule_code(api):
    match = MatchFactory(ended=True)
    response = api.post(f"/api/matches/{match.pk}/activate/", {}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == rules.ILLEGAL_TRANSITION


def test_transition_admin_action_shows_the_rule_code(admin_client):
    match = MatchFactory(ended=True)
    message = _admin_refusal(admin_client, "activate", match)
    assert f"match #{match.pk}: {rules.ILLEGAL_TRANSITION}: " in message


# --- The stored report -------------------------------------------------------------------


def test_the_import_api_shows_each_rejected_row_with_its_place_and_code(
    api, export, sample_rows, program
):
    row = sample_rows["matches"][0]
    row["participant_id"], row["buddy_id"] = row["buddy_id"], row["participant_id"]
    run = import_run_create(program=program, path=export(sample_rows))
    import_run_execute(run=run)
    body = api.get(f"/api/imports/{run.pk}/").json()
    assert body["rejections"][:1] == [
        {
            "file": "matches.csv",
            "line": 2,
            "path": "participant_id",
            "code": rules.ROLE_MISMATCH,
            "message": rules.ROLE_MISMATCH_MESSAGE,
        }
    ]


def test_the_admin_shows_each_rejected_row_with_its_code(
    admin_client, export, sample_rows, program
):
    row = sample_rows["matches"][0]
    row["participant_id"], row["buddy_id"] = row["buddy_id"], row["participant_id"]
    run = import_run_create(program=program, path=export(sample_rows))
    import_run_execute(run=run)
    response = admin_client.get(reverse("admin:buddy_importrun_change", args=[run.pk]))
    expected = (
        f"matches.csv:2: participant_id: {rules.ROLE_MISMATCH_MESSAGE} [{rules.ROLE_MISMATCH}]"
    )
    assert expected in response.content.decode()
