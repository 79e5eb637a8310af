"""Generation parameters and requests, validated before any model or endpoint is called."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from arena.backends.errors import BadRequest, InvalidParameters

MAX_NEW_TOKENS = 32768
MAX_STOP_STRINGS = 16


@dataclass(frozen=True)
class _Range:
    low: float
    high: float = math.inf
    low_open: bool = False
    integer: bool = False

    def contains(self, value: float) -> bool:
        above = value > self.low if self.low_open else value >= self.low
        return above and value <= self.high

    def describe(self) -> str:
        low = f"{'>' if self.low_open else '>='} {self.low:g}"
        return low if self.high == math.inf else f"{low} and <= {self.high:g}"


_RANGES: dict[str, _Range] = {
    "temperature": _Range(0.0),
    "top_p": _Range(0.0, 1.0, low_open=True),
    "top_k": _Range(0, integer=True),
    "max_new_tokens": _Range(1, MAX_NEW_TOKENS, integer=True),
    "repetition_penalty": _Range(0.0, low_open=True),
    "frequency_penalty": _Range(-2.0, 2.0),
    "presence_penalty": _Range(-2.0, 2.0),
    "num_return_sequences": _Range(1, integer=True),
}


@dataclass(frozen=True)
class GenerationParams:
    temperature: float = 0.7
    top_p: float = 1.0
    top_k: int = 0
    max_new_tokens: int = 512
    repetition_penalty: float = 1.0
    frequency_penalty: float = 0.0
    presence_penalty: float = 0.0
    stop: tuple[str, ...] = ()
    seed: int | None = None
    num_return_sequences: int = 1

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GenerationParams:
        """Build from a dict (a registry row's defaults, an API request), rejecting anything odd."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InvalidParameters(
                f"unknown generation parameter(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}",
                field=unknown[0],
            )
        values = {name: _check_number(name, value) for name, value in data.items() if name in _RANGES}
        if "stop" in data:
            values["stop"] = _check_stop(data["stop"])
        if "seed" in data:
            values["seed"] = _check_seed(data["seed"])
        return cls(**values)

    def merged(self, overrides: dict[str, Any]) -> GenerationParams:
        return GenerationParams.from_dict({**self.to_dict(), **overrides})

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: `stop` becomes a list."""
        data = asdict(self)
        data["stop"] = list(self.stop)
        return data

    @property
    def greedy(self) -> bool:
        return self.temperature == 0


def _check_number(name: str, value: Any) -> float | int:
    allowed = _RANGES[name]
    kind = "an integer" if allowed.integer else "a number"
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    if not is_number or (allowed.integer and not float(value).is_integer()) or math.isnan(value):
        raise InvalidParameters(f"{name} must be {kind} {allowed.describe()}, got {value!r}", field=name)
    if not allowed.contains(value):
        raise InvalidParameters(f"{name} must be {allowed.describe()}, got {value!r}", field=name)
    return int(value) if allowed.integer else float(value)


def _check_stop(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    stops = (value,) if isinstance(value, str) else value
    if not isinstance(stops, list | tuple) or not all(isinstance(s, str) and s for s in stops):
        raise InvalidParameters(f"stop must be a list of non-empty strings, got {value!r}", field="stop")
    if len(stops) > MAX_STOP_STRINGS:
        raise InvalidParameters(f"stop takes at most {MAX_STOP_STRINGS} strings, got {len(stops)}", field="stop")
    return tuple(stops)


def _check_seed(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidParameters(f"seed must be an integer or null, got {value!r}", field="seed")
    return value


@dataclass(frozen=True)
class GenerationRequest:
    """Exactly one of `prompt` (rendered text) or `messages` (OpenAI-style chat messages)."""

    prompt: str | None = None
    messages: list[dict[str, str]] | None = None
    params: GenerationParams = field(default_factory=GenerationParams)

    def __post_init__(self) -> None:
        if (self.prompt is None) == (self.messages is None):
            raise BadRequest("a generation request needs exactly one of prompt or messages")
        if self.messages is not None:
            _check_messages(self.messages)


def _check_messages(messages: list[dict[str, str]]) -> None:
    if not messages:
        raise BadRequest("messages must not be empty")
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise BadRequest(f"messages[{index}] needs a string 'role'")
        if not isinstance(message.get("content"), str):
            raise BadRequest(f"messages[{index}] needs a string 'content'")
