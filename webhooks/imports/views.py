"""Upload API of imports: ``POST /api/imports/`` (202 + run id), ``GET /api/imports/{id}/``."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from buddy.access import access_for
from buddy.models import ImportRun
from buddy.selectors import scope_import_runs
from core.api.schema import ErrorSerializer
from webhooks.filtersets import ImportRunFilterSet
from webhooks.imports.serializers import ImportRunSerializer, ImportUploadSerializer
from webhooks.imports.services import import_run_upload, upload_size_check


class ImportRunViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Imports of Buddy System exports into the login's programs: coordinators upload,
    viewers read the runs."""

    queryset = ImportRun.objects.select_related("program", "created_by")
    serializer_class = ImportRunSerializer
    parser_classes = [MultiPartParser, FormParser]
    filterset_class = ImportRunFilterSet

    def get_queryset(self):
        return scope_import_runs(super().get_queryset(), access_for(self.request.user))

    @extend_schema(
        request=ImportUploadSerializer, responses={202: ImportRunSerializer, 413: ErrorSerializer}
    )
    def create(self, request, *args, **kwargs):
        """Upload an export (.zip, .json or one entity .csv); the import runs on a worker.
        Uploads over ``BUDDY_IMPORT_MAX_UPLOAD_BYTES`` are answered 413."""
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        upload_size_check(size=declared)  # before the body is read
        data = ImportUploadSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        run = import_run_upload(
            upload=data.validated_data["file"],
            program=data.validated_program(),
            by=request.user,
            dry_run=data.validated_data["dry_run"],
        )
        run.refresh_from_db()
        return Response(ImportRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)
