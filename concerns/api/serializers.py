"""Cases in the API: withheld content for restricted cases, masking for viewers."""

from rest_framework import serializers

from buddy.access import access_for
from buddy.api.serializers import MaskedModelSerializer
from buddy.models import EndReason, Match, Person
from concerns.models import (
    Category,
    Concern,
    ConcernMeeting,
    ConcernStep,
    Outcome,
    Severity,
    Source,
)
from concerns.selectors import is_withheld

#: What everyone reading the program sees of a restricted case it may not open.
WITHHELD_FIELDS = ("id", "program", "status", "severity", "opened_at", "respond_by", "restricted")


class ConcernMeetingSerializer(MaskedModelSerializer):
    class Meta:
        model = ConcernMeeting
        fields = ["id", "held_at", "notes", "agreed_actions", "by"]


class ConcernStepSerializer(serializers.ModelSerializer):
    class Meta:
        model = ConcernStep
        fields = ["action", "from_status", "to_status", "at", "by", "detail"]


class ConcernSerializer(MaskedModelSerializer):
    restricted = serializers.BooleanField(read_only=True)
    involved = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Concern
        fields = [
            "id",
            "program",
            "match",
            "person",
            "involved",
            "category",
            "severity",
            "status",
            "source",
            "description",
            "opened_at",
            "respond_by",
            "acknowledged_at",
            "resolved_at",
            "outcome",
            "end_reason",
            "violation",
            "resolution_note",
            "restricted",
        ]

    def to_representation(self, instance):
        request = self.context.get("request")
        if request is not None and is_withheld(
            instance, user=request.user, access=access_for(request.user)
        ):
            data = serializers.ModelSerializer.to_representation(self, instance)
            return {key: data[key] for key in WITHHELD_FIELDS}
        return super().to_representation(instance)


class ConcernDetailSerializer(ConcernSerializer):
    meetings = ConcernMeetingSerializer(many=True, read_only=True)
    steps = ConcernStepSerializer(many=True, read_only=True)

    class Meta(ConcernSerializer.Meta):
        fields = [*ConcernSerializer.Meta.fields, "meetings", "steps"]


class ConcernOpenSerializer(serializers.Serializer):
    """Open a case about a match or a person (``program`` follows from the match)."""

    match = serializers.PrimaryKeyRelatedField(queryset=Match.objects.all(), required=False)
    person = serializers.PrimaryKeyRelatedField(queryset=Person.objects.all(), required=False)
    program = serializers.CharField(required=False, help_text="program type, for a person case")
    category = serializers.ChoiceField(choices=Category.choices)
    severity = serializers.ChoiceField(choices=Severity.choices)
    source = serializers.ChoiceField(
        choices=[c for c in Source.choices if c[0] != Source.AUTOMATIC],
        default=Source.COORDINATOR,
    )
    description = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    involved = serializers.PrimaryKeyRelatedField(
        queryset=Person.objects.all(), many=True, required=False
    )

    def validate(self, attrs):
        if not attrs.get("match") and not attrs.get("person"):
            raise serializers.ValidationError({"match": "a concern is about a match or a person"})
        if not attrs.get("match") and not attrs.get("program"):
            raise serializers.ValidationError({"program": "required for a case about a person"})
        return attrs


class ConcernMeetingInputSerializer(serializers.Serializer):
    held_at = serializers.DateTimeField()
    notes = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    agreed_actions = serializers.CharField(required=False, allow_blank=True, max_length=10000)


class ConcernResolveSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    end_reason = serializers.ChoiceField(choices=EndReason.choices, required=False, default="")
    violation = serializers.BooleanField(required=False, default=False)
    note = serializers.CharField(required=False, allow_blank=True, max_length=10000)
