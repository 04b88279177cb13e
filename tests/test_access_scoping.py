"""Scoping and masking: what each kind of login receives, over every readable URL.

The URLs come from the table of ``test_access_matrix`` (every GET endpoint and page), so a
new list or detail is checked here as soon as it is in the table.
"""

import json
import uuid

import pytest
from django.test import Client
from django.urls import reverse

from buddy.models import CheckIn, Feedback, InformalEvent, Program, ProgramType, SkillSession
from core.pii import MASK, personal_data_fields
from tests.factories import (
    BuddyFactory,
    CheckInFactory,
    CompanyFactory,
    EnrollmentFactory,
    EventAttendanceFactory,
    FeedbackFactory,
    InformalEventFactory,
    MatchFactory,
    ParticipantFactory,
    SkillSessionFactory,
    WebhookDeliveryFactory,
    WebhookEventFactory,
    coordinator_of,
)
from tests.test_access_matrix import ALSO_READ, ROLES, TABLE, World, url_patterns

pytestmark = pytest.mark.django_db


def readable_urls(world: World, role: str) -> list[str]:
    """Every GET URL of the table that answers 200 to the role, details filled with rows of
    program A."""
    urls = []
    for name, pattern in url_patterns():
        entry = ALSO_READ.get(name) or TABLE.get(name)
        if entry is None or entry.method != "GET" or "format" in pattern.pattern.regex.groupindex:
            continue
        if entry.expected[ROLES.index(role)] != 200:
            continue
        urls.append(reverse(name, kwargs=world.kwargs(entry, pattern)))
    return urls


def personal_values() -> set[str]:
    """Every personal value stored in the database (``core.pii``), as text."""
    from django.apps import apps

    values = set()
    for label, names in personal_data_fields().items():
        for row in apps.get_model(label).objects.values(*names):
            for value in row.values():
                if isinstance(value, dict):
                    values.update(str(v) for v in value.values() if v)
                elif value:
                    values.add(str(value))
    return {v for v in values if len(v) >= 4}


def body_text(response) -> str:
    """A response's content as text; a zip (a person's export) as the text of its files."""
    if response.get("Content-Type") == "application/zip":
        import io
        import zipfile

        with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
            return "\n".join(archive.read(n).decode() for n in archive.namelist())
    return response.content.decode()


def with_activity(world: World) -> None:
    """Free text on every kind of activity of program A's match."""
    match = world.match
    CheckInFactory(match=match, notes="Checkin-notes-secret-7781", mood="good")
    FeedbackFactory(match=match, feedback_text="Feedback-text-secret-1297")
    InformalEventFactory(match=match, description="Event-description-secret-5512")
    SkillSessionFactory(
        match=match,
        teacher=world.buddy,
        learner=world.participant,
        teacher_comment="Teacher-comment-secret-3301",
    )


def every_personal_field_distinct(world: World) -> None:
    """A row of program A of every model with personal fields, each such field of every row
    holding a value no page could show by chance (so a new personal field is covered by
    being listed in ``core.pii``)."""
    from datetime import timedelta

    from django.apps import apps
    from django.db.models import JSONField
    from django.utils import timezone

    from concerns.services import concern_meeting_add
    from enrollments.services import attention_snooze

    with_activity(world)
    EventAttendanceFactory(person=world.participant)
    concern_meeting_add(concern=world.acknowledged_concern, held_at=timezone.now())
    attention_snooze(
        program=world.a,
        kind="match.no_contact_14",
        subject_type="match",
        subject_id=world.match.pk,
        fingerprint="f",
        until=timezone.localdate() + timedelta(days=3),
    )
    for label, names in personal_data_fields().items():
        model = apps.get_model(label)
        assert model.objects.exists(), f"no {label} row: add one above"
        for pk in model.objects.values_list("pk", flat=True):
            values = {}
            for name in names:
                token = f"{name[:3]}{uuid.uuid4().hex[:12]}"
                field = model._meta.get_field(name)
                if isinstance(field, JSONField):
                    values[name] = {"answer": token}
                elif name == "email":
                    values[name] = f"{token}@example.test"
                else:
                    values[name] = token
            model.objects.filter(pk=pk).update(**values)


def distinctive_names() -> None:
    """Names no page could show by chance (Faker's "Green" is also a word in a page)."""
    from buddy.models import Person

    for person in Person.objects.all():
        token = uuid.uuid4().hex[:12]
        person.first_name, person.last_name = f"First{token}", f"Last{token}"
        person.email = f"mail{token}@example.test"
        person.save()


def test_a_viewer_never_receives_a_personal_value(client):
    world = World()
    every_personal_field_distinct(world)
    world.participant.refresh_from_db()
    secrets = personal_values()
    assert world.participant.email in secrets
    client.force_login(world.users["viewer"])
    for url in readable_urls(world, "viewer"):
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        leaked = {value for value in secrets if value in body}
        assert not leaked, (url, leaked)


