"""What a backend's stream yields, and the statistics it ends with."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

FinishReason = Literal["stop", "length", "cancelled", "error"]


@dataclass(frozen=True)
class GenerationStats:
    prompt_tokens: int | None
    completion_tokens: int
    ttft_s: float | None
    tokens_per_second: float | None
    finish_reason: FinishReason
    duration_s: float


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class StreamEnd:
    stats: GenerationStats


@dataclass(frozen=True)
class Completion:
    text: str
    stats: GenerationStats


StreamEvent = TextDelta | StreamEnd


class StatsClock:
    """Times one generation: started on creation, first token marked once, stats built at the end."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.first_token_at: float | None = None

    def mark_first_token(self) -> None:
        if self.first_token_at is None:
            self.first_token_at = time.perf_counter()

    def stats(self, finish_reason: FinishReason, completion_tokens: int, prompt_tokens: int | None) -> GenerationStats:
        now = time.perf_counter()
        ttft = None if self.first_token_at is None else self.first_token_at - self.started
        return GenerationStats(
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            ttft_s=ttft,
            tokens_per_second=_decode_rate(completion_tokens, self.first_token_at, now),
            finish_reason=finish_reason,
            duration_s=now - self.started,
        )


def _decode_rate(tokens: int, first_at: float | None, end: float) -> float | None:
    # Decode speed excludes the first token, whose time is prefill (reported as ttft_s).
    if first_at is None or tokens < 2 or end <= first_at:
        return None
    return (tokens - 1) / (end - first_at)
