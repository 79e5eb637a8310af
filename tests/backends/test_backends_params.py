"""Parameters, requests, configs and the registry: everything checked before a model is touched."""

from __future__ import annotations

import pytest

from arena.backends import (
    BackendConfig,
    BadRequest,
    GenerationParams,
    GenerationRequest,
    InvalidConfig,
    InvalidParameters,
    available_backends,
    get_backend,
)
from arena.backends.transformers_backend import TransformersBackend


@pytest.mark.parametrize(
    ("field", "value", "allowed"),
    [
        ("temperature", -0.1, ">= 0"),
        ("top_p", 0, "> 0 and <= 1"),
        ("top_p", 1.5, "> 0 and <= 1"),
        ("top_k", -1, ">= 0"),
        ("top_k", 2.5, "an integer"),
        ("max_new_tokens", 0, ">= 1 and <= 32768"),
        ("max_new_tokens", 40000, ">= 1 and <= 32768"),
        ("repetition_penalty", 0, "> 0"),
        ("frequency_penalty", 2.5, ">= -2 and <= 2"),
        ("presence_penalty", -3, ">= -2 and <= 2"),
        ("num_return_sequences", 0, ">= 1"),
        ("temperature", "hot", "a number"),
        ("max_new_tokens", True, "an integer"),
        ("seed", 1.5, "an integer or null"),
        ("stop", [""], "non-empty strings"),
        ("stop", 3, "non-empty strings"),
    ],
)
def test_out_of_range_values_name_the_field_and_range(field: str, value: object, allowed: str) -> None:
    with pytest.raises(InvalidParameters) as caught:
        GenerationParams.from_dict({field: value})
    assert caught.value.field == field
    assert field in str(caught.value) and allowed in str(caught.value)
    assert caught.value.permanent


def test_unknown_keys_are_rejected_listing_the_known_ones() -> None:
    with pytest.raises(InvalidParameters, match=r"unknown generation parameter.*max_tokens.*known:.*max_new_tokens"):
        GenerationParams.from_dict({"max_tokens": 5})


def test_from_dict_normalises_and_round_trips() -> None:
    params = GenerationParams.from_dict({"temperature": 0, "top_k": 40.0, "stop": "END", "seed": 7})
    assert params.temperature == 0.0 and params.top_k == 40 and isinstance(params.top_k, int)
    assert params.stop == ("END",) and params.greedy
    assert GenerationParams.from_dict(params.to_dict()) == params
    assert params.to_dict()["stop"] == ["END"]


def test_merged_overrides_and_validates() -> None:
    base = GenerationParams.from_dict({"temperature": 0.3, "max_new_tokens": 64})
    merged = base.merged({"max_new_tokens": 8, "stop": ["\n"]})
    assert (merged.temperature, merged.max_new_tokens, merged.stop) == (0.3, 8, ("\n",))
    with pytest.raises(InvalidParameters, match="top_p"):
        base.merged({"top_p": 2})


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"prompt": "hi", "messages": [{"role": "user", "content": "hi"}]},
        {"messages": []},
        {"messages": [{"role": "user"}]},
    ],
)
def test_requests_need_exactly_one_well_formed_input(kwargs: dict) -> None:
    with pytest.raises(BadRequest):
        GenerationRequest(**kwargs)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("quantization", "3bit"),
        ("device", "tpu"),
        ("dtype", "fp8"),
        ("api_mode", "edit"),
        ("bnb_4bit_quant_type", "int4"),
        ("bnb_compute_dtype", "fp64"),
        ("timeout_s", 0),
        ("max_retries", -1),
    ],
)
def test_config_rejects_unknown_choices(field: str, value: object) -> None:
    with pytest.raises(InvalidConfig, match=f"'demo'.*{field}"):
        BackendConfig(slug="demo", backend="scripted", **{field: value})


def test_unknown_backend_kind_lists_the_known_ones() -> None:
    assert available_backends() == ("openai", "scripted", "transformers")
    with pytest.raises(InvalidConfig, match="unknown backend kind 'vllm'; known kinds: openai, scripted, transformers"):
        get_backend(BackendConfig(slug="x", backend="vllm"))


def test_get_backend_is_cached_per_config() -> None:
    config = BackendConfig(slug="s", backend="scripted")
    assert get_backend(config) is get_backend(BackendConfig(slug="s", backend="scripted"))
    assert get_backend(config) is not get_backend(BackendConfig(slug="s", backend="scripted", script='{"text": "x"}'))


async def test_wrong_input_kind_fails_before_any_model_is_loaded() -> None:
    config = BackendConfig(slug="nowhere", backend="transformers", source="/nonexistent/model")
    backend = get_backend(config)
    assert isinstance(backend, TransformersBackend)
    with pytest.raises(BadRequest, match=r"'nowhere'.*needs a rendered prompt"):
        backend.stream(GenerationRequest(messages=[{"role": "user", "content": "hi"}]))
    with pytest.raises(InvalidParameters, match="num_return_sequences must be 1"):
        backend.stream(GenerationRequest(prompt="hi", params=GenerationParams(num_return_sequences=2)))
    assert backend.loaded_model() is None


@pytest.mark.parametrize(
    ("api_mode", "request_kwargs", "wanted"),
    [
        ("chat", {"prompt": "hi"}, "chat messages"),
        ("completion", {"messages": [{"role": "user", "content": "hi"}]}, "a rendered prompt"),
    ],
)
def test_openai_modes_need_their_input(api_mode: str, request_kwargs: dict, wanted: str) -> None:
    config = BackendConfig(
        slug="remote", backend="openai", api_mode=api_mode, base_url="http://127.0.0.1:9/v1", remote_model="m"
    )
    with pytest.raises(BadRequest, match=f"in {api_mode} mode needs {wanted}"):
        get_backend(config).stream(GenerationRequest(**request_kwargs))


def test_openai_backend_needs_a_remote_model() -> None:
    with pytest.raises(InvalidConfig, match="remote_model"):
        get_backend(BackendConfig(slug="remote", backend="openai", base_url="http://127.0.0.1:9/v1"))
