"""The demo model through the transformers backend: exact greedy text, stops, cancellation, batching."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import torch
from backend_cases import COLORS, FRANCE, MATH, STORY, collect_stream

from arena.backends import (
    BackendConfig,
    BackendError,
    BadRequest,
    GenerationParams,
    GenerationRequest,
    StreamEnd,
    get_backend,
)
from arena.backends.loading import load_tokenizer
from arena.backends.local_model import LocalModel
from arena.backends.transformers_backend import TransformersBackend
from prompts import Message, get_format

pytestmark = pytest.mark.slow
GREEDY = GenerationParams(temperature=0, max_new_tokens=40)


def local_model(config: BackendConfig) -> LocalModel:
    backend = get_backend(config)
    assert isinstance(backend, TransformersBackend)
    local = backend.loaded_model()
    assert local is not None
    return local


def raw_greedy(local: LocalModel, prompt: str, max_new_tokens: int) -> str:
    """transformers' own generate(), bypassing the backend."""
    extra: dict[str, Any] = {"adapter_names": ["__base__"]} if hasattr(local.model, "peft_config") else {}
    ids = local.tokenizer(prompt, return_tensors="pt").input_ids
    with local.runner.lock, torch.inference_mode():
        out = local.model.generate(ids, max_new_tokens=max_new_tokens, do_sample=False, **extra)
    return local.tokenizer.decode(out[0, ids.shape[1] :], skip_special_tokens=True)


async def greedy(config: BackendConfig, prompt: str, **params: Any) -> tuple[str, StreamEnd]:
    request = GenerationRequest(prompt=prompt, params=GREEDY.merged(params))
    return await collect_stream(get_backend(config), request)


def count_steps(monkeypatch: pytest.MonkeyPatch, local: LocalModel) -> list[int]:
    """Record the batch size of every decode step the scheduler runs."""
    sizes: list[int] = []
    original = local.runner.step

    def step(batch: Any, adapters: list[str]) -> torch.Tensor:
        sizes.append(batch.mask.shape[0])
        return original(batch, adapters)

    monkeypatch.setattr(local.runner, "step", step)
    return sizes


async def test_greedy_answer_is_stable_and_matches_raw_generate(demo_config: BackendConfig) -> None:
    first, end = await greedy(demo_config, FRANCE)
    second, _ = await greedy(demo_config, FRANCE)
    assert first == second == raw_greedy(local_model(demo_config), FRANCE, 40)
    assert "Paris" in first
    assert end.stats.finish_reason == "stop" and end.stats.prompt_tokens == 16
    assert end.stats.completion_tokens > 3 and end.stats.ttft_s is not None


async def test_long_answer_matches_raw_generate_and_stops_at_the_limit(demo_config: BackendConfig) -> None:
    text, end = await greedy(demo_config, STORY, max_new_tokens=30)
    assert text == raw_greedy(local_model(demo_config), STORY, 30)
    assert end.stats.finish_reason == "length" and end.stats.completion_tokens == 30


@pytest.mark.parametrize("stop", [" Paris", "Par", "France is P"])
async def test_stop_strings_end_generation_and_are_not_shown(demo_config: BackendConfig, stop: str) -> None:
    full, _ = await greedy(demo_config, FRANCE)
    text, end = await greedy(demo_config, FRANCE, stop=[stop])
    assert text == full[: full.index(stop)]
    assert end.stats.finish_reason == "stop"


