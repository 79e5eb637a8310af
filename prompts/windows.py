"""Conversation windows: which messages of a conversation are sent to a model.

Every strategy keeps the system message (first, when there is one) and the latest messages;
a window starts on a user turn when it can, since an answer without its question misleads.
Call a strategy as ``strategy(messages, count_tokens=fn, fmt=None)``; with ``fmt`` the token
count is measured on the rendered prompt instead of estimated per message.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from prompts.counting import CountFn, TokenCounter, counter_for
from prompts.errors import InvalidWindow, PromptTooLong, UnknownWindow
from prompts.messages import (
    SYSTEM,
    USER,
    Message,
    MessageLike,
    check_structure,
    to_messages,
)

__all__ = [
    "Full", "LastN", "PromptTooLong", "Strategy", "TokenBudget", "Window",
    "available_windows", "full", "get_window", "last_n", "token_budget",
]

# Per-message overhead (role header and end marker) added to content tokens in estimates;
# the common chat formats spend 4 to 6 tokens on it.
TOKENS_PER_MESSAGE = 5


@dataclass(frozen=True)
class Window:
    messages: list[Message]  # what is sent, the system message first when present
    kept: list[int]  # indices of those messages in the input conversation
    token_count: int | None  # None when no counting function was given


class _Renders(Protocol):
    def render(
        self, messages: Iterable[MessageLike], add_generation_prompt: bool = True
    ) -> str | list[dict[str, str]]: ...


class Strategy(Protocol):
    name: ClassVar[str]

    def __call__(
        self,
        messages: Iterable[MessageLike],
        count_tokens: CountFn | TokenCounter | None = None,
        fmt: _Renders | None = None,
    ) -> Window: ...


@dataclass(frozen=True)
class Full:
    name: ClassVar[str] = "full"

    def __call__(
        self,
        messages: Iterable[MessageLike],
        count_tokens: CountFn | TokenCounter | None = None,
        fmt: _Renders | None = None,
    ) -> Window:
        msgs = _checked(messages)
        return _measured(msgs, list(range(len(msgs))), count_tokens, fmt)


@dataclass(frozen=True)
class LastN:
    """The system message plus the last ``n`` exchanges.

    An exchange starts at a user message; the pending question counts as the newest one, so
    ``last_n(2)`` sends the previous question with its answer and the new question.
    """

    n: int
    name: ClassVar[str] = "last_n"

    def __post_init__(self) -> None:
        if not isinstance(self.n, int) or self.n < 1:
            raise InvalidWindow(f"last_n needs n >= 1 exchanges, got {self.n!r}")

    def __call__(
        self,
        messages: Iterable[MessageLike],
        count_tokens: CountFn | TokenCounter | None = None,
        fmt: _Renders | None = None,
    ) -> Window:
        msgs = _checked(messages)
        starts = [i for i, m in enumerate(msgs) if m.role == "user"]
        first = max(_first_turn(msgs), starts[-self.n] if len(starts) >= self.n else 0)
        return _measured(msgs, _with_system(msgs, range(first, len(msgs))), count_tokens, fmt)


@dataclass(frozen=True)
class TokenBudget:
    """The system message plus as many of the latest messages as fit in
    ``context_length - reserve_for_answer`` tokens."""

    context_length: int
    reserve_for_answer: int = 0
    tokens_per_message: int = TOKENS_PER_MESSAGE
    name: ClassVar[str] = "token_budget"

    def __post_init__(self) -> None:
        for field in ("context_length", "reserve_for_answer", "tokens_per_message"):
            if not isinstance(getattr(self, field), int) or getattr(self, field) < 0:
                raise InvalidWindow(f"token_budget needs {field} >= 0, got {getattr(self, field)!r}")
        if self.available < 1:
            raise InvalidWindow(
                f"reserve_for_answer ({self.reserve_for_answer}) leaves no room in a context of "
                f"{self.context_length} tokens"
            )

    @property
    def available(self) -> int:
        return self.context_length - self.reserve_for_answer

    def __call__(
        self,
        messages: Iterable[MessageLike],
        count_tokens: CountFn | TokenCounter | None = None,
        fmt: _Renders | None = None,
    ) -> Window:
        if count_tokens is None:
            raise InvalidWindow("token_budget needs count_tokens (a function text -> tokens)")
        counter = counter_for(count_tokens)
        msgs = _checked(messages)
        costs, frame = self._estimates(msgs, counter, fmt)
        kept = self._latest_fitting(msgs, costs, self.available - frame)
        if fmt is None:
            return Window([msgs[i] for i in kept], kept, sum(costs[i] for i in kept))
        return self._fit_rendered(msgs, kept, costs, counter, fmt)

    def _estimates(
        self, msgs: list[Message], counter: TokenCounter, fmt: _Renders | None
    ) -> tuple[list[int], int]:
        """Estimated tokens per message (cached), and for the rest of the prompt.

        Text formats say what each turn adds, markers included: counting that is nearly exact
        (special tokens split the text). Otherwise: content plus a flat per-message overhead.
        """
        turn_text = getattr(fmt, "turn_text", None)
        frame_text = getattr(fmt, "frame_text", None)
        if turn_text is None or frame_text is None:
            return [counter.cached(m.content) + self.tokens_per_message for m in msgs], 0
        return [counter.cached(turn_text(m)) for m in msgs], counter.cached(frame_text())

    def _latest_fitting(self, msgs: list[Message], costs: list[int], budget: int) -> list[int]:
        first_turn = _first_turn(msgs)
        total = sum(costs[:first_turn]) + costs[-1]
        if total > budget:
            raise PromptTooLong(total + self.available - budget, self.available)
        first = len(msgs) - 1
        while first > first_turn and total + costs[first - 1] <= budget:
            first -= 1
            total += costs[first]
        return _with_system(msgs, range(first, len(msgs)))

    def _fit_rendered(
        self,
        msgs: list[Message],
        kept: list[int],
        costs: list[int],
        counter: TokenCounter,
        fmt: _Renders,
    ) -> Window:
        """Measure the rendered prompt; while it is over, drop the oldest turns worth the excess."""
        while True:
            window = [msgs[i] for i in kept]
            prompt = fmt.render(window, add_generation_prompt=window[-1].role == USER)
            if not isinstance(prompt, str):  # chat-API messages: the estimate is all we have
                return Window(window, kept, sum(costs[i] for i in kept))
            count = counter(prompt)
            if count <= self.available:
                return Window(window, kept, count)
            turns = kept[_first_turn(msgs) :]
            if len(turns) == 1:
                raise PromptTooLong(count, self.available)
            kept = _with_system(msgs, turns[_drop_for(turns, costs, count - self.available) :])


# The strategies are their own factories: get_window checks parameters against the class signatures.
full, last_n, token_budget = Full, LastN, TokenBudget
_STRATEGIES: dict[str, Callable[..., Strategy]] = {"full": Full, "last_n": LastN, "token_budget": TokenBudget}


def available_windows() -> list[str]:
    return sorted(_STRATEGIES)


def get_window(name: str, **params: Any) -> Strategy:
    factory = _STRATEGIES.get(name)
    if factory is None:
        raise UnknownWindow(name, _STRATEGIES)
    signature = inspect.signature(factory)
    try:
        signature.bind(**params)
    except TypeError as exc:
        takes = ", ".join(str(p).replace("'", "") for p in signature.parameters.values())
        raise InvalidWindow(f"window {name!r} takes ({takes}): {exc}") from exc
    return factory(**params)


def _drop_for(turns: list[int], costs: list[int], excess: int) -> int:
    """How many of the oldest ``turns`` to drop to save ``excess`` tokens (at least one, never
    the last)."""
    dropped, saved = 0, 0
    while dropped < len(turns) - 1 and (dropped == 0 or saved < excess):
        saved += costs[turns[dropped]]
        dropped += 1
    return dropped


def _checked(messages: Iterable[MessageLike]) -> list[Message]:
    msgs = to_messages(messages)
    check_structure(msgs)
    return msgs


def _first_turn(msgs: list[Message]) -> int:
    """Index of the first non-system message."""
    return 1 if msgs[0].role == SYSTEM else 0


def _with_system(msgs: list[Message], tail: Sequence[int]) -> list[int]:
    """``tail`` from its first user message on (if it has one), after the system message."""
    start = next((pos for pos, i in enumerate(tail) if msgs[i].role == USER), 0)
    return list(range(_first_turn(msgs))) + list(tail[start:])


def _measured(
    msgs: list[Message], kept: list[int], count_tokens: CountFn | TokenCounter | None,
    fmt: _Renders | None,
) -> Window:
    window = [msgs[i] for i in kept]
    if count_tokens is None:
        return Window(window, kept, None)
    counter = counter_for(count_tokens)
    if fmt is not None:
        prompt = fmt.render(window, add_generation_prompt=window[-1].role == USER)
        if isinstance(prompt, str):
            return Window(window, kept, counter(prompt))
    return Window(window, kept, sum(counter.cached(m.content) + TOKENS_PER_MESSAGE for m in window))
