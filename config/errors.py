"""Django's error views for URLs no view matched: under ``/api/`` the API's one error body
(JSON, ``core.errors``), elsewhere Django's pages. A path like ``/api/matches/0.5/`` matches
no route (ids are digits), so DRF's exception handler never sees it."""

from django.http import JsonResponse
from django.views import defaults

from core.errors import DomainError


def page_not_found(request, exception):
    if request.path.startswith("/api/"):
        error = DomainError(message="Not found.", code="not_found", http_status=404)
        return JsonResponse(error.as_dict(), status=404)
    return defaults.page_not_found(request, exception)
