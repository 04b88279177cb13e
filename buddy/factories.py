"""factory-boy factories of the buddy app's models, shared by ``seed_demo`` and the tests.

People are created with a Buddy System external id, like people that arrive by
webhook or import, so services that resolve ids find them. Tests import them (and the
factories of other apps' models) from ``tests.factories``.
"""

import uuid
from datetime import timedelta

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from buddy.models import (
    CheckIn,
    Company,
    DataSource,
    EventAttendance,
    ExternalId,
    Feedback,
    InformalEvent,
    Match,
    MatchStatus,
    MilestoneAchievement,
    Person,
    Program,
    ProgramType,
    Role,
    SkillSession,
    User,
)

LANGUAGES = ["uk", "ru", "ar", "fa", "en", "de", "tr", "ti", "so", "fr", "es", "pl"]
INTERESTS = [
    "cooking", "chess", "hiking", "football", "photography", "music", "yoga", "running",
    "reading", "gardening", "cycling", "painting", "coding", "theatre", "board-games", "dancing",
]  # fmt: skip
CITIES = ["Berlin", "Hamburg", "Munich", "Cologne", "Leipzig", "Potsdam", "Frankfurt", "Dresden"]


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"login{n}")
    is_staff = False
    password = factory.django.Password("coordinator-pass")


class CompanyFactory(DjangoModelFactory):
    class Meta:
        model = Company
        django_get_or_create = ("name",)

    name = factory.Faker("company")


def buddy_program() -> Program:
    return Program.objects.get(program_type=ProgramType.BUDDY)


class PersonFactory(DjangoModelFactory):
    class Meta:
        model = Person
        skip_postgeneration_save = True

    class Params:
        external_uuid = factory.LazyFunction(uuid.uuid4)

    role = Role.PARTICIPANT
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"person{n}@example.org")
    joined_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=200))
    languages = factory.LazyFunction(lambda: ["uk", "en"])
    interests = factory.LazyFunction(lambda: ["cooking", "chess"])
    location = "Berlin"
    capacity = 1

    @factory.post_generation
    def external_id(self, create, extracted, **kwargs):
        """Link a Buddy System id (pass ``external_id=<uuid>`` to choose it, ``False`` for none)."""
        if not create or extracted is False:
            return
        ExternalId.objects.create(
            provider="buddy", external_id=str(extracted or uuid.uuid4()), person=self
        )

    @classmethod
    def buddy_uuid(cls, person: Person) -> str:
        return person.external_ids.get(provider="buddy").external_id


class ParticipantFactory(PersonFactory):
    role = Role.PARTICIPANT


class BuddyFactory(PersonFactory):
    role = Role.BUDDY
    company = factory.SubFactory(CompanyFactory)
    languages = factory.LazyFunction(lambda: ["de", "en"])


class MatchFactory(DjangoModelFactory):
    """An active match reported by the Buddy System (use ``source=`` for others)."""

    class Meta:
        model = Match

    external_id = factory.LazyFunction(uuid.uuid4)
    program = factory.LazyFunction(buddy_program)
    participant = factory.SubFactory(ParticipantFactory)
    buddy = factory.SubFactory(BuddyFactory)
    status = MatchStatus.ACTIVE
    matched_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=60))
    source = DataSource.WEBHOOK
    matching_criteria = factory.LazyFunction(lambda: {"language": "en"})

    class Params:
        ended = factory.Trait(
            status=MatchStatus.ENDED,
            ended_at=factory.LazyAttribute(lambda o: o.matched_at + timedelta(days=30)),
            end_reason="completed",
            duration_days=30,
        )


class InformalEventFactory(DjangoModelFactory):
    class Meta:
        model = InformalEvent

    external_id = factory.LazyFunction(uuid.uuid4)
    match = factory.SubFactory(MatchFactory)
    event_type = "hangout"
    event_date = factory.LazyAttribute(lambda o: o.match.matched_at + timedelta(days=3))
    description = "Coffee and a walk"
    location = "Berlin"
    duration_minutes = 90
    source = DataSource.WEBHOOK


class EventAttendanceFactory(DjangoModelFactory):
    class Meta:
        model = EventAttendance

    event_external_id = factory.LazyFunction(uuid.uuid4)
    person = factory.SubFactory(ParticipantFactory)
    match = None
    event_title = "Intercultural cooking night"
    event_type = "cultural"
    event_format = "in-person"
    attended_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=10))
    duration_minutes = 120
    sdg_goals = factory.LazyFunction(lambda: [10, 11])
    source = DataSource.WEBHOOK


class SkillSessionFactory(DjangoModelFactory):
    class Meta:
        model = SkillSession

    external_id = factory.LazyFunction(uuid.uuid4)
    skill_id = 12
    skill_name = "CV Writing"
    skill_category = "professional"
    match = factory.SubFactory(MatchFactory)
    teacher = factory.SelfAttribute("match.buddy")
    learner = factory.SelfAttribute("match.participant")
    completed_at = factory.LazyAttribute(lambda o: o.match.matched_at + timedelta(days=5))
    duration_minutes = 60
    format = "online"
    teacher_rating = 0.9
    learner_rating = 1.0
    sdg_goals = factory.LazyFunction(lambda: [4, 8])
    source = DataSource.WEBHOOK


class CheckInFactory(DjangoModelFactory):
    class Meta:
        model = CheckIn

    external_id = factory.LazyFunction(uuid.uuid4)
    match = factory.SubFactory(MatchFactory)
    checkin_date = factory.LazyAttribute(lambda o: o.match.matched_at + timedelta(days=7))
    mood = "good"
    notes = "Settling in."
    source = DataSource.WEBHOOK


class FeedbackFactory(DjangoModelFactory):
    class Meta:
        model = Feedback

    external_id = factory.LazyFunction(uuid.uuid4)
    match = factory.SubFactory(MatchFactory)
    from_role = "participant"
    rating = 0.8
    submitted_at = factory.LazyAttribute(lambda o: o.match.matched_at + timedelta(days=20))
    communication = 0.9
    source = DataSource.WEBHOOK


class MilestoneAchievementFactory(DjangoModelFactory):
    class Meta:
        model = MilestoneAchievement

    milestone_id = factory.Sequence(lambda n: n + 1)
    person = factory.SubFactory(ParticipantFactory)
    milestone_title = "First Match"
    milestone_category = "buddy-connection"
    reached_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=5))
    points = 50
    source = DataSource.WEBHOOK