def test_a_viewer_sees_the_shape_of_a_person_with_personal_fields_masked(client):
    world = World()
    client.force_login(world.users["viewer"])
    body = client.get(f"/api/people/{world.participant.pk}/").json()
    assert body["first_name"] == body["last_name"] == body["email"] == MASK
    assert body["role"] == "participant" and body["id"] == world.participant.pk


def test_a_coordinator_sees_personal_data_unmasked(client):
    world = World()
    client.force_login(world.users["coordinator_a"])
    body = client.get(f"/api/people/{world.participant.pk}/").json()
    assert body["email"] == world.participant.email


def test_masking_follows_the_personal_data_list_not_the_serializer(client, monkeypatch):
    """A field marked personal is masked without touching the API (``core.pii``)."""
    from buddy.models import Person
    from core import pii

    world = World()
    monkeypatch.setattr(pii, "personal_field_names", lambda model: frozenset({"location"}))
    assert Person.objects.filter(pk=world.participant.pk).update(location="Berlin") == 1
    client.force_login(world.users["viewer"])
    body = client.get(f"/api/people/{world.participant.pk}/").json()
    assert body["location"] == MASK


def program_b_rows(world: World) -> set[str]:
    """Rows of program B only, named by ids no row of A shares."""
    participant, buddy = ParticipantFactory(), BuddyFactory()
    for person in (participant, buddy):
        EnrollmentFactory(person=person, program=world.b)
    match = MatchFactory(program=world.b, participant=participant, buddy=buddy)
    event = WebhookEventFactory(match_id=match.external_id)
    WebhookDeliveryFactory(event=event, dead=True)
    from buddy.models import ImportRun

    ImportRun.objects.create(program=world.b, file_name="b-export-only.zip")
    return {
        str(match.external_id),
        str(event.event_id),
        participant.email,
        buddy.email,
        "b-export-only.zip",
    }


def test_a_coordinator_of_a_never_receives_a_row_of_b(client):
    world = World()
    rows_of_b = program_b_rows(world)
    client.force_login(world.users["coordinator_a"])
    urls = [
        *readable_urls(world, "coordinator_a"),
        "/api/matches/?program=mentorship",
        "/api/matches/?status=active",
        "/api/people/?role=participant",
        "/api/webhooks/events/?status=received",
        "/webhooks/review/?status=all",
        "/webhooks/review/?status=dead",
    ]
    for url in urls:
        body = body_text(client.get(url))
        assert not {value for value in rows_of_b if value in body}, url


