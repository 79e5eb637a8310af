"""A scripted backend for tests and the arena's benchmark: it replays configured text at a set rate.

config.script is JSON, e.g. {"text": "Hello world", "tokens_per_second": 200,
"fail_after_tokens": null, "error": "boom", "permanent": false, "first_token_delay_s": 0}.
Each whitespace-led word counts as one token.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

from arena.backends.base import Backend
from arena.backends.config import BackendConfig
from arena.backends.errors import BackendError, InvalidConfig
from arena.backends.events import (
    FinishReason,
    StatsClock,
    StreamEnd,
    StreamEvent,
    TextDelta,
)
from arena.backends.params import GenerationRequest
from arena.backends.text_stream import StopMatcher

_WORD = re.compile(r"\s*\S+|\s+$")


@dataclass(frozen=True)
class Script:
    text: str = "Hello from the scripted backend."
    tokens_per_second: float = 200.0
    fail_after_tokens: int | None = None
    error: str = "scripted failure"
    permanent: bool = False
    first_token_delay_s: float = 0.0

    @classmethod
    def parse(cls, slug: str, raw: str) -> Script:
        try:
            data = json.loads(raw) if raw.strip() else {}
        except json.JSONDecodeError as exc:
            raise InvalidConfig(f"model {slug!r}: script is not valid JSON ({exc})") from None
        if not isinstance(data, dict):
            raise InvalidConfig(f"model {slug!r}: script must be a JSON object")
        unknown = sorted(set(data) - set(cls.__dataclass_fields__))
        if unknown:
            known = ", ".join(cls.__dataclass_fields__)
            raise InvalidConfig(f"model {slug!r}: unknown script key(s) {unknown}; known: {known}")
        return cls(**{key: value for key, value in data.items() if value is not None})


class ScriptedBackend(Backend):
    kind = "scripted"

    def __init__(self, config: BackendConfig) -> None:
        super().__init__(config)
        self.script = Script.parse(config.slug, config.script)
        self.words = _WORD.findall(self.script.text)

    async def _stream(self, request: GenerationRequest) -> AsyncIterator[StreamEvent]:
        clock = StatsClock()
        stop = StopMatcher(request.params.stop)
        prompt_tokens = self.count_tokens(request.prompt or json.dumps(request.messages))
        limit = request.params.max_new_tokens
        await asyncio.sleep(self.script.first_token_delay_s)
        count = 0
        for count, word in enumerate(self.words[:limit], start=1):
            self._maybe_fail(count - 1, clock, prompt_tokens)
            await self._pace(clock.started + self.script.first_token_delay_s, count)
            text = stop.feed(word)
            if text:
                clock.mark_first_token()
                yield TextDelta(text)
            if stop.stopped:
                break
        if tail := stop.flush():
            clock.mark_first_token()
            yield TextDelta(tail)
        truncated = not stop.stopped and len(self.words) > limit
        finish: FinishReason = "length" if truncated else "stop"
        yield StreamEnd(clock.stats(finish, count, prompt_tokens))

    def _maybe_fail(self, produced: int, clock: StatsClock, prompt_tokens: int) -> None:
        if self.script.fail_after_tokens is None or produced < self.script.fail_after_tokens:
            return
        error = BackendError(f"model {self.config.slug!r}: {self.script.error}", permanent=self.script.permanent)
        error.stats = clock.stats("error", produced, prompt_tokens)
        raise error

    async def _pace(self, start: float, count: int) -> None:
        # Sleep to an absolute schedule so per-word overhead does not drift the rate.
        if self.script.tokens_per_second > 0:
            due = start + count / self.script.tokens_per_second
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
