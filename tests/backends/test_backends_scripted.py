"""The scripted backend: word-by-word replay at a set rate, with failures on demand."""

from __future__ import annotations

import json

import pytest

from arena.backends import (
    BackendConfig,
    BackendError,
    GenerationParams,
    GenerationRequest,
    InvalidConfig,
    StreamEnd,
    TextDelta,
    get_backend,
)


def scripted(**script: object) -> BackendConfig:
    return BackendConfig(slug="fake", backend="scripted", script=json.dumps(script))


async def events(config: BackendConfig, **params: object) -> list[object]:
    request = GenerationRequest(prompt="Say something", params=GenerationParams.from_dict(params))
    return [event async for event in get_backend(config).stream(request)]


async def test_replays_the_text_word_by_word_then_one_stream_end() -> None:
    collected = await events(scripted(text="Hello brave new world", tokens_per_second=0))
    assert [e.text for e in collected[:-1]] == ["Hello", " brave", " new", " world"]
    assert all(isinstance(e, TextDelta) for e in collected[:-1])
    end = collected[-1]
    assert isinstance(end, StreamEnd)
    assert end.stats.finish_reason == "stop" and end.stats.completion_tokens == 4
    assert end.stats.ttft_s is not None and end.stats.prompt_tokens == 4


async def test_rate_paces_the_words() -> None:
    completion = await get_backend(scripted(text="a b c d e f g h i j", tokens_per_second=100)).generate(
        GenerationRequest(prompt="x")
    )
    assert completion.text == "a b c d e f g h i j"
    assert completion.stats.duration_s >= 0.09


async def test_max_new_tokens_and_stop_strings() -> None:
    config = scripted(text="one two three STOP four", tokens_per_second=0)
    cut = await get_backend(config).generate(GenerationRequest(prompt="x", params=GenerationParams(max_new_tokens=2)))
    assert (cut.text, cut.stats.finish_reason) == ("one two", "length")
    stopped = await get_backend(config).generate(GenerationRequest(prompt="x", params=GenerationParams(stop=(" ST",))))
    assert (stopped.text, stopped.stats.finish_reason) == ("one two three", "stop")


@pytest.mark.parametrize("permanent", [False, True])
async def test_fails_after_n_tokens_with_partial_stats(permanent: bool) -> None:
    config = scripted(text="a b c d", tokens_per_second=0, fail_after_tokens=2, error="boom", permanent=permanent)
    seen: list[str] = []
    with pytest.raises(BackendError, match="'fake': boom") as caught:
        async for event in get_backend(config).stream(GenerationRequest(prompt="x")):
            seen.append(event.text)
    assert seen == ["a", " b"]
    assert caught.value.permanent is permanent
    assert caught.value.stats is not None and caught.value.stats.finish_reason == "error"


def test_bad_scripts_are_config_errors() -> None:
    with pytest.raises(InvalidConfig, match="unknown script key"):
        get_backend(scripted(txt="typo"))
    with pytest.raises(InvalidConfig, match="not valid JSON"):
        get_backend(BackendConfig(slug="fake", backend="scripted", script="{"))