def test_search_filters_exports_and_figures_of_a_coordinator_of_a_name_no_row_of_b(client):
    """What a coordinator can type (a search, a filter naming B) or download (impact as CSV,
    a person's export) gives nothing of program B: no row, no id, no figure."""
    from buddy.models import Person

    world = World()
    rows_of_b = program_b_rows(world)
    person_b = Person.objects.get(matches_as_participant__program=world.b)
    match_b = person_b.matches_as_participant.get()
    SkillSessionFactory(
        match=match_b, teacher=match_b.buddy, learner=person_b, duration_minutes=600
    )
    external_id = person_b.external_ids.first().external_id
    client.force_login(world.users["coordinator_a"])
    searches = [person_b.first_name, person_b.last_name, str(person_b.pk), external_id]
    urls = [
        *(f"/people/?q={value}" for value in searches),
        f"/api/people/?search={person_b.last_name}",
        f"/api/matches/?participant={person_b.pk}",
        "/api/people/?program=mentorship",
        "/api/enrollments/?program=mentorship",
        "/api/journey-flags/?program=mentorship",
        "/api/recommendations/proposals/?program=mentorship",
        "/api/events/?program=mentorship",
        "/api/impact/?per=volunteer",
        "/api/impact/?per=volunteer&format=csv",
        "/api/impact/?per=company&format=csv",
        "/webhooks/stats",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        body = body_text(response)
        assert not {value for value in rows_of_b if value in body}, url
    volunteers = {row["key"] for row in client.get("/api/impact/?per=volunteer").json()["rows"]}
    assert match_b.buddy_id not in volunteers
    for url in (
        "/people/?program=mentorship",
        "/matches/?program=mentorship",
        "/attention/?program=mentorship",
        "/api/impact/?program=mentorship",
        "/api/q2q/evidence/?program=mentorship",
        "/api/health/?program=mentorship",
        f"/people/{person_b.pk}/export/",
        f"/api/people/{person_b.pk}/export/",
    ):
        assert client.get(url).status_code == 404, url


def test_rows_of_another_program_answer_404(client):
    world = World()
    program_b_rows(world)
    client.force_login(world.users["coordinator_b"])
    assert client.get(f"/api/people/{world.participant.pk}/").status_code == 404
    assert client.get(f"/api/matches/{world.match.pk}/").status_code == 404
    assert client.get(f"/api/webhooks/events/{world.event.event_id}/").status_code == 404
    assert client.get("/api/attention/?program=buddy").status_code == 404
    assert client.get("/attention/?program=buddy").status_code == 404
    assert client.get("/api/impact/?program=buddy").status_code == 404


def test_the_attention_queue_of_a_coordinator_is_their_program(client):
    world = World()
    program_b_rows(world)
    client.force_login(world.users["coordinator_b"])
    body = client.get("/api/attention/").json()
    assert body["program"] == "mentorship"


def test_events_naming_nobody_known_are_for_superusers_only(client, admin_user):
    world = World()
    stranger = WebhookEventFactory()  # names a user and match nobody knows
    client.force_login(world.users["coordinator_a"])
    ids = {row["event_id"] for row in client.get("/api/webhooks/events/").json()["results"]}
    assert str(world.event.event_id) in ids and str(stranger.event_id) not in ids
    client.force_login(admin_user)
    ids = {row["event_id"] for row in client.get("/api/webhooks/events/").json()["results"]}
    assert str(stranger.event_id) in ids


def test_a_company_user_receives_only_their_companys_aggregates(client):
    world = World()
    other = BuddyFactory(company=CompanyFactory(name="Initech"))
    EnrollmentFactory(person=other, program=world.a)
    MatchFactory(program=world.a, buddy=other)
    company = world.buddy.company
    client.force_login(world.users["company"])
    body = client.get("/api/impact/").json()
    assert body["per"] == "company"
    assert [row["key"] for row in body["rows"]] in ([company.pk], [])
    assert client.get("/api/impact/?per=volunteer").status_code == 403
    assert client.get("/api/impact/?per=program").status_code == 403
    for url in ("/api/people/", "/api/matches/", "/api/attention/", "/api/webhooks/events/"):
        assert client.get(url).status_code == 403, url


def test_a_company_user_with_activity_gets_hours_for_their_company():
    world = World()
    SkillSessionFactory(
        match=world.match, teacher=world.buddy, learner=world.participant, duration_minutes=120
    )
    client = Client()
    client.force_login(world.users["company"])
    rows = client.get("/api/impact/?per=company").json()["rows"]
    assert len(rows) == 1 and rows[0]["key"] == world.buddy.company_id
    assert rows[0]["hours"]["skill_session"] == 2.0
    assert "first_name" not in json.dumps(rows)


def test_a_role_without_scope_gives_nothing(client):
    from django.contrib.auth.models import Group

    from tests.factories import UserFactory

    user = UserFactory(username="coordinates-nothing")
    user.groups.add(Group.objects.get(name="coordinator"))
    client.force_login(user)
    assert client.get("/api/matches/").status_code == 403
    assert client.get("/").status_code == 403


def test_a_viewer_cannot_write_anything(client):
    world = World()
    client.force_login(world.users["viewer"])
    response = client.post(
        f"/api/matches/{world.match.pk}/end/",
        {"end_reason": "violation"},
        content_type="application/json",
    )
    assert response.status_code == 403
    world.match.refresh_from_db()
    assert world.match.status == "active"


def test_the_proposal_form_reads_people_of_other_programs_as_unknown(client):
    world = World()
    stranger = ParticipantFactory()
    EnrollmentFactory(person=stranger, program=Program.objects.get(program_type="language"))
    client.force_login(world.users["coordinator_a"])
    response = client.post(
        "/api/matches/",
        {"participant": stranger.pk, "buddy": world.buddy.pk},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert [e["path"] for e in response.json()["errors"]] == ["participant"]


def test_grants_for_several_programs_add_up(client):
    mentorship = Program.objects.get(program_type=ProgramType.MENTORSHIP)
    buddy = Program.objects.get(program_type=ProgramType.BUDDY)
    user = coordinator_of(buddy, mentorship, username="both")
    client.force_login(user)
    programs = {p.program_type for p in client.get("/").context["programs"]}
    assert programs == {"buddy", "mentorship"}


def test_activity_rows_follow_their_match_program():
    from buddy.access import access_for
    from buddy.selectors import scope_matches, scope_person_rows

    world = World()
    with_activity(world)
    program_b_rows(world)
    access_b = access_for(world.users["coordinator_b"])
    for model in (CheckIn, Feedback, InformalEvent):
        assert not scope_matches(model.objects.all(), access_b, via="match__").exists()
    sessions = scope_person_rows(
        SkillSession.objects.all(), access_b, person_fields=("teacher", "learner")
    )
    assert not sessions.exists()
    access_a = access_for(world.users["coordinator_a"])
    assert scope_matches(CheckIn.objects.all(), access_a, via="match__").count() == 1


def _enrolled_pair(program):
    participant, buddy = ParticipantFactory(), BuddyFactory()
    for person in (participant, buddy):
        EnrollmentFactory(person=person, program=program)
    return participant, buddy


def test_a_proposal_without_a_program_never_goes_into_a_program_out_of_scope(client):
    """The default program (buddy) is only the default for those who coordinate it."""
    from buddy.models import Match

    mentorship = Program.objects.get(program_type=ProgramType.MENTORSHIP)
    participant, buddy = _enrolled_pair(mentorship)
    client.force_login(coordinator_of(mentorship, username="coordinates-mentorship"))
    response = client.post(
        "/api/matches/",
        {"participant": participant.pk, "buddy": buddy.pk},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert [e["path"] for e in response.json()["errors"]] == ["program"]
    assert not Match.objects.exists()


def test_a_recommendation_run_without_a_program_never_starts_out_of_scope(client):
    from matching.models import RecommendationRun

    mentorship = Program.objects.get(program_type=ProgramType.MENTORSHIP)
    client.force_login(coordinator_of(mentorship, username="coordinates-mentorship"))
    response = client.post("/api/recommendations/runs/", {}, content_type="application/json")
    assert response.status_code == 400
    assert [e["path"] for e in response.json()["errors"]] == ["program"]
    assert not RecommendationRun.objects.exists()


def test_an_upload_without_a_program_never_imports_out_of_scope(client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from buddy.models import ImportRun

    mentorship = Program.objects.get(program_type=ProgramType.MENTORSHIP)
    client.force_login(coordinator_of(mentorship, username="coordinates-mentorship"))
    upload = SimpleUploadedFile("export.json", b"{}", content_type="application/json")
    response = client.post("/api/imports/", {"file": upload})
    assert response.status_code == 400
    assert [e["path"] for e in response.json()["errors"]] == ["program"]
    assert not ImportRun.objects.exists()


def test_a_write_without_a_program_goes_into_buddy_for_its_coordinator(client):
    from matching.models import RecommendationRun

    buddy_program = Program.objects.get(program_type=ProgramType.BUDDY)
    participant, buddy = _enrolled_pair(buddy_program)
    client.force_login(coordinator_of(buddy_program, username="coordinates-buddy"))
    response = client.post(
        "/api/matches/",
        {"participant": participant.pk, "buddy": buddy.pk},
        content_type="application/json",
    )
    assert response.status_code == 201 and response.json()["program"] == "buddy"
    response = client.post("/api/recommendations/runs/", {}, content_type="application/json")
    assert response.status_code == 202
    assert RecommendationRun.objects.get().program == buddy_program


def test_staff_without_a_role_or_permissions_reads_and_changes_nothing(client):
    """Issue 14's finding: staff accounts with no permission uploaded imports and replayed
    webhooks. Being staff opens the admin (to what its permissions allow), not the program."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from buddy.models import ImportRun
    from tests.factories import UserFactory

    world = World()
    runs = ImportRun.objects.count()
    client.force_login(UserFactory(username="staff-only", is_staff=True))
    upload = SimpleUploadedFile("export.json", b"{}", content_type="application/json")
    writes = {
        "/api/imports/": {"file": upload, "program": "buddy"},
        f"/api/webhooks/events/{world.event.event_id}/replay/": {},
        f"/api/webhooks/deliveries/{world.webhook_delivery.pk}/replay/": {},
        f"/api/matches/{world.match.pk}/end/": {"end_reason": "violation"},
    }
    for url, data in writes.items():
        assert client.post(url, data).status_code == 403, url
    for url in ("/api/people/", "/api/matches/", "/", "/people/", "/webhooks/review/"):
        assert client.get(url).status_code == 403, url
    world.match.refresh_from_db()
    assert world.match.status == "active" and ImportRun.objects.count() == runs


def test_the_impact_api_gives_a_company_user_their_companys_match_health_only():
    from tests.enrollments.health_rows import scored_match

    world = World()
    SkillSessionFactory(
        match=world.match, teacher=world.buddy, learner=world.participant, duration_minutes=60
    )
    scored_match(world.a, band="at_risk", company=world.buddy.company)
    scored_match(world.a, band="healthy", company=CompanyFactory(name="Initech"))
    client = Client()
    client.force_login(world.users["company"])
    body = client.get("/api/impact/?per=company").json()
    (row,) = body["rows"]
    assert row["health"]["at_risk"] == 1 and row["health"]["total"] == 1
    assert [week["total"] for week in body["health_weeks"]] == [1]
