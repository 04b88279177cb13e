"""Personal data rights over the API: a person's export (GET) and erasure (POST)."""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from buddy.access import access_for
from buddy.models import Person
from buddy.selectors import scope_people
from privacy.selectors import erases_people
from privacy.services import person_erase, person_export_hand_out


class ChangesPrograms(BasePermission):
    """Coordinators (of the person's program: others get 404) and superusers."""

    message = "Your role does not allow this."

    def has_permission(self, request, view) -> bool:
        return access_for(request.user).changes_programs


class ErasesPeople(ChangesPrograms):
    """Superusers, and coordinators given ``privacy.erase_person``."""

    def has_permission(self, request, view) -> bool:
        return erases_people(request.user)


def _person(request, pk: int) -> Person:
    return get_object_or_404(scope_people(Person.objects.all(), access_for(request.user)), pk=pk)


class PersonExportView(APIView):
    permission_classes = [ChangesPrograms]

    @extend_schema(
        responses={(200, "application/zip"): OpenApiTypes.BINARY},
        summary="Subject access export of a person (zip of JSON files)",
    )
    def get(self, request, pk: int):
        person = _person(request, pk)
        content = person_export_hand_out(person=person, by=request.user)
        response = HttpResponse(content, content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="person-{person.pk}.zip"'
        return response


class EraseInputSerializer(serializers.Serializer):
    confirmation = serializers.CharField(help_text='Type "erase person <id>".')


class ErasureSerializer(serializers.Serializer):
    person_id = serializers.IntegerField()
    erased_at = serializers.DateTimeField()
    rows = serializers.DictField(child=serializers.IntegerField())


class PersonEraseView(APIView):
    permission_classes = [ErasesPeople]

    @extend_schema(
        request=EraseInputSerializer,
        responses=ErasureSerializer,
        summary="Erase a person's personal data (irreversible)",
    )
    def post(self, request, pk: int):
        person = _person(request, pk)
        data = EraseInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        erasure = person_erase(
            person=person,
            by=request.user,
            via="api",
            confirmation=data.validated_data["confirmation"],
        )
        return Response(ErasureSerializer(erasure).data)
