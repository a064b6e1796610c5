"""Domain errors with a stable ``code``.

Services raise these; the API turns them into ``{"message", "code", "extra"}``
with the class's HTTP status and pages show the same message.
"""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    status: ClassVar[int] = 400
    default_code: ClassVar[str] = "invalid"

    def __init__(
        self, message: str, *, code: str | None = None, extra: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.extra = extra or {}

    def as_payload(self) -> dict[str, Any]:
        return {"message": self.message, "code": self.code, "extra": self.extra}


class ValidationFailed(DomainError):
    """Input breaks a rule; ``extra["fields"]`` maps each field to its messages."""

    status = 400
    default_code = "validation_failed"

    @classmethod
    def for_fields(cls, fields: dict[str, list[str]]) -> ValidationFailed:
        summary = "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in fields.items())
        return cls(summary, extra={"fields": fields})


class NotAuthenticated(DomainError):
    status = 401
    default_code = "not_authenticated"


class PermissionDenied(DomainError):
    status = 403
    default_code = "permission_denied"


class NotFound(DomainError):
    """Missing, or not visible to this user: both look the same from outside."""

    status = 404
    default_code = "not_found"


class Conflict(DomainError):
    """The request is valid but the current state forbids it."""

    status = 409
    default_code = "conflict"


def field_errors_from_django(error: Any) -> dict[str, list[str]]:
    """Flatten a Django ``ValidationError`` into ``{field: [messages]}``."""
    if hasattr(error, "message_dict"):
        return {
            ("__all__" if name == "__all__" else name): [str(m) for m in messages]
            for name, messages in error.message_dict.items()
        }
    return {"__all__": [str(m) for m in getattr(error, "messages", [str(error)])]}
