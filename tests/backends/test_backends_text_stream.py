"""Stop strings and incremental decoding, the text-safety layer every backend shares."""

from __future__ import annotations

import pytest

from arena.backends.text_stream import IncrementalDecoder, StopMatcher


def run(stops: tuple[str, ...], pieces: list[str]) -> tuple[list[str], bool]:
    matcher = StopMatcher(stops)
    shown = [matcher.feed(piece) for piece in pieces]
    if not matcher.stopped:
        shown.append(matcher.flush())
    return [text for text in shown if text], matcher.stopped


@pytest.mark.parametrize(
    ("stops", "pieces", "shown", "stopped"),
    [
        (("END",), ["Hello ", "world"], ["Hello ", "world"], False),
        (("END",), ["Hello E", "N", "D and more"], ["Hello "], True),
        (("\n\nUser:",), ["Hi.\n", "\nUs", "er: next"], ["Hi."], True),
        (("\n\nUser:",), ["Hi.\n", "\nUs", "ually"], ["Hi.", "\n\nUsually"], False),
        (("ab", "b"), ["xab"], ["x"], True),
        (("</s>",), ["a</", "p>"], ["a", "</p>"], False),
        ((), ["as", "is"], ["as", "is"], False),
    ],
)
def test_stop_strings_cut_and_hold_back(
    stops: tuple[str, ...], pieces: list[str], shown: list[str], stopped: bool
) -> None:
    assert run(stops, pieces) == (shown, stopped)


class ByteTokenizer:
    """Each token is one byte of UTF-8: the worst case for text split mid-character."""

    def decode(self, ids: list[int], skip_special_tokens: bool = True) -> str:
        return bytes(ids).decode("utf-8", errors="replace")


def test_incremental_decoding_never_shows_half_a_character() -> None:
    decoder = IncrementalDecoder(ByteTokenizer())
    text = "héllo 🐉 dragon"
    pieces = [decoder.push(byte) for byte in text.encode()]
    assert all("\ufffd" not in piece for piece in pieces)
    assert "".join(pieces) + decoder.flush() == text
    # The dragon's four bytes produce nothing until the last one arrives.
    dragon_start = len("héllo ".encode())
    assert pieces[dragon_start : dragon_start + 3] == ["", "", ""]
    assert pieces[dragon_start + 3] == "🐉"


def test_flush_releases_an_incomplete_tail() -> None:
    decoder = IncrementalDecoder(ByteTokenizer())
    assert decoder.push(0xF0) == ""
    assert decoder.flush() == "\ufffd"
    assert decoder.flush() == ""
