"""The openai backend against a real local HTTP server that misbehaves on demand (no SDK mocks)."""

from __future__ import annotations

import asyncio
import time

import pytest
from backend_cases import collect_stream

from arena.backends import (
    BackendConfig,
    BadRequest,
    GenerationParams,
    GenerationRequest,
    RateLimited,
    StreamEnd,
    TextDelta,
    Unavailable,
    get_backend,
)
from arena.backends.fake_server import FakeOpenAIServer, Reply
from tests.conftest import free_port

pytestmark = pytest.mark.usefixtures("fast_retries")
CHAT = GenerationRequest(messages=[{"role": "user", "content": "Hi"}], params=GenerationParams(max_new_tokens=50))


def remote(server_url: str, **overrides: object) -> BackendConfig:
    fields: dict[str, object] = {
        "slug": "remote",
        "backend": "openai",
        "base_url": server_url,
        "remote_model": "fake",
        "timeout_s": 5.0,
        "max_retries": 3,
    }
    return BackendConfig(**{**fields, **overrides})


async def collect(config: BackendConfig, request: GenerationRequest = CHAT) -> tuple[str, StreamEnd]:
    return await collect_stream(get_backend(config), request)


async def test_chat_stream_with_usage(fake_server: FakeOpenAIServer) -> None:
    text, end = await collect(remote(fake_server.base_url))
    assert text == "Hello from the fake server."
    assert end.stats.completion_tokens == 5 and end.stats.prompt_tokens is not None
    sent = fake_server.received[0]
    assert sent.path == "/v1/chat/completions"
    assert sent.body["messages"] == [{"role": "user", "content": "Hi"}]
    assert sent.body["stream_options"] == {"include_usage": True} and sent.body["max_tokens"] == 50


async def test_completion_mode_sends_the_rendered_prompt(fake_server: FakeOpenAIServer) -> None:
    config = remote(fake_server.base_url, api_mode="completion")
    params = GenerationParams(top_k=20, repetition_penalty=1.1, seed=3, stop=("\n",))
    text, _ = await collect(config, GenerationRequest(prompt="<s>[INST] Hi [/INST]", params=params))
    assert text == "Hello from the fake server."
    body = fake_server.received[0].body
    assert fake_server.received[0].path == "/v1/completions" and body["prompt"] == "<s>[INST] Hi [/INST]"
    assert (body["top_k"], body["repetition_penalty"], body["seed"], body["stop"]) == (20, 1.1, 3, ["\n"])


async def test_non_streamed_generate(fake_server: FakeOpenAIServer) -> None:
    completion = await get_backend(remote(fake_server.base_url)).generate(CHAT)
    assert completion.text == "Hello from the fake server."
    assert completion.stats.finish_reason == "stop" and fake_server.received[0].body["stream"] is False


async def test_429_waits_for_retry_after_then_succeeds(fake_server: FakeOpenAIServer) -> None:
    fake_server.queue(Reply(status=429, headers={"Retry-After": "1"}))
    started = time.perf_counter()
    text, _ = await collect(remote(fake_server.base_url))
    assert text == "Hello from the fake server."
    assert len(fake_server.received) == 2
    assert fake_server.received[1].at - fake_server.received[0].at >= 0.95
    assert time.perf_counter() - started >= 0.95


async def test_429_with_retry_after_too_long_is_raised_at_once(fake_server: FakeOpenAIServer) -> None:
    fake_server.queue(Reply(status=429, headers={"Retry-After": "3600"}))
    with pytest.raises(RateLimited) as caught:
        await collect(remote(fake_server.base_url))
    assert caught.value.retry_after == 3600 and not caught.value.permanent
    assert len(fake_server.received) == 1


async def test_5xx_is_retried_with_backoff(fake_server: FakeOpenAIServer) -> None:
    fake_server.queue(Reply(status=500), Reply(status=503))
    text, _ = await collect(remote(fake_server.base_url))
    assert text == "Hello from the fake server." and len(fake_server.received) == 3


async def test_retries_are_bounded(fake_server: FakeOpenAIServer) -> None:
    fake_server.default = Reply(status=500, error_message="model crashed")
    with pytest.raises(Unavailable, match="server error 500: model crashed") as caught:
        await collect(remote(fake_server.base_url, max_retries=2))
    assert not caught.value.permanent and len(fake_server.received) == 3


