"""One error shape for the whole API: ``{"status": "error", "code", "message", "errors"}``.

Domain errors keep their code and status; DRF's own errors (validation, auth,
not found) are reshaped to the same body so clients parse one format.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler

from core.errors import DomainError, FieldError, ValidationFailed


def _flatten(detail, prefix: str = "") -> list[FieldError]:
    if isinstance(detail, dict):
        return [e for key, value in detail.items() for e in _flatten(value, _join(prefix, key))]
    if isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            return [FieldError(prefix or "non_field_errors", str(item)) for item in detail]
        return [e for i, item in enumerate(detail) for e in _flatten(item, _join(prefix, i))]
    return [FieldError(prefix or "non_field_errors", str(detail))]


def _join(prefix: str, key) -> str:
    return f"{prefix}.{key}" if prefix else str(key)


def api_exception_handler(exc, context):
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, exceptions.ValidationError):
        exc = ValidationFailed(_flatten(exc.detail))
    if isinstance(exc, DomainError):
        return Response(exc.as_dict(), status=exc.http_status)
    response = exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.APIException):
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else "error"
        response.data = {"status": "error", "code": code, "message": str(exc.detail)}
    return response
