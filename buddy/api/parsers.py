"""The API's JSON parser: ``buddy.json_input`` limits (nesting depth, NUL, lone surrogates,
``NaN``) on every request body, so no value the database cannot store reaches a service."""

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError

from buddy.json_input import JsonRejected, parse_json
from core.errors import FieldError, ValidationFailed


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            return parse_json(stream.read().decode(encoding))
        except UnicodeDecodeError:
            raise ParseError(f"The body is not valid {encoding} text.") from None
        except JsonRejected as exc:
            if not exc.path:
                raise ParseError(f"The body is not valid JSON: {exc.message}.") from None
            raise ValidationFailed(
                [FieldError(exc.path, exc.message)], message="The body is not valid JSON."
            ) from None
