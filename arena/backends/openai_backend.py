"""OpenAI-compatible endpoints (OpenAI, vLLM, llama.cpp, the arena's own /v1) through AsyncOpenAI.

Two modes per row: "chat" sends messages to /v1/chat/completions; "completion" sends the prompt the
arena rendered to /v1/completions, which is how a raw base model gets its right format.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import weakref
from collections.abc import AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

import httpx
import openai

from arena.backends.base import Backend, InputKind
from arena.backends.config import BackendConfig
from arena.backends.errors import BackendError, BadRequest, InvalidConfig
from arena.backends.events import (
    Completion,
    FinishReason,
    GenerationStats,
    StatsClock,
    StreamEnd,
    StreamEvent,
    TextDelta,
)
from arena.backends.openai_errors import NETWORK_ERRORS, map_error
from arena.backends.params import GenerationParams, GenerationRequest
from arena.backends.retry import RetryPolicy
from arena.backends.text_stream import StopMatcher

CONNECT_TIMEOUT_S = 10.0
# The OpenAI API accepts at most 4 stop strings; any others are still applied locally.
MAX_REMOTE_STOPS = 4


@dataclass
class _StreamState:
    """What one streamed answer has produced so far, across retried attempts."""

    stop: StopMatcher
    chunks: int = 0
    finish: FinishReason = "stop"
    usage: Any = None

    @property
    def started(self) -> bool:
        return self.chunks > 0


class OpenAIBackend(Backend):
    kind = "openai"

    def __init__(self, config: BackendConfig) -> None:
        super().__init__(config)
        if not config.remote_model:
            raise InvalidConfig(f"model {config.slug!r}: the openai backend needs remote_model")
        self.retry = RetryPolicy(config.max_retries)
        # httpx connection pools belong to one event loop, so each loop gets its own client.
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, openai.AsyncOpenAI] = (
            weakref.WeakKeyDictionary()
        )
        self._usage_in_stream = True

    def input_kind(self) -> InputKind:
        return "messages" if self.config.api_mode == "chat" else "prompt"

    def label(self) -> str:
        return f"the {self.kind} backend in {self.config.api_mode} mode"

    async def load(self) -> None:
        """Check the endpoint answers (the admin's "test connection")."""
        try:
            await self._client().models.list()
        except NETWORK_ERRORS as exc:
            raise map_error(exc, self.config) from exc

    async def _stream(self, request: GenerationRequest) -> AsyncIterator[StreamEvent]:
        clock = StatsClock()
        state = _StreamState(StopMatcher(request.params.stop))
        for attempt in itertools.count():
            try:
                async with aclosing(self._stream_attempt(request, state)) as texts:
                    async for text in texts:
                        clock.mark_first_token()
                        yield TextDelta(text)
                break
            except BackendError as error:
                # Text already shown cannot be taken back, so only a failure before it is retried.
                if state.started:
                    error.stats = clock.stats("error", state.chunks, None)
                    raise
                await self.retry.before_retry(error, attempt)
        if tail := state.stop.flush():
            yield TextDelta(tail)
        yield StreamEnd(self._stats(clock, state))

    async def _stream_attempt(self, request: GenerationRequest, state: _StreamState) -> AsyncIterator[str]:
        stream = await self._create(request, stream=True)
        try:
            async for chunk in stream:
                if text := self._absorb_chunk(chunk, state):
                    yield text
                if state.stop.stopped:
                    state.finish = "stop"
                    return
        except NETWORK_ERRORS as exc:
            raise map_error(exc, self.config) from exc
        finally:
            await stream.close()

    def _absorb_chunk(self, chunk: Any, state: _StreamState) -> str:
        if chunk.usage is not None:
            state.usage = chunk.usage
        if not chunk.choices:
            return ""
        choice = chunk.choices[0]
        if choice.finish_reason:
            state.finish = "length" if choice.finish_reason == "length" else "stop"
        text = choice.delta.content if self.config.api_mode == "chat" else choice.text
        if not text:
            return ""
        state.chunks += 1
        return state.stop.feed(text)

    def _stats(self, clock: StatsClock, state: _StreamState) -> GenerationStats:
        usage = state.usage
        completion_tokens = usage.completion_tokens if usage else state.chunks
        prompt_tokens = usage.prompt_tokens if usage else None
        return clock.stats(state.finish, completion_tokens, prompt_tokens)

    async def generate(self, request: GenerationRequest) -> Completion:
        """One non-streamed call (with retries), for callers that want the whole answer at once."""
        self.check_request(request)
        clock = StatsClock()
        for attempt in itertools.count():
            try:
                response = await self._create(request, stream=False)
                break
            except BackendError as error:
                await self.retry.before_retry(error, attempt)
        clock.mark_first_token()
        return self._completion(response, request.params, clock)

    def _completion(self, response: Any, params: GenerationParams, clock: StatsClock) -> Completion:
        choice = response.choices[0]
        text = (choice.message.content if self.config.api_mode == "chat" else choice.text) or ""
        stop = StopMatcher(params.stop)
        shown = stop.feed(text) + stop.flush()
        finish: FinishReason = "length" if choice.finish_reason == "length" and not stop.stopped else "stop"
        usage = response.usage
        completion_tokens = usage.completion_tokens if usage else self.count_tokens(shown)
        stats = clock.stats(finish, completion_tokens, usage.prompt_tokens if usage else None)
        return Completion(text=shown, stats=stats)

    async def _create(self, request: GenerationRequest, stream: bool) -> Any:
        kwargs = self._request_kwargs(request, stream)
        client = self._client()
        endpoint = client.chat.completions if self.config.api_mode == "chat" else client.completions
        try:
            return await endpoint.create(**kwargs)
        except NETWORK_ERRORS as exc:
            error = map_error(exc, self.config)
        if isinstance(error, BadRequest) and "stream_options" in str(error) and self._usage_in_stream:
            # Older servers reject stream_options; fall back to counting chunks.
            self._usage_in_stream = False
            return await self._create(request, stream)
        raise error

    def _request_kwargs(self, request: GenerationRequest, stream: bool) -> dict[str, Any]:
        params = request.params
        kwargs: dict[str, Any] = {
            "model": self.config.remote_model,
            "temperature": params.temperature,
            "top_p": params.top_p,
            "max_tokens": params.max_new_tokens,
            "frequency_penalty": params.frequency_penalty,
            "presence_penalty": params.presence_penalty,
            "stream": stream,
        }
        if self.config.api_mode == "chat":
            kwargs["messages"] = request.messages
        else:
            kwargs["prompt"] = request.prompt
        if params.stop:
            kwargs["stop"] = list(params.stop[:MAX_REMOTE_STOPS])
        if params.seed is not None:
            kwargs["seed"] = params.seed
        if stream and self._usage_in_stream:
            kwargs["stream_options"] = {"include_usage": True}
        if extra := _extra_body(params):
            kwargs["extra_body"] = extra
        return kwargs

    def _client(self) -> openai.AsyncOpenAI:
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            client = openai.AsyncOpenAI(
                base_url=self.config.base_url or None,
                api_key=self._api_key(),
                timeout=httpx.Timeout(self.config.timeout_s, connect=min(CONNECT_TIMEOUT_S, self.config.timeout_s)),
                max_retries=0,  # retries are ours: the SDK would also retry after text was shown
            )
            self._clients[loop] = client
        return client

    def _api_key(self) -> str:
        name = self.config.api_key_env
        if not name:
            return "EMPTY"
        key = os.environ.get(name)
        if not key:
            raise BadRequest(
                f"model {self.config.slug!r}: environment variable {name} (its api_key_env) is not set; "
                "export it in the server's environment"
            )
        return key


def _extra_body(params: GenerationParams) -> dict[str, Any]:
    # Not in the OpenAI API, but vLLM and llama.cpp accept them; sent only when they change anything.
    extra: dict[str, Any] = {}
    if params.top_k:
        extra["top_k"] = params.top_k
    if params.repetition_penalty != 1.0:
        extra["repetition_penalty"] = params.repetition_penalty
    return extra
