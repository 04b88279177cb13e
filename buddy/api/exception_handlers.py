"""One error shape for the whole API: ``{"status": "error", "code", "message", "errors"}``."""

from rest_framework.response import Response
from rest_framework.views import exception_handler

from buddy.errors import DomainError


def api_exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return Response(exc.as_dict(), status=exc.http_status)
    return exception_handler(exc, context)
