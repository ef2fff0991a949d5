"""The sandbox's own refusals, as exceptions the app turns into replies.

State operations raise these (so the Python API and the HTTP API refuse the
same things with the same words); the app writes them in the two shapes
``WIRE.md`` assumes: ``{"status_code", "message"}`` or, for 422, Laravel's
``{"message", "errors": {dotted.path: [...]}}``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["INVALID_DATA", "Conflict", "Invalid", "NotFound", "SandboxError", "Unauthenticated"]

INVALID_DATA = "The given data was invalid."


class SandboxError(Exception):
    """A refusal with an HTTP status and a message a person can act on."""

    status = 400

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status

    def body(self) -> dict[str, Any]:
        return {"status_code": self.status, "message": self.message}


class NotFound(SandboxError):
    status = 404


class Conflict(SandboxError):
    """The object exists but is in a state that does not allow the operation."""

    status = 409


class Unauthenticated(SandboxError):
    status = 401


class Invalid(SandboxError):
    """Field-level refusal (422), keyed by the dotted wire path."""

    status = 422

    def __init__(self, errors: dict[str, list[str]], message: str = INVALID_DATA) -> None:
        super().__init__(message)
        self.errors = errors

    def body(self) -> dict[str, Any]:
        return {"message": self.message, "errors": self.errors}

    @classmethod
    def one(cls, field: str, message: str) -> Invalid:
        return cls({field: [message]}, message)
