"""API representations of programs, enrollments (with their status history) and journey flags."""

from rest_framework import serializers

from buddy.api.serializers import MaskedModelSerializer
from enrollments.models import Enrollment, EnrollmentStatusChange, JourneyFlags, Program


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
    program = serializers.SlugRelatedField(slug_field="program_type", read_only=True)

    class Meta:
        model = Enrollment
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
            "matches_count",
            "events_count",
            "checkins_count",
            "skill_sessions_count",
            "milestones_count",
            "match_active",
            "joined_at",
            "last_activity_at",
            "checkin_due",
            "feedback_pending",
            "no_contact_14",
            "no_contact_30",
            "struggling",
            "changed_at",
        ]
        read_only_fields = fields
