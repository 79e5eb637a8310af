"""The one backend interface: `stream()` yields TextDelta events then one StreamEnd."""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from typing import ClassVar, Literal

from arena.backends.config import BackendConfig
from arena.backends.errors import BackendError, BadRequest, InvalidParameters
from arena.backends.events import Completion, StreamEnd, StreamEvent, TextDelta
from arena.backends.params import GenerationRequest

InputKind = Literal["prompt", "messages", "any"]


class Backend(ABC):
    kind: ClassVar[str] = ""

    def __init__(self, config: BackendConfig) -> None:
        self.config = config

    async def load(self) -> None:  # noqa: B027 - optional hook: most backends have nothing to warm up
        """Warm up (load weights, open a connection) so the first request does not pay for it."""

    def stream(self, request: GenerationRequest) -> AsyncIterator[StreamEvent]:
        """Check the request now (before any model is called), then stream its answer."""
        self.check_request(request)
        return self._stream(request)

    @abstractmethod
    def _stream(self, request: GenerationRequest) -> AsyncIterator[StreamEvent]: ...

    async def generate(self, request: GenerationRequest) -> Completion:
        parts: list[str] = []
        async for event in self.stream(request):
            if isinstance(event, TextDelta):
                parts.append(event.text)
            elif isinstance(event, StreamEnd):
                return Completion(text="".join(parts), stats=event.stats)
        raise BackendError(f"model {self.config.slug!r}: the stream ended without statistics")

    def count_tokens(self, text: str) -> int:
        """An estimate (about 4 characters per token) for backends without a local tokenizer."""
        return math.ceil(len(text) / 4)

    def input_kind(self) -> InputKind:
        """Whether requests must carry a rendered prompt, chat messages, or either."""
        return "any"

    def check_request(self, request: GenerationRequest) -> None:
        wanted = self.input_kind()
        if wanted == "prompt" and request.prompt is None:
            raise BadRequest(self._wrong_input("a rendered prompt", "messages"))
        if wanted == "messages" and request.messages is None:
            raise BadRequest(self._wrong_input("chat messages", "a prompt"))
        if request.params.num_return_sequences != 1:
            raise InvalidParameters(
                f"model {self.config.slug!r}: {self.label()} streams one answer per request; "
                "num_return_sequences must be 1 (send several requests instead)",
                field="num_return_sequences",
            )

    def label(self) -> str:
        """How error messages name this backend."""
        return f"the {self.kind} backend"

    def _wrong_input(self, wanted: str, got: str) -> str:
        return (
            f"model {self.config.slug!r}: {self.label()} needs {wanted}, got {got}; "
            "render the row's prompt format for prompt backends, pass messages for chat endpoints"
        )
