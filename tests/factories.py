"""The factories the tests build their data with.

The buddy app's factories live in ``buddy.factories`` (``seed_demo`` uses them too:
production code never imports ``tests``) and are re-exported here, so a test imports
every factory from this one module. The factories below are the tests' own: logins with
a role, enrollments and the webhook event store.
"""

import uuid

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from buddy.factories import (  # noqa: F401  (re-exported for the tests)
    CITIES,
    INTERESTS,
    LANGUAGES,
    BuddyFactory,
    CheckInFactory,
    CompanyFactory,
    EventAttendanceFactory,
    FeedbackFactory,
    InformalEventFactory,
    MatchFactory,
    MilestoneAchievementFactory,
    ParticipantFactory,
    PersonFactory,
    SkillSessionFactory,
    UserFactory,
    buddy_program,
)
from buddy.models import AccessRole, Enrollment, EnrollmentStatus, User
from webhooks.models import (
    DeliveryStatus,
    EventReference,
    EventStatus,
    WebhookConflict,
    WebhookDelivery,
    WebhookEvent,
)


def coordinator_of(*programs, username: str | None = None) -> User:
    """A login with the coordinator role in these programs."""
    from buddy.access import grant_role

    user = UserFactory(**({"username": username} if username else {}))
    grant_role(user=user, role=AccessRole.COORDINATOR, programs=programs)
    return user


def viewer_of(*programs, username: str | None = None) -> User:
    """A login with the viewer role in these programs."""
    from buddy.access import grant_role

    user = UserFactory(**({"username": username} if username else {}))
    grant_role(user=user, role=AccessRole.VIEWER, programs=programs)
    return user


def company_user_of(company, username: str | None = None) -> User:
    """A login with the company role for this company."""
    from buddy.access import grant_role

    user = UserFactory(**({"username": username} if username else {}))
    grant_role(user=user, role=AccessRole.COMPANY, company=company)
    return user


class EnrollmentFactory(DjangoModelFactory):
    class Meta:
        model = Enrollment
        django_get_or_create = ("person", "program")

    person = factory.SubFactory(ParticipantFactory)
    program = factory.LazyFunction(buddy_program)
    status = EnrollmentStatus.ACTIVE
    enrolled_at = factory.SelfAttribute("person.joined_at")


# --- Webhook event store (events as the receiver stores them) ------------------------------


class WebhookEventFactory(DjangoModelFactory):
    """A stored check-in event that waits for its match (use ``status=`` for others)."""

    class Meta:
        model = WebhookEvent

    event_id = factory.LazyFunction(uuid.uuid4)
    event_type = "buddy.checkin.completed"
    match_id = factory.LazyFunction(uuid.uuid4)
    timestamp = factory.LazyFunction(timezone.now)
    status = EventStatus.WAITING
    attempts = 1
    last_error = factory.LazyAttribute(
        lambda o: (
            f"reference.unknown: Unknown match {o.match_id}."
            if o.status == EventStatus.WAITING
            else ""
        )
    )
    processed_at = factory.LazyAttribute(
        lambda o: timezone.now() if o.status == EventStatus.PROCESSED else None
    )
    payload = factory.LazyAttribute(
        lambda o: {
            "id": str(o.event_id),
            "version": "v1",
            "type": o.event_type,
            "timestamp": o.timestamp.isoformat(),
            "data": {
                "checkinId": str(uuid.uuid4()),
                "matchId": str(o.match_id),
                "checkinDate": o.timestamp.isoformat(),
                "mood": "good",
            },
        }
    )


class WebhookDeliveryFactory(DjangoModelFactory):
    class Meta:
        model = WebhookDelivery

    delivery_id = factory.Sequence(lambda n: f"delivery-{n}")
    event = factory.SubFactory(WebhookEventFactory)
    status = DeliveryStatus.FAILED
    retry_count = 1

    class Params:
        dead = factory.Trait(
            status=DeliveryStatus.DEAD_LETTERED,
            retry_count=3,
            dead_lettered_at=factory.LazyFunction(timezone.now),
        )


class EventReferenceFactory(DjangoModelFactory):
    class Meta:
        model = EventReference

    event = factory.SubFactory(WebhookEventFactory)
    kind = "match"
    external_id = factory.LazyAttribute(lambda o: str(o.event.match_id or uuid.uuid4()))
    blocking = True


class WebhookConflictFactory(DjangoModelFactory):
    class Meta:
        model = WebhookConflict

    event = factory.SubFactory(WebhookEventFactory)
    delivery_id = factory.Sequence(lambda n: f"conflict-delivery-{n}")
    payload = factory.LazyAttribute(lambda o: {**o.event.payload, "version": "v1"})