@pytest.mark.parametrize("how", ["aclose", "cancel"])
async def test_cancelling_stops_generation_within_a_step(
    demo_config: BackendConfig, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    local = local_model(demo_config)
    steps = count_steps(monkeypatch, local)
    request = GenerationRequest(prompt=STORY, params=GREEDY.merged({"max_new_tokens": 500}))
    stream = get_backend(demo_config).stream(request)
    got_three = asyncio.Event()

    async def consume() -> None:
        async for _ in stream:
            if len(steps) >= 3:
                got_three.set()

    task = asyncio.create_task(consume()) if how == "cancel" else None
    if task is None:
        for _ in range(4):
            await anext(stream)
    else:
        await got_three.wait()
    thread = local.batcher.thread
    assert thread is not None and thread.is_alive()
    if task is None:
        await stream.aclose()
    else:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    at_cancel = len(steps)
    await asyncio.to_thread(thread.join, 10)
    assert not thread.is_alive(), "the decode thread outlived the cancelled request"
    assert len(steps) - at_cancel <= 1
    assert local.batcher.thread is None


async def test_concurrent_requests_are_batched_and_match_their_solo_answers(
    demo_config: BackendConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    prompts = [FRANCE, COLORS, MATH, STORY]
    alone = [(await greedy(demo_config, prompt, max_new_tokens=24))[0] for prompt in prompts]
    sizes = count_steps(monkeypatch, local_model(demo_config))
    together = await asyncio.gather(*(greedy(demo_config, prompt, max_new_tokens=24) for prompt in prompts))
    assert [text for text, _ in together] == alone
    assert max(sizes) == 4
    # One pass of decode steps shared by all four (about 24), not one pass each (about 65).
    assert len(sizes) < 40


async def test_a_request_joins_a_running_batch(demo_config: BackendConfig, monkeypatch: pytest.MonkeyPatch) -> None:
    story_alone, _ = await greedy(demo_config, STORY, max_new_tokens=30)
    france_alone, _ = await greedy(demo_config, FRANCE)
    sizes = count_steps(monkeypatch, local_model(demo_config))
    story = asyncio.create_task(greedy(demo_config, STORY, max_new_tokens=30))
    while len(sizes) < 5:
        await asyncio.sleep(0.01)
    france = await greedy(demo_config, FRANCE)
    assert (await story)[0] == story_alone
    assert france[0] == france_alone
    assert 2 in sizes


async def test_seeded_sampling_repeats_and_penalties_apply(demo_config: BackendConfig) -> None:
    params = {"temperature": 0.9, "top_p": 0.9, "top_k": 50, "seed": 11, "max_new_tokens": 20}
    first, _ = await greedy(demo_config, STORY, **params)
    second, _ = await greedy(demo_config, STORY, **params)
    assert first == second
    penalised, end = await greedy(
        demo_config, STORY, repetition_penalty=1.5, frequency_penalty=1.0, presence_penalty=1.0, max_new_tokens=20
    )
    assert penalised and penalised != (await greedy(demo_config, STORY, max_new_tokens=20))[0]
    assert end.stats.completion_tokens == 20


async def test_prompt_longer_than_the_context_is_refused(demo_config: BackendConfig) -> None:
    short = BackendConfig(slug="demo-short", backend="transformers", source=demo_config.source, context_length=8)
    with pytest.raises(BadRequest, match="16 tokens but the context length is 8"):
        await greedy(short, FRANCE)
    assert local_model(short) is local_model(demo_config)  # same weights, different row
    with pytest.raises(BadRequest, match="the prompt is empty"):
        await greedy(demo_config, "")


async def test_tokens_and_chat_template(demo_config: BackendConfig) -> None:
    backend = get_backend(demo_config)
    assert backend.count_tokens(FRANCE) == 16
    template = get_format("hf-chat-template", tokenizer=load_tokenizer(demo_config))  # the model's own tokenizer
    rendered = template.render([Message("user", "What is the capital of France?")], add_generation_prompt=True)
    assert rendered.endswith(FRANCE)


async def test_a_failed_step_fails_the_request_and_the_model_recovers(
    demo_config: BackendConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    local = local_model(demo_config)

    def broken(batch: Any, adapters: list[str]) -> torch.Tensor:
        raise RuntimeError("simulated out of memory")

    monkeypatch.setattr(local.runner, "step", broken)
    with pytest.raises(BackendError, match=r"'demo'.*simulated out of memory") as caught:
        await greedy(demo_config, FRANCE)
    assert not caught.value.permanent
    monkeypatch.undo()
    assert "Paris" in (await greedy(demo_config, FRANCE))[0]
