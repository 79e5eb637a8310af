"""The openai backend against llama.cpp's real OpenAI-compatible server running the demo GGUF.

Answer text is not asserted: llama.cpp's Q4 arithmetic differs from transformers' dequantized one.
"""

from __future__ import annotations

import pytest
from backend_cases import FRANCE

from arena.backends import BackendConfig, GenerationParams, GenerationRequest, StreamEnd, TextDelta, get_backend

pytestmark = pytest.mark.slow
PARAMS = GenerationParams(temperature=0, max_new_tokens=16)
REQUESTS = {
    "chat": GenerationRequest(messages=[{"role": "user", "content": "What is the capital of France?"}], params=PARAMS),
    "completion": GenerationRequest(prompt=FRANCE, params=PARAMS),
}


def config(base_url: str, api_mode: str) -> BackendConfig:
    return BackendConfig(
        slug=f"llama-cpp-{api_mode}",
        backend="openai",
        api_mode=api_mode,
        base_url=base_url,
        remote_model="demo",
        timeout_s=60,
        max_retries=0,
    )


@pytest.mark.parametrize("api_mode", ["chat", "completion"])
async def test_streams_text_then_stats(llama_server: str, api_mode: str) -> None:
    backend = get_backend(config(llama_server, api_mode))
    await backend.load()
    events = [event async for event in backend.stream(REQUESTS[api_mode])]
    deltas, end = events[:-1], events[-1]
    assert deltas and all(isinstance(d, TextDelta) and d.text for d in deltas)
    assert isinstance(end, StreamEnd)
    assert end.stats.finish_reason in ("stop", "length")
    assert 0 < end.stats.completion_tokens <= 16
    assert end.stats.ttft_s is not None and end.stats.ttft_s <= end.stats.duration_s


@pytest.mark.parametrize("api_mode", ["chat", "completion"])
async def test_non_streamed_answer(llama_server: str, api_mode: str) -> None:
    completion = await get_backend(config(llama_server, api_mode)).generate(REQUESTS[api_mode])
    assert completion.text.strip()
    assert completion.stats.prompt_tokens and 0 < completion.stats.completion_tokens <= 16


async def test_stop_strings_are_not_in_the_text(llama_server: str) -> None:
    params = GenerationParams(temperature=0, max_new_tokens=32, stop=("a",))
    request = GenerationRequest(messages=[{"role": "user", "content": "Say banana."}], params=params)
    completion = await get_backend(config(llama_server, "chat")).generate(request)
    assert "a" not in completion.text
