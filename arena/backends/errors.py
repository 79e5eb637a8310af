"""One error family for every backend; `permanent` tells callers whether retrying can help."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from arena.backends.events import GenerationStats


class BackendError(Exception):
    """A backend failed. `permanent=False` means the same request may succeed later.

    `stats` is set when the failure happened mid-stream, so callers can record what was produced
    (its finish_reason is "error").
    """

    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.stats: GenerationStats | None = None


class RateLimited(BackendError):
    """The endpoint answered 429; `retry_after` is its Retry-After in seconds when it sent one."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message, permanent=False)
        self.retry_after = retry_after


class Unavailable(BackendError):
    """Connection refused or reset, a timeout, or a 5xx: transient."""

    def __init__(self, message: str) -> None:
        super().__init__(message, permanent=False)


class BadRequest(BackendError):
    """The request or configuration is wrong; sending it again will fail the same way."""

    def __init__(self, message: str) -> None:
        super().__init__(message, permanent=True)


class InvalidParameters(BadRequest):
    """A generation parameter is unknown or out of range; `field` names it."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


class InvalidConfig(BadRequest):
    """A BackendConfig field is unknown or inconsistent (e.g. an unknown backend kind)."""


class ModelLoadFailed(BackendError):
    """The model could not be loaded: missing file, unsupported quantization, out of memory."""

    def __init__(self, message: str) -> None:
        super().__init__(message, permanent=True)
