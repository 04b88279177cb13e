"""API representations of matching criteria, recommendation runs and proposals."""

from rest_framework import serializers

from buddy.access import access_for
from buddy.api.fields import ProgramField, ProgramTypeField
from buddy.api.serializers import MaskedModelSerializer
from buddy.models import ProgramType
from core.pii import mask
from matching.engine.words import without_messages
from matching.models import MatchingCriteria, Proposal, RecommendationRun


class CriteriaSerializer(MaskedModelSerializer):
    program = serializers.SlugRelatedField(slug_field="program_type", read_only=True)

    class Meta:
        model = MatchingCriteria
        fields = [
            "id",
            "program",
            "version",
            "criteria",
            "score_floor",
            "coverage_first",
            "never_repair_any",
            "created_at",
        ]
        read_only_fields = fields


class RunSerializer(MaskedModelSerializer):
    program = serializers.SlugRelatedField(slug_field="program_type", read_only=True)
    criteria_version = serializers.IntegerField(source="criteria.version", read_only=True)

    class Meta:
        model = RecommendationRun
        fields = [
            "id",
            "program",
            "criteria_version",
            "coverage_first",
            "status",
            "progress",
            "started_at",
            "finished_at",
            "timings",
            "participants_waiting",
            "buddies_available",
            "eligible_pairs",
            "proposals_count",
            "unmatched_count",
            "total_score",
            "error_code",
            "created_at",
        ]
        read_only_fields = fields


class RunStartSerializer(serializers.Serializer):
    program = ProgramField()
    coverage_first = serializers.BooleanField(required=False, allow_null=True, default=None)


class UnmatchedSerializer(serializers.Serializer):
    """A waiting participant the run left without a proposal, and why (``text`` names the
    participant's own data: masked for viewers through ``core.pii.mask``, as on the board)."""

    participant_id = serializers.IntegerField()
    code = serializers.CharField()
    text = serializers.CharField(help_text="Masked (•••) for viewers.")
    excluded = serializers.DictField(child=serializers.IntegerField(), required=False)
    relaxations = serializers.ListField(child=serializers.JSONField(), required=False)

    def to_representation(self, instance):
        # English words as before; the messages behind them are for the pages (words.py)
        data = super().to_representation(without_messages(instance))
        request = self.context.get("request")
        if request is None or access_for(request.user).masked:
            data["text"] = mask(data["text"])
        return data


class ProposalSerializer(MaskedModelSerializer):
    program = ProgramTypeField()

    class Meta:
        model = Proposal
        fields = [
            "id",
            "run",
            "program",
            "participant",
            "buddy",
            "score",
            "parts",
            "reasons",
            "status",
            "locked",
            "dismissal_reason",
            "decided_at",
            "match",
            "created_at",
        ]
        read_only_fields = fields


class DismissSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


class TopQuerySerializer(serializers.Serializer):
    participant = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    program = serializers.ChoiceField(choices=ProgramType.choices, required=False)


class CandidateSerializer(serializers.Serializer):
    buddy_id = serializers.IntegerField()
    score = serializers.FloatField()
    parts = serializers.DictField(child=serializers.FloatField(), required=False)
    reasons = serializers.ListField(child=serializers.CharField(), required=False)


class TopSerializer(serializers.Serializer):
    participant_id = serializers.IntegerField()
    criteria_version = serializers.IntegerField()
    candidates = CandidateSerializer(many=True)
    why_not = serializers.JSONField(required=False, help_text="When there is no candidate.")

    def to_representation(self, instance):
        if isinstance(instance, dict) and "why_not" in instance:
            instance = {**instance, "why_not": without_messages(instance["why_not"])}
        return super().to_representation(instance)
