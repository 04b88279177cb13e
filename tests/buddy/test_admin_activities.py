"""Activities added or changed in the admin are saved by the webhook's and the import's
service, validated by the same schema: the same recompute, the same refusals."""

from datetime import timedelta

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from buddy.models import (
    CheckIn,
    DataSource,
    EventAttendance,
    Feedback,
    InformalEvent,
    Match,
    MilestoneAchievement,
    PendingRecompute,
    SkillSession,
)
from buddy.schemas import CheckInRecord, FeedbackRecord, validate_record
from core.errors import ValidationFailed
from tests.factories import (
    CheckInFactory,
    EnrollmentFactory,
    EventAttendanceFactory,
    FeedbackFactory,
    InformalEventFactory,
    MatchFactory,
    MilestoneAchievementFactory,
    SkillSessionFactory,
)

pytestmark = pytest.mark.django_db


def url(model, obj=None) -> str:
    name = f"admin:buddy_{model._meta.model_name}_{'change' if obj else 'add'}"
    return reverse(name, args=[obj.pk] if obj else [])


def post_data(rf, admin_user, obj) -> dict:
    """What the admin's own form posts for ``obj`` (saved or not)."""
    request = rf.get("/")
    request.user = admin_user
    model_admin = admin.site._registry[type(obj)]
    form = model_admin.get_form(request, obj if obj.pk else None)(instance=obj)
    data = {}
    for field in form:
        value = field.value()
        widget = field.field.widget
        if hasattr(widget, "widgets"):  # split date and time
            for i, part in enumerate(widget.decompress(value)):
                data[f"{field.html_name}_{i}"] = "" if part is None else str(part)
        elif value is not None:
            data[field.html_name] = str(value)
    return data


def queued() -> set[tuple[int, int]]:
    return set(PendingRecompute.objects.values_list("person_id", "program_id"))


def of_match(match: Match) -> set[tuple[int, int]]:
    return {(match.participant_id, match.program_id), (match.buddy_id, match.program_id)}


#: kind → (an unsaved row on a saved match, the people its recording recomputes)
def _informal_event():
    obj = InformalEventFactory.build(match=MatchFactory())
    return obj, of_match(obj.match)


def _attendance():
    match = MatchFactory()
    obj = EventAttendanceFactory.build(person=match.participant, match=match)
    return obj, of_match(match)


def _skill_session():
    match = MatchFactory()
    obj = SkillSessionFactory.build(match=match, teacher=match.buddy, learner=match.participant)
    return obj, of_match(match)


def _checkin():
    obj = CheckInFactory.build(match=MatchFactory())
    return obj, of_match(obj.match)


def _feedback():
    obj = FeedbackFactory.build(match=MatchFactory())
    return obj, of_match(obj.match)


def _milestone():
    enrollment = EnrollmentFactory()
    obj = MilestoneAchievementFactory.build(person=enrollment.person)
    return obj, {(enrollment.person_id, enrollment.program_id)}


KINDS = {
    InformalEvent: _informal_event,
    EventAttendance: _attendance,
    SkillSession: _skill_session,
    CheckIn: _checkin,
    Feedback: _feedback,
    MilestoneAchievement: _milestone,
}


@pytest.mark.parametrize("model", KINDS, ids=lambda m: m.__name__)
def test_an_activity_added_in_admin_is_recorded_by_the_service_and_queues_the_recompute(
    admin_client, admin_user, rf, model
):
    obj, people = KINDS[model]()
    PendingRecompute.objects.all().delete()
    response = admin_client.post(url(model), post_data(rf, admin_user, obj))
    assert response.status_code == 302, response.context["adminform"].form.errors
    saved = model.objects.get()
    assert saved.source == DataSource.COORDINATOR
    assert queued() == people


