"""Turning generated pieces into text that is safe to show: stop strings and incremental decoding."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

REPLACEMENT_CHAR = "\ufffd"


class StopMatcher:
    """Cuts the text at the first stop string and holds back a tail that may be the start of one.

    Without the hold-back, a stop string split over two pieces ("\\n\\nUs" + "er:") would be shown
    before it could be recognised.
    """

    def __init__(self, stops: Sequence[str]) -> None:
        self.stops = tuple(stops)
        self.pending = ""
        self.stopped = False

    def feed(self, text: str) -> str:
        """Add `text`; return what can be shown now."""
        buffer = self.pending + text
        cut = self._first_stop(buffer)
        if cut is not None:
            self.stopped = True
            self.pending = ""
            return buffer[:cut]
        keep = self._partial_stop_length(buffer)
        self.pending = buffer[len(buffer) - keep :]
        return buffer[: len(buffer) - keep]

    def flush(self) -> str:
        """The held-back tail, once generation has ended without a stop string."""
        rest, self.pending = self.pending, ""
        return rest

    def _first_stop(self, buffer: str) -> int | None:
        found = [index for stop in self.stops if (index := buffer.find(stop)) >= 0]
        return min(found) if found else None

    def _partial_stop_length(self, buffer: str) -> int:
        longest = 0
        for stop in self.stops:
            for size in range(min(len(stop) - 1, len(buffer)), longest, -1):
                if buffer.endswith(stop[:size]):
                    longest = size
                    break
        return longest


class Decoder(Protocol):
    def decode(self, ids: list[int], skip_special_tokens: bool = ...) -> str: ...


class IncrementalDecoder:
    """Decodes token ids one at a time, emitting text as soon as it is stable.

    Text is stable once it does not end in U+FFFD, the mark of a UTF-8 sequence split across
    tokens. Decoding a short window (from the previous emission point) rather than each token
    alone keeps tokenizers that merge spaces into the next word correct.
    """

    def __init__(self, tokenizer: Decoder) -> None:
        self.tokenizer = tokenizer
        self.ids: list[int] = []
        self.prefix_offset = 0
        self.read_offset = 0

    def push(self, token_id: int) -> str:
        self.ids.append(token_id)
        prefix = self._decode(self.prefix_offset, self.read_offset)
        text = self._decode(self.prefix_offset, len(self.ids))
        if len(text) <= len(prefix) or text.endswith(REPLACEMENT_CHAR):
            return ""
        self.prefix_offset, self.read_offset = self.read_offset, len(self.ids)
        return text[len(prefix) :]

    def flush(self) -> str:
        """Whatever is left when generation ends, even if incomplete."""
        if self.read_offset == len(self.ids):
            return ""
        prefix = self._decode(self.prefix_offset, self.read_offset)
        text = self._decode(self.prefix_offset, len(self.ids))
        self.prefix_offset = self.read_offset = len(self.ids)
        return text[len(prefix) :]

    def _decode(self, start: int, end: int) -> str:
        if start >= end:
            return ""
        return self.tokenizer.decode(self.ids[start:end], skip_special_tokens=True)
