"""Domain errors carry the public error code and the request path they concern.

The API layer maps them to HTTP; the domain only says *what* is wrong.
"""

from __future__ import annotations


class DomainError(Exception):
    """A business rule refused the request."""

    code: str = "invalid_request"

    def __init__(self, message: str, *, code: str | None = None, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.param = param


class InvalidValue(DomainError):
    """A value is well-formed JSON but breaks a rule (422)."""

    code = "parameter_invalid"


class NotFound(DomainError):
    """The object does not exist for this account and mode (404)."""

    code = "resource_missing"


class Conflict(DomainError):
    """The object's current state forbids the operation (409)."""

    code = "state_conflict"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        extra: dict[str, object] | None = None,
    ) -> None:
        super().__init__(message, code=code, param=param)
        self.extra = extra or {}


class PaymentDeclined(DomainError):
    """The processor refused the payment (402)."""

    code = "card_declined"


class ProcessorUnavailable(DomainError):
    """The payment processor failed to answer (502); the payment may be retried."""

    code = "processor_unavailable"
