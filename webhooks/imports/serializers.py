"""API representation of import runs (the upload input and the run with its progress)."""

from rest_framework import serializers

from buddy.access import access_for
from buddy.models import ImportRun, Program, ProgramType


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    program = serializers.SlugRelatedField(
        slug_field="program_type", queryset=Program.objects.all(), required=False
    )
    dry_run = serializers.BooleanField(default=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            from buddy.selectors import scope_programs

            self.access = access_for(request.user)
            self.fields["program"].queryset = scope_programs(Program.objects.all(), self.access)

    def validate(self, attrs):
        if "program" not in attrs:
            default = Program.objects.get(program_type=ProgramType.BUDDY)
            if hasattr(self, "access") and not self.access.sees_program(default.pk):
                raise serializers.ValidationError({"program": "Name the program to import into."})
            attrs["program"] = default
        return attrs

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
