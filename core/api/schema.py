"""The API's OpenAPI description of errors: one error body, documented on every operation.

Every refusal the API makes is rendered as ``core.errors.DomainError.as_dict()`` (the
exception handler reshapes DRF's own errors to it): ``{"status": "error", "code",
"message", "errors": [{"path", "message"}]}``. ``AutoSchema`` (``DEFAULT_SCHEMA_CLASS``)
adds that body as the ``Error`` component to each operation, for each status the
operation can answer, with an example, unless the view documents that status itself:

- 400 when the operation takes query parameters or a request body (field errors keyed by
  the field's path, ``participant``, ``criteria.weights.language``, ``limit``);
- 401 and 403 unless anybody may call it; 429 when a throttle applies (``Retry-After``);
- 404 when its path names a row (unknown or out of the login's scope), or the view says so
  (``schema_error_statuses``: a program or person named in the query);
- 409 on every write (a business rule or the match lifecycle refused it);
- 415 when it takes a request body (a content type it does not parse);
- 414 (from gunicorn, HTML) when it takes query parameters: a request line over 4094 bytes.

405 (a method the path does not have) concerns no documented operation: it is described
once, as the ``MethodNotAllowed`` response component, with the same body.
"""

from drf_spectacular import openapi
from rest_framework import serializers
from rest_framework.permissions import AllowAny


class FieldErrorSerializer(serializers.Serializer):
    path = serializers.CharField(
        help_text="The field's path in the input: `participant`, `criteria.weights.language`, "
        "`items.2.rating`, a query parameter's name, or `non_field_errors`."
    )
    message = serializers.CharField()

    class Meta:
        ref_name = "FieldError"


class ErrorSerializer(serializers.Serializer):
    """The one error body of the whole API."""

    status = serializers.CharField(help_text='Always `"error"`.')
    code = serializers.CharField(
        help_text="Stable code of the refusal: `validation.failed`, `not_found`, "
        "`not_authenticated`, `permission_denied`, `throttled`, `unsupported_media_type`, "
        "`match.illegal_transition`, a rule's code (`buddy.rules`), …"
    )
    message = serializers.CharField(help_text="For people; never names a person.")
    errors = FieldErrorSerializer(
        many=True, required=False, help_text="Each invalid field with its path (400 only)."
    )

    class Meta:
        ref_name = "Error"


def _body(code: str, message: str, errors: list[dict] | None = None) -> dict:
    body = {"status": "error", "code": code, "message": message}
    if errors:
        body["errors"] = errors
    return body


#: status → (description, example name, example body)
ERRORS: dict[str, tuple[str, str, dict]] = {
    "400": (
        "Invalid input: every invalid field with its path (query parameters by their name).",
        "InvalidField",
        _body(
            "validation.failed",
            "The data is not valid.",
            [{"path": "participant", "message": "This field is required."}],
        ),
    ),
    "401": (
        "No credentials, or a token that is unknown, revoked or expired.",
        "NotAuthenticated",
        _body("not_authenticated", "Authentication credentials were not provided."),
    ),
    "403": (
        "The login's role does not allow this (viewers: every write; company users: all "
        "but impact figures).",
        "PermissionDenied",
        _body("permission_denied", "Your role does not allow this."),
    ),
    "404": (
        "Unknown, or outside the login's programs.",
        "NotFound",
        _body("not_found", "Not found."),
    ),
    "405": (
        "The path does not have this method.",
        "MethodNotAllowed",
        _body("method_not_allowed", 'Method "PUT" not allowed.'),
    ),
    "409": (
        "A business rule or the match lifecycle refused the change (nothing was written).",
        "Conflict",
        _body("match.illegal_transition", "A match cannot move from ended to active."),
    ),
    "415": (
        "The request body's content type is not one the operation reads.",
        "UnsupportedMediaType",
        _body("unsupported_media_type", 'Unsupported media type "text/plain" in request.'),
    ),
    "429": (
        "Too many requests from this token (`BUDDY_API_TOKEN_RATE`); retry after "
        "`Retry-After` seconds.",
        "Throttled",
        _body("throttled", "Request was throttled. Expected available in 12 seconds."),
    ),
}

