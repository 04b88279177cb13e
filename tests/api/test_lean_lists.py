"""The lean list representation (``LeanListSerializer``) of people, matches and enrollments
gives, row for row, the JSON of the row serializer (DRF field by field), key for key and in
its order, for a coordinator and for a viewer (personal fields masked through
``core.pii``)."""

import json
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone
from rest_framework import serializers

from buddy import selectors
from buddy.api import serializers as api
from buddy.api.serializers import LeanListSerializer, MatchSerializer, PersonSerializer
from buddy.models import ExternalId, Match, Person
from buddy.models.base import with_program_type
from core.pii import MASK
from enrollments.api.serializers import EnrollmentSerializer
from tests.factories import (
    BuddyFactory,
    CompanyFactory,
    EnrollmentFactory,
    MatchFactory,
    ParticipantFactory,
    buddy_program,
)
from tests.seams import implementations

pytestmark = pytest.mark.django_db


def _rows():
    """People with and without a company and external ids, matches with and without their
    dates and counts, enrollments ended and not."""
    program, now = buddy_program(), timezone.now()
    buddy = BuddyFactory(company=CompanyFactory(name="Globex"), location="")
    participant = ParticipantFactory(languages=[], interests=["chess"])
    ExternalId.objects.create(person=buddy, provider="buddy_system", external_id="usr_1")
    ExternalId.objects.create(person=buddy, provider="buddy_system", external_id="usr_2")
    MatchFactory(program=program, participant=participant, buddy=buddy, matched_at=None)
    MatchFactory(
        program=program,
        buddy=buddy,
        status="ended",
        ended_at=now,
        duration_days=12,
        matching_criteria={"language": 1.0},
    )
    EnrollmentFactory(person=buddy, program=program)
    EnrollmentFactory(person=participant, program=program, completed_at=now - timedelta(days=1))


def _json(data) -> str:
    return json.dumps(data, default=str)


CASES = [
    (PersonSerializer, lambda: Person.objects.select_related("company").order_by("id")),
    # the program's type read with the rows (as the API's lists do) and from the program
    (MatchSerializer, lambda: with_program_type(Match.objects.order_by("id"))),
    (MatchSerializer, lambda: Match.objects.prefetch_related("program").order_by("id")),
    (EnrollmentSerializer, lambda: with_program_type(EnrollmentSerializer.Meta.model.objects)),
    (
        EnrollmentSerializer,
        lambda: EnrollmentSerializer.Meta.model.objects.prefetch_related("program"),
    ),
]
CASE_IDS = ["people", "matches", "matches-program", "enrollments", "enrollments-program"]


@pytest.mark.parametrize("login", ["coordinator", "viewer"])
@pytest.mark.parametrize(("serializer", "rows"), CASES, ids=CASE_IDS)
def test_a_lean_page_is_the_json_of_the_row_serializer(serializer, rows, login, request):
    _rows()
    context = {"request": SimpleNamespace(user=request.getfixturevalue(login))}
    page = list(rows())
    lean = serializer(page, many=True, context=context)
    reference = serializers.ListSerializer(child=serializer(), context=context)
    assert isinstance(lean, LeanListSerializer)
    assert len(page) >= 2
    assert _json(lean.data) == _json(reference.to_representation(page))


def test_a_viewer_reads_the_lean_people_page_masked(viewer):
    _rows()
    context = {"request": SimpleNamespace(user=viewer)}
    data = PersonSerializer(Person.objects.order_by("id"), many=True, context=context).data
    assert {(row["first_name"], row["email"]) for row in data} == {(MASK, MASK)}


def _activities():
    """One of each activity, with the optional values set on one row and left out on
    another."""
    from tests.factories import (
        CheckInFactory,
        EventAttendanceFactory,
        FeedbackFactory,
        InformalEventFactory,
        MilestoneAchievementFactory,
        SkillSessionFactory,
    )

    match = MatchFactory(program=buddy_program())
    for factory in (CheckInFactory, FeedbackFactory, InformalEventFactory):
        factory(match=match)
        factory(match=match)
    for factory in (EventAttendanceFactory, MilestoneAchievementFactory):
        factory(person=match.buddy)
        factory(person=match.participant)
    SkillSessionFactory(teacher=match.buddy, learner=match.participant, match=match)
    SkillSessionFactory(teacher=match.buddy, learner=match.participant)


ACTIVITIES = [
    api.CheckInSerializer,
    api.FeedbackSerializer,
    api.InformalEventSerializer,
    api.EventAttendanceSerializer,
    api.MilestoneSerializer,
    api.SkillSessionSerializer,
]


@pytest.mark.parametrize("login", ["coordinator", "viewer"])
@pytest.mark.parametrize("serializer", ACTIVITIES, ids=lambda s: s.Meta.model.__name__)
def test_a_lean_page_of_activities_is_the_json_of_the_row_serializer(serializer, login, request):
    _activities()
    context = {"request": SimpleNamespace(user=request.getfixturevalue(login))}
    page = list(serializer.Meta.model.objects.order_by("id"))
    lean = serializer(page, many=True, context=context)
    reference = serializers.ListSerializer(child=serializer(), context=context)
    assert isinstance(lean, LeanListSerializer)
    assert len(page) >= 2
    assert _json(lean.data) == _json(reference.to_representation(page))


def _lean_serializers() -> list[type]:
    import importlib

    for name in ("buddy.api.serializers", "enrollments.api.serializers"):
        importlib.import_module(name)
    found, todo = [], [api.MaskedModelSerializer]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            declared = vars(getattr(sub, "Meta", object))  # (a detail inherits its list's Meta)
            if declared.get("list_serializer_class") is LeanListSerializer:
                found.append(sub)
    return found


