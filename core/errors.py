"""The application's one error type.

Every refusal of a business rule raises a ``DomainError`` with a stable ``code``
(``match.illegal_transition``, ``reference.unknown``) and, for validation, every
error with its field path. The API, the webhook receiver, the importer and the
forms all render the same exception. Messages never carry personal data.
"""

from dataclasses import dataclass, field


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