_WRITES = {"POST", "PUT", "PATCH", "DELETE"}
_JSON = "application/json"


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's AutoSchema, with the error responses of every operation."""

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses = operation["responses"]
        for status in self.error_statuses(operation):
            responses.setdefault(status, self.error_response(status))
        return operation

    def get_tags(self) -> list[str]:
        """One tag per resource (``/api/matches/…`` → ``matches``), not one for the whole API:
        the Swagger UI and generated clients group the operations by it."""
        tags = super().get_tags()
        if tags == ["api"]:
            segments = [s for s in self.path.split("/") if s and not s.startswith("{")]
            tags = segments[1:2] if segments[:1] == ["api"] and len(segments) > 1 else tags
        return tags

    def error_statuses(self, operation: dict) -> list[str]:
        view = self.view
        parameters = operation.get("parameters", [])
        statuses = []
        if "requestBody" in operation or any(p["in"] == "query" for p in parameters):
            statuses.append("400")
        if not all(isinstance(p, AllowAny) for p in view.get_permissions()):
            statuses += ["401", "403"]
        if any(p["in"] == "path" for p in parameters) or "404" in getattr(
            view, "schema_error_statuses", ()
        ):
            statuses.append("404")
        if self.method in _WRITES:
            statuses.append("409")
        if "requestBody" in operation:
            statuses.append("415")
        if view.get_throttles():
            statuses.append("429")
        if any(p["in"] == "query" for p in parameters):
            statuses.append("414")
        statuses += [s for s in getattr(view, "schema_error_statuses", ()) if s not in statuses]
        return sorted(statuses)

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        # A read-only choice of a model field that may be blank (``end_reason`` of a match
        # that has not ended) is answered as "": DRF drops ``allow_blank`` from read-only
        # fields, so the schema would refuse the value the API sends.
        if (
            isinstance(field, serializers.ChoiceField)
            and field.read_only
            and "enum" in schema
            and "" not in schema["enum"]
            and _model_field_is_blank(field)
        ):
            schema = {**schema, "enum": [*schema["enum"], ""]}
        # A personal field is answered masked (•••) to viewers (core.pii): a plain string,
        # not an email address or a length-bounded name.
        if _model_field_is_personal(field) and schema.get("type", "string") == "string":
            schema = {
                k: v for k, v in schema.items() if k in ("readOnly", "description", "nullable")
            }
            schema["type"] = "string"
            schema["description"] = (
                schema.get("description", "") + " Personal data: `•••` for viewers."
            ).strip()
        return schema

    def error_response(self, status: str) -> dict:
        if status == "414":
            return {
                "description": "The request line is too long for the web server (its page).",
                "content": {"text/html": {"schema": {"type": "string"}}},
            }
        description, name, example = ERRORS[status]
        ref = self.resolve_serializer(ErrorSerializer(), "response").ref
        content = {}
        for media_type in {_JSON, *self.map_renderers("media_type")}:
            if "json" in media_type:
                content[media_type] = {
                    "schema": ref,
                    "examples": {name: {"value": example}},
                }
            else:  # e.g. the impact figures' CSV: the error's code and message as CSV
                content[media_type] = {"schema": {"type": "string"}}
        response = {"description": description, "content": dict(sorted(content.items()))}
        if status == "429":
            response["headers"] = {
                "Retry-After": {
                    "schema": {"type": "integer"},
                    "description": "Seconds until the token may call again.",
                }
            }
        return response


def _model_field_is_blank(field) -> bool:
    meta = getattr(field.parent, "Meta", None)
    model = getattr(meta, "model", None)
    if model is None or "." in (field.source or ""):
        return False
    try:
        return model._meta.get_field(field.source).blank
    except Exception:
        return False


def _model_field_is_personal(field) -> bool:
    from core.pii import personal_field_names

    meta = getattr(field.parent, "Meta", None)
    model = getattr(meta, "model", None)
    if model is None or not isinstance(field, serializers.CharField | serializers.EmailField):
        return False
    return (field.source or "") in personal_field_names(model)


def error_components_hook(result, generator, request, public):
    """``POSTPROCESSING_HOOKS``: the ``MethodNotAllowed`` response component (405 on any
    path, for a method it does not have), with the one error body."""
    description, name, example = ERRORS["405"]
    responses = result.setdefault("components", {}).setdefault("responses", {})
    responses["MethodNotAllowed"] = {
        "description": description,
        "content": {
            _JSON: {
                "schema": {"$ref": "#/components/schemas/Error"},
                "examples": {name: {"value": example}},
            }
        },
    }
    return result