async def test_reset_mid_stream_raises_and_is_not_retried(fake_server: FakeOpenAIServer) -> None:
    fake_server.queue(Reply(text="one two three four five", reset_after_chunks=2))
    seen: list[str] = []
    with pytest.raises(Unavailable) as caught:
        async for event in get_backend(remote(fake_server.base_url)).stream(CHAT):
            seen.append(event.text)
    assert "".join(seen) == "one two"
    assert len(fake_server.received) == 1  # text was shown: a retry would duplicate it
    assert caught.value.stats is not None and caught.value.stats.finish_reason == "error"


async def test_reset_before_the_first_token_is_retried(fake_server: FakeOpenAIServer) -> None:
    fake_server.queue(Reply(reset_after_chunks=0))
    text, _ = await collect(remote(fake_server.base_url))
    assert text == "Hello from the fake server." and len(fake_server.received) == 2


async def test_slow_server_hits_the_read_timeout(fake_server: FakeOpenAIServer) -> None:
    fake_server.default = Reply(delay_s=2.0)
    started = time.perf_counter()
    with pytest.raises(Unavailable, match=r"no answer within 0.3 s"):
        await collect(remote(fake_server.base_url, timeout_s=0.3, max_retries=1))
    assert len(fake_server.received) == 2
    assert time.perf_counter() - started < 1.9


async def test_connection_refused() -> None:
    config = remote(f"http://127.0.0.1:{free_port()}/v1", max_retries=1)
    with pytest.raises(Unavailable, match=r"connection failed.*check the server runs"):
        await collect(config)


async def test_4xx_is_permanent_and_not_retried(fake_server: FakeOpenAIServer) -> None:
    fake_server.queue(Reply(status=400, error_message="max_tokens is too large"))
    with pytest.raises(BadRequest, match="max_tokens is too large") as caught:
        await collect(remote(fake_server.base_url))
    assert caught.value.permanent and len(fake_server.received) == 1


async def test_rejected_key_names_the_variable(fake_server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARENA_TEST_KEY", "sk-wrong")
    fake_server.queue(Reply(status=401, error_message="invalid key"))
    with pytest.raises(BadRequest, match=r"\$ARENA_TEST_KEY"):
        await collect(remote(fake_server.base_url, api_key_env="ARENA_TEST_KEY"))


async def test_missing_key_variable_is_reported_before_calling(fake_server: FakeOpenAIServer) -> None:
    with pytest.raises(BadRequest, match=r"ARENA_UNSET_KEY.*is not set"):
        await collect(remote(fake_server.base_url, api_key_env="ARENA_UNSET_KEY"))
    assert fake_server.received == []


async def test_server_without_stream_options_falls_back(fake_server: FakeOpenAIServer) -> None:
    fake_server.queue(Reply(status=400, error_message="Unrecognized request argument: stream_options"))
    config = remote(fake_server.base_url, slug="old-server")
    text, end = await collect(config)
    assert text == "Hello from the fake server." and end.stats.completion_tokens == 5
    assert "stream_options" not in fake_server.received[1].body


async def test_closing_the_stream_closes_the_connection(fake_server: FakeOpenAIServer) -> None:
    fake_server.default = Reply(text="a b c d e f g h", chunk_delay_s=0.05)
    stream = get_backend(remote(fake_server.base_url)).stream(CHAT)
    first = await anext(stream)
    assert first == TextDelta("a")
    await stream.aclose()
    for _ in range(100):  # the server notices at its next write
        if fake_server.disconnects:
            break
        await asyncio.sleep(0.02)
    assert fake_server.disconnects == 1


async def test_concurrent_calls_run_in_parallel(fake_server: FakeOpenAIServer) -> None:
    fake_server.default = Reply(delay_s=0.3)
    backend = get_backend(remote(fake_server.base_url))
    results = await asyncio.gather(*(backend.generate(CHAT) for _ in range(4)))
    assert all(result.text == "Hello from the fake server." for result in results)
    starts = sorted(received.at for received in fake_server.received)
    assert starts[-1] - starts[0] < 0.3  # all four were in flight together
