"""API representations of programs, enrollments (with their status history) and journey flags."""

from rest_framework import serializers

from buddy.api.fields import ProgramTypeField
from buddy.api.serializers import LeanListSerializer, MaskedModelSerializer
from buddy.models import Enrollment, EnrollmentStatusChange, Program
from enrollments.journey import FLAG_FIELDS
from enrollments.models import JourneyFlags


class ProgramSerializer(MaskedModelSerializer):
    class Meta:
        model = Program
        fields = [
            "id",
            "program_type",
            "name",
            "description",
            "roles",
            "enrollment_states",
            "supports_matching",
            "activity_types",
            "metrics_tracked",
            "match_rate_target",
        ]
        read_only_fields = fields


class EnrollmentStatusChangeSerializer(MaskedModelSerializer):
    class Meta:
        model = EnrollmentStatusChange
        fields = ["from_status", "to_status", "at", "reason", "by"]
        read_only_fields = fields


class EnrollmentSerializer(MaskedModelSerializer):
    program = ProgramTypeField()

    class Meta:
        model = Enrollment
        list_serializer_class = LeanListSerializer
        fields = [
            "id",
            "person",
            "program",
            "status",
            "enrolled_at",
            "completed_at",
            "left_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class EnrollmentDetailSerializer(EnrollmentSerializer):
    status_changes = EnrollmentStatusChangeSerializer(many=True, read_only=True)

    class Meta(EnrollmentSerializer.Meta):
        fields = [*EnrollmentSerializer.Meta.fields, "status_changes"]
        read_only_fields = fields


class JourneyFlagsSerializer(MaskedModelSerializer):
    person = serializers.IntegerField(source="enrollment.person_id", read_only=True)
    program = serializers.CharField(source="enrollment.program.program_type", read_only=True)

    class Meta:
        model = JourneyFlags
        fields = [
            "enrollment",
            "person",
            "program",
            *FLAG_FIELDS,  # the flags the recompute writes (one list: enrollments.journey)
            "changed_at",
        ]
        read_only_fields = fields
