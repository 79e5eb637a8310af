"""From a registry row to a backend, a prompt format and a rendered prompt."""

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from asgiref.sync import async_to_sync

from arena.models import LLM
from prompts import Message, get_format

SAMPLE_CONVERSATION = [
    Message("user", "What is the capital of France?"),
    Message("assistant", "The capital of France is Paris."),
    Message("user", "And of Italy?"),
]


def backend_config(llm: LLM):
    from arena.backends import BackendConfig

    return BackendConfig(
        slug=llm.slug,
        backend=llm.backend,
        source=llm.source,
        gguf_file=llm.gguf_file,
        api_mode=llm.api_mode,
        base_url=llm.base_url,
        remote_model=llm.remote_model,
        api_key_env=llm.api_key_env,
        quantization=llm.quantization,
        bnb_4bit_quant_type=llm.bnb_4bit_quant_type,
        bnb_compute_dtype=llm.bnb_compute_dtype,
        adapter_path=llm.adapter_path,
        device=llm.device,
        dtype=llm.dtype,
        context_length=llm.context_length,
        timeout_s=llm.timeout_s,
        max_retries=llm.max_retries,
        script=llm.script,
    )


def backend_for(llm: LLM):
    from arena.backends import get_backend

    return get_backend(backend_config(llm))


@lru_cache(maxsize=64)
def _chat_template_format(config: object) -> object:
    from arena.backends.loading import load_tokenizer  # shared with the model's own tokenizer

    return get_format("hf-chat-template", tokenizer=load_tokenizer(config))


def prompt_format_for(llm: LLM):
    if llm.prompt_format == "hf-chat-template":
        return _chat_template_format(backend_config(llm))
    return get_format(llm.prompt_format)


@dataclass(frozen=True)
class RenderedPrompt:
    format: str
    text: str | None
    messages: list[dict] | None
    stop: tuple[str, ...]


def with_system_prompt(llm: LLM, messages: list[Message]) -> list[Message]:
    """The row's system prompt leads unless the conversation brings its own."""
    if llm.system_prompt and not any(m.role == "system" for m in messages):
        return [Message("system", llm.system_prompt), *messages]
    return list(messages)


def render_prompt(llm: LLM, messages: list[Message]) -> RenderedPrompt:
    fmt = prompt_format_for(llm)
    rendered: Any = fmt.render(with_system_prompt(llm, messages), add_generation_prompt=True)
    if isinstance(rendered, str):
        return RenderedPrompt(llm.prompt_format, rendered, None, tuple(fmt.stop))
    return RenderedPrompt(llm.prompt_format, None, list(rendered), tuple(fmt.stop))


def preview_prompt(llm: LLM) -> RenderedPrompt:
    return render_prompt(llm, SAMPLE_CONVERSATION)


def generation_params(llm: LLM, format_stop: tuple[str, ...], overrides: dict | None = None):
    """The row's defaults under the caller's overrides. Stop strings add up (the format's end of turn,
    the row's, the caller's) so an override can never drop the token that ends the model's turn."""
    from arena.backends import GenerationParams

    overrides = dict(overrides or {})
    stop = [*format_stop, *(llm.stop or ()), *(overrides.pop("stop", None) or ())]
    return GenerationParams.from_dict({**llm.generation_defaults(), **overrides, "stop": tuple(dict.fromkeys(stop))})


def build_request(llm: LLM, messages: list[Message], overrides: dict | None = None):
    """Render the messages in the row's format and pair them with its generation parameters."""
    from arena.backends import GenerationRequest

    rendered = render_prompt(llm, messages)
    params = generation_params(llm, rendered.stop, overrides)
    return GenerationRequest(prompt=rendered.text, messages=rendered.messages, params=params)


def check_connection(llm: LLM, max_new_tokens: int = 16) -> str:
    """One short greedy generation; raises the backend's error unchanged so the admin shows it."""
    request = build_request(
        llm,
        [Message("user", "Say hello in one short sentence.")],
        {"temperature": 0.0, "max_new_tokens": max_new_tokens},
    )
    return async_to_sync(backend_for(llm).generate)(request).text