@pytest.mark.parametrize("serializer", _lean_serializers(), ids=lambda s: s.__name__)
def test_every_lean_list_is_rendered_lean_not_row_by_row(serializer):
    assert api._shape(serializer) is not None


external_ids = implementations(selectors._external_ids)


def test_the_people_api_answers_each_person_s_external_ids_as_the_person_reads_them(
    client, coordinator, external_ids
):
    """``external_ids_by_person`` (one statement a page) gives, person by person, what the
    serializer reads from the person itself: providers and ids in order, none as ``{}``."""
    program = buddy_program()
    people = [ParticipantFactory(), BuddyFactory(), ParticipantFactory()]
    for person in people:
        EnrollmentFactory(person=person, program=program)
    for provider, external_id in [
        ("mentor_hub", "m-9"),
        ("buddy_system", "usr_b"),
        ("buddy_system", "usr_a"),
    ]:
        ExternalId.objects.create(person=people[1], provider=provider, external_id=external_id)
    ExternalId.objects.create(person=people[0], provider="buddy_system", external_id="usr_c")
    ExternalId.objects.filter(person=people[2]).delete()
    client.force_login(coordinator)
    listed = {
        row["id"]: row["external_ids"] for row in client.get("/api/people/").json()["results"]
    }
    serializer = PersonSerializer()
    expected = {p.pk: serializer.get_external_ids(Person.objects.get(pk=p.pk)) for p in people}
    assert json.dumps(listed, sort_keys=False) == json.dumps(
        {pk: expected[pk] for pk in listed}, sort_keys=False
    )
    assert expected[people[1].pk]["buddy_system"] == ["usr_a", "usr_b"]
    assert expected[people[2].pk] == {}
    detail = client.get(f"/api/people/{people[1].pk}/").json()
    assert detail["external_ids"] == expected[people[1].pk]


def _model_rows(model, ids: list[int]) -> list:
    rows = model.objects.in_bulk(ids)
    if hasattr(model, "program_type"):  # (ProgramTyped: read from its program)
        rows = with_program_type(model.objects.all()).in_bulk(ids)
    return [rows[pk] for pk in ids]


PLAIN_ROW_LISTS = [
    ("/api/matches/", MatchSerializer),
    ("/api/enrollments/", EnrollmentSerializer),
    ("/api/check-ins/", api.CheckInSerializer),
    ("/api/feedback/", api.FeedbackSerializer),
    ("/api/informal-events/", api.InformalEventSerializer),
    ("/api/attendances/", api.EventAttendanceSerializer),
    ("/api/milestones/", api.MilestoneSerializer),
    ("/api/skill-sessions/", api.SkillSessionSerializer),
]


@pytest.mark.parametrize("login", ["coordinator", "viewer"])
@pytest.mark.parametrize(("path", "serializer"), PLAIN_ROW_LISTS, ids=lambda v: str(v))
def test_a_page_read_as_plain_rows_is_the_json_of_the_row_serializer_of_its_models(
    client, path, serializer, login, request
):
    """A list whose lean representation reads one plain value per field gets its page as
    named tuples of those values (``lean_row_attributes``), not model instances: the same
    bytes as the row serializer gives for the rows' model instances."""
    from rest_framework.renderers import JSONRenderer

    _rows()
    _activities()
    for person in Person.objects.filter(enrollments__isnull=True):  # in the login's scope
        EnrollmentFactory(person=person, program=buddy_program())
    user = request.getfixturevalue(login)
    client.force_login(user)
    assert api.lean_row_attributes(serializer) is not None
    page = client.get(path, {"limit": 3}).json()
    results = page["results"]
    assert len(results) >= 2
    rows = _model_rows(serializer.Meta.model, [row["id"] for row in results])
    context = {"request": SimpleNamespace(user=user)}
    reference = serializers.ListSerializer(child=serializer(), context=context)
    render = JSONRenderer().render
    assert render(results) == render(reference.to_representation(rows))
    following = client.get(client.get(path, {"limit": 1}).json()["next"])  # a plain row's cursor
    assert following.json()["results"][0] == results[1]


def test_a_list_whose_fields_read_more_than_a_plain_value_reads_model_instances():
    assert api.lean_row_attributes(PersonSerializer) is None  # a method, a related name
    attributes = api.lean_row_attributes(MatchSerializer)
    assert {"program_type", "participant_id", "buddy_id", "matched_at"} <= set(attributes)


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin"])
def test_a_lean_page_writes_each_date_time_as_drf_does_in_the_current_zone(zone):
    """Values read from the database are in UTC: written as they are (Z) when the current
    zone is UTC, converted to it otherwise; with and without a fraction of a second."""
    import datetime

    values = [
        datetime.datetime(2026, 3, 29, 1, 30, tzinfo=datetime.UTC),  # Berlin's DST switch
        datetime.datetime(2026, 7, 1, 12, 0, 0, 5, tzinfo=datetime.UTC),
        datetime.datetime(2026, 7, 1, 12, 0, tzinfo=datetime.timezone(timedelta(hours=2))),
    ]
    field = serializers.DateTimeField()
    with timezone.override(zone):
        convert = api._iso_datetime(field)
        assert [convert(v) for v in values] == [field.to_representation(v) for v in values]


def test_a_lean_page_writes_each_choice_as_drf_does():
    from buddy.models import MatchStatus

    field = serializers.ChoiceField(choices=MatchStatus.choices)
    convert = api._choice(field)
    values = ["active", "", "not-a-choice", MatchStatus.ENDED]
    assert [convert(v) for v in values] == [field.to_representation(v) for v in values]
