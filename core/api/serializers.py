"""The event envelope and each event type's payload, as OpenAPI components.

The payloads are built by ``core.events``; these serializers document them (and the
schema test checks a real payload against each)."""

from drf_spectacular.utils import PolymorphicProxySerializer
from rest_framework import serializers

from core import outbox


class RefSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Our id (use it with this API).")
    buddySystemId = serializers.CharField(
        allow_null=True, help_text="The Buddy System's id, when it knows the record."
    )


class MatchEventDataSerializer(serializers.Serializer):
    """``match.proposed``, ``match.accepted``, ``match.activated``, ``match.paused``
    (active → inactive), ``match.ended``, ``match.declined``."""

    match = RefSerializer()
    programId = serializers.IntegerField()
    participant = RefSerializer()
    buddy = RefSerializer()
    fromStatus = serializers.CharField(allow_null=True)
    status = serializers.CharField()
    changedAt = serializers.DateTimeField()
    source = serializers.CharField(help_text="coordinator, recommendation, webhook or import")
    endReason = serializers.CharField(required=False, allow_null=True, help_text="match.ended only")

    class Meta:
        ref_name = "MatchEventData"


class EnrollmentEventDataSerializer(serializers.Serializer):
    """``enrollment.status_changed`` (joining a program too: ``fromStatus`` null)."""

    enrollmentId = serializers.IntegerField()
    programId = serializers.IntegerField()
    person = RefSerializer()
    fromStatus = serializers.CharField(allow_null=True)
    status = serializers.CharField()
    changedAt = serializers.DateTimeField()

    class Meta:
        ref_name = "EnrollmentEventData"


class PersonErasedEventDataSerializer(serializers.Serializer):
    """``person.erased``: this person's personal data was erased here; erase yours. One
    event per program the person is enrolled in (``programId`` null: enrolled in none)."""

    person = RefSerializer()
    erasedAt = serializers.DateTimeField()

    class Meta:
        ref_name = "PersonErasedEventData"


class ConcernEventDataSerializer(serializers.Serializer):
    """``concern.opened`` and ``concern.resolved`` (a case; ids and codes, never its text)."""

    concernId = serializers.IntegerField()
    programId = serializers.IntegerField()
    matchId = serializers.IntegerField(allow_null=True)
    personId = serializers.IntegerField(allow_null=True)
    category = serializers.CharField()
    severity = serializers.CharField()
    source = serializers.CharField(
        help_text="coordinator, participant_report, buddy_report, automatic"
    )
    status = serializers.CharField()
    changedAt = serializers.DateTimeField()
    outcome = serializers.CharField(required=False, help_text="concern.resolved only")
    endReason = serializers.CharField(required=False, allow_null=True, help_text="resolved only")
    violation = serializers.BooleanField(required=False, help_text="concern.resolved only")

    class Meta:
        ref_name = "ConcernEventData"


EVENT_DATA = PolymorphicProxySerializer(
    component_name="EventData",
    serializers=[
        MatchEventDataSerializer,
        EnrollmentEventDataSerializer,
        PersonErasedEventDataSerializer,
        ConcernEventDataSerializer,
    ],
    resource_type_field_name=None,
)


class EventEnvelopeSerializer(serializers.Serializer):
    """One published event: the webhook body and a pull feed item (``sequence``: feed only)."""

    id = serializers.UUIDField(help_text="Event id; the webhook-id header of its deliveries.")
    type = serializers.ChoiceField(choices=outbox.EVENT_TYPES)
    version = serializers.IntegerField()
    timestamp = serializers.DateTimeField()
    correlationId = serializers.CharField(
        allow_null=True,
        help_text="What caused the event: the correlationId of the Buddy System event whose "
        "processing made the change, import-run:<id> for an import, null for a change made here.",
    )
    data = EVENT_DATA
    sequence = serializers.IntegerField(required=False, help_text="Pull feed position.")

    class Meta:
        ref_name = "EventEnvelope"


class EventFeedSerializer(serializers.Serializer):
    events = EventEnvelopeSerializer(many=True)
    next = serializers.CharField(help_text="Pass as ?after= for the next page.")
