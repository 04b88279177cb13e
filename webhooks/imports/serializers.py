"""API representation of import runs (the upload input and the run with its progress)."""

from rest_framework import serializers

from buddy.api.fields import ProgramField
from buddy.models import ImportRun, Program


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    program = ProgramField(help_text="Program type to import into; default: buddy.")
    dry_run = serializers.BooleanField(default=False)

    def validated_program(self) -> Program:
        return self.validated_data["program"]


class ImportRunSerializer(serializers.ModelSerializer):
    program = serializers.SlugRelatedField(slug_field="program_type", read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    progress = serializers.SerializerMethodField()

    class Meta:
        model = ImportRun
        fields = [
            "id",
            "status",
            "program",
            "file_name",
            "dry_run",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
            "duration_seconds",
            "progress",
            "counts",
            "merges",
            "warnings",
            "rejections",
            "flags",
            "enrollments_changed",
            "error_code",
            "error",
        ]
        read_only_fields = fields

    def get_progress(self, run: ImportRun) -> dict:
        return {"done": run.rows_done, "total": run.rows_total, "entities": run.progress}