@pytest.mark.parametrize("model", KINDS, ids=lambda m: m.__name__)
def test_an_activity_changed_in_admin_queues_the_recompute(admin_client, admin_user, rf, model):
    obj, people = KINDS[model]()
    obj.source = DataSource.WEBHOOK
    obj.save()
    PendingRecompute.objects.all().delete()
    data = post_data(rf, admin_user, obj)
    data["duration_minutes" if "duration_minutes" in data else "points"] = "7"
    response = admin_client.post(url(model, obj), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert queued() == people
    obj.refresh_from_db()
    assert obj.source == DataSource.WEBHOOK  # where it came from stays


def test_the_key_and_the_derived_columns_are_not_editable(admin_client):
    event = InformalEventFactory(unknown_attendee_ids=["x"])
    form = admin_client.get(url(InformalEvent, event)).context["adminform"].form
    assert "external_id" not in form.fields and "unknown_attendee_ids" not in form.fields
    add_form = admin_client.get(url(InformalEvent)).context["adminform"].form
    assert "external_id" in add_form.fields and "unknown_attendee_ids" not in add_form.fields


def test_a_value_the_schema_refuses_is_refused_in_admin_with_the_schemas_message(
    admin_client, admin_user, rf
):
    obj, _ = _feedback()
    data = post_data(rf, admin_user, obj)
    data["rating"] = "1.5"
    with pytest.raises(ValidationFailed) as refused:
        validate_record(
            FeedbackRecord,
            {
                "feedback_id": str(obj.external_id),
                "match_id": str(obj.match.external_id),
                "from_role": "participant",
                "rating": 1.5,
                "submitted_at": obj.submitted_at.isoformat(),
            },
        )
    (error,) = refused.value.errors
    response = admin_client.post(url(Feedback), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"rating": [error.message]}
    assert not Feedback.objects.exists()
    assert not PendingRecompute.objects.exists()


def test_a_future_checkin_date_is_refused_in_admin_as_by_the_schema(admin_client, admin_user, rf):
    obj, _ = _checkin()
    obj.checkin_date = timezone.now() + timedelta(days=3)
    record = {"checkin_id": str(obj.external_id), "match_id": str(obj.match.external_id)}
    with pytest.raises(ValidationFailed) as refused:
        validate_record(CheckInRecord, {**record, "checkin_date": obj.checkin_date.isoformat()})
    response = admin_client.post(url(CheckIn), post_data(rf, admin_user, obj))
    form = response.context["adminform"].form
    assert form.errors == {"checkin_date": [refused.value.errors[0].message]}
    assert not CheckIn.objects.exists()


def test_an_activity_on_a_match_the_buddy_system_does_not_know_is_refused_on_the_form(
    admin_client, admin_user, rf
):
    obj = CheckInFactory.build(match=MatchFactory(external_id=None, source=DataSource.COORDINATOR))
    response = admin_client.post(url(CheckIn), post_data(rf, admin_user, obj))
    assert response.status_code == 200
    (message,) = response.context["adminform"].form.errors["match"]
    assert "Buddy System id" in message
    assert not CheckIn.objects.exists()


def test_concurrent_active_is_in_no_admin_form(rf, admin_user):
    request = rf.get("/")
    request.user = admin_user
    match = MatchFactory()
    for model, model_admin in admin.site._registry.items():
        forms = [model_admin.get_form(request)]
        if model is Match:
            forms.append(model_admin.get_form(request, match, change=True))
        for form in forms:
            assert "concurrent_active" not in form.base_fields, model.__name__


@pytest.mark.parametrize("model", KINDS, ids=lambda m: m.__name__)
def test_an_activity_deleted_in_admin_queues_the_recompute_of_its_people(admin_client, model):
    obj, people = KINDS[model]()
    obj.save()
    PendingRecompute.objects.all().delete()
    name = f"admin:buddy_{model._meta.model_name}_delete"
    response = admin_client.post(reverse(name, args=[obj.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not model.objects.exists()
    assert queued() == people


def test_activities_deleted_together_in_admin_queue_each_ones_people(admin_client):
    first, second = CheckInFactory(), CheckInFactory()
    PendingRecompute.objects.all().delete()
    response = admin_client.post(
        reverse("admin:buddy_checkin_changelist"),
        {"action": "delete_selected", "_selected_action": [first.pk, second.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not CheckIn.objects.exists()
    assert queued() == of_match(first.match) | of_match(second.match)
