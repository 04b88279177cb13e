"""The application's one error type.

Every refusal of a business rule raises a ``DomainError`` with a stable ``code``
(``match.illegal_transition``, ``reference.unknown``) and, for validation, every
error with its field path. The API, the webhook receiver, the importer and the
forms all render the same exception. Messages never carry personal data.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext


class Message(str):
    """A refusal's words: the English text (what the API, the logs and the commands say)
    that remembers the template and values it was made from, so a page can say it in the
    reader's language (``said``). Mark the template for the catalogue where it is written:
    ``Message(gettext_noop("must be between 1 and %(most)d"), most=90)``."""

    template: str
    params: dict

    def __new__(cls, template: str, **params):
        text = super().__new__(cls, template % params if params else template)
        text.template, text.params = template, params
        return text

    def __reduce__(self):  # pickled (a cache) with its template and values
        return (_message, (self.template, self.params))


def _message(template: str, params: dict) -> Message:
    return Message(template, **params)


def said(text: str) -> str:
    """A service's message (``DomainError.message``, ``FieldError.message``) in the reader's
    language: the services mark their messages with ``gettext_noop`` (``Message`` for those
    with values); an unmarked one stays as it is."""
    if isinstance(text, Message):
        translated = gettext(text.template)
        return translated % text.params if text.params else translated
    return gettext(text)


@dataclass(frozen=True)
class FieldError:
    path: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}


@dataclass
class DomainError(Exception):
    message: str
    code: str = "error"
    errors: list[FieldError] = field(default_factory=list)
    http_status: int = 400

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"

    def as_dict(self) -> dict:
        body: dict = {"status": "error", "code": self.code, "message": self.message}
        if self.errors:
            body["errors"] = [e.as_dict() for e in self.errors]
        return body


class ValidationFailed(DomainError):
    """Invalid input, every error with its path; ``code``: the rule that refused it when
    one did (``buddy.rules``), else ``validation.failed``."""

    def __init__(
        self,
        errors: list[FieldError],
        message: str = "The data is not valid.",
        code: str = "validation.failed",
    ):
        super().__init__(message=message, code=code, errors=errors)


class UnknownReference(DomainError):
    """A strong reference (a user or a match) names nothing we know (yet)."""

    def __init__(self, kind: str, external_id: str, path: str = ""):
        self.kind, self.external_id, self.path = kind, str(external_id), path
        super().__init__(
            message=f"Unknown {kind} {external_id}.",
            code="reference.unknown",
            errors=[FieldError(path, f"unknown {kind}")] if path else [],
            http_status=422,
        )


class IllegalTransition(DomainError):
    def __init__(self, from_status: str, to_status: str):
        super().__init__(
            message=f"A match cannot move from {from_status} to {to_status}.",
            code="match.illegal_transition",
            http_status=409,
        )


class RuleViolation(DomainError):
    """A business rule refused the change (a second active match, a wrong role, …)."""

    def __init__(self, code: str, message: str, path: str = ""):
        super().__init__(
            message=message,
            code=code,
            errors=[FieldError(path, message)] if path else [],
            http_status=409,
        )
