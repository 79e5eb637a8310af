"""Token counting with remembered counts, so windowing a long conversation again is cheap."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

CountFn = Callable[[str], int]


class TokenCounter:
    """Counts tokens with ``count``; ``cached()`` remembers up to ``max_entries`` texts."""

    def __init__(self, count: CountFn, max_entries: int = 100_000) -> None:
        self._count = count
        self._cache: dict[str, int] = {}
        self._max_entries = max_entries

    def __call__(self, text: str) -> int:
        return self._count(text)

    def cached(self, text: str) -> int:
        count = self._cache.get(text)
        if count is None:
            count = self._count(text)
            if len(self._cache) >= self._max_entries:
                del self._cache[next(iter(self._cache))]  # the oldest entry
            self._cache[text] = count
        return count

    def __len__(self) -> int:
        return len(self._cache)


# One counter (and so one cache) per counting function or tokenizer. Bounded: a caller that
# makes a new lambda per request gets no reuse, but no leak either.
_COUNTERS: dict[Hashable, TokenCounter] = {}
_MAX_COUNTERS = 32


def _remembered(key: Hashable, make: Callable[[], TokenCounter]) -> TokenCounter:
    counter = _COUNTERS.get(key)
    if counter is None:
        if len(_COUNTERS) >= _MAX_COUNTERS:
            del _COUNTERS[next(iter(_COUNTERS))]
        counter = _COUNTERS[key] = make()
    return counter


def counter_for(count_tokens: CountFn | TokenCounter) -> TokenCounter:
    """The shared counter for a function (bound methods of one object count as one)."""
    if isinstance(count_tokens, TokenCounter):
        return count_tokens
    return _remembered(count_tokens, lambda: TokenCounter(count_tokens))


def counter_for_tokenizer(tokenizer: Any) -> TokenCounter:
    """The shared counter for a transformers tokenizer: tokens of a text as it stands
    (special tokens written in the text count; none are added)."""

    def count(text: str) -> int:
        return len(tokenizer(text, add_special_tokens=False)["input_ids"])

    return _remembered(tokenizer, lambda: TokenCounter(count))
