"""The project's own error types: services raise them, each dialect renders them in its shape."""


class NexusError(Exception):
    """A refused request. `status` is the HTTP status; `code` a dialect-neutral machine name.

    `type` optionally names the error the way a dialect expects it (a Nexus Delta `@type`).
    """

    status = 400
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, type: str | None = None, field=None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.type = type
        self.field = field


class InvalidInput(NexusError):
    status = 400
    code = "invalid"


class NotAuthenticated(NexusError):
    status = 401
    code = "not_authenticated"


class Forbidden(NexusError):
    status = 403
    code = "permission_denied"


class NotFound(NexusError):
    status = 404
    code = "not_found"


class MethodNotAllowed(NexusError):
    status = 405
    code = "method_not_allowed"


class Conflict(NexusError):
    status = 409
    code = "conflict"


class Unprocessable(NexusError):
    status = 422
    code = "unprocessable"


class PayloadTooLarge(NexusError):
    status = 413
    code = "payload_too_large"


class Unavailable(NexusError):
    """A dependency is down (`component`: database, storage, broker); clients retry after `retry_after` s."""

    status = 503
    code = "unavailable"
    component = None
    retry_after = 5
