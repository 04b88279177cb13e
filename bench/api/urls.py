"""bench/api's URLconf (``bench.api.settings``): the product's URLs and the reference
endpoint, ``/api/bench/reference/``, which is not part of the product.

The reference is the trivial DRF endpoint of issue 18's benchmark: 3 fields of 50 rows,
with the project's default authentication (a knox token), permission, throttle, renderer and
middleware, so what it costs is the framework's floor on this machine. It lives under
``/api/`` because what an API request does differently from a page is decided by that
prefix (``buddy.api.middleware``): elsewhere it would be measured as a page."""

from django.urls import include, path
from rest_framework import generics, serializers

from buddy.models import Company


class ReferenceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Company
        fields = ["id", "name", "created_at"]


class ReferenceView(generics.ListAPIView):
    """The first 50 companies by id, 3 fields, unpaginated."""

    serializer_class = ReferenceSerializer
    pagination_class = None
    filter_backends = []

    def get_queryset(self):
        return Company.objects.order_by("id")[:50]


urlpatterns = [
    path("api/bench/reference/", ReferenceView.as_view(), name="bench-reference"),
    path("", include("config.urls")),
]
