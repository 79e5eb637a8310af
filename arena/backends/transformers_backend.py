"""Local Hugging Face transformers models, streamed from the model's batch scheduler thread.

The scheduler hands over token ids; this side decodes them incrementally and applies stop strings,
so text is shown as soon as it is stable and the decode loop never waits on Python string work.
torch and transformers are imported on first use inside a worker thread (with the model load),
so building this backend on the event loop costs nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from arena.backends.base import Backend, InputKind
from arena.backends.config import BackendConfig
from arena.backends.errors import BadRequest, InvalidConfig
from arena.backends.events import StatsClock, StreamEnd, StreamEvent, TextDelta
from arena.backends.params import GenerationRequest
from arena.backends.text_stream import IncrementalDecoder, StopMatcher

if TYPE_CHECKING:
    from arena.backends.batching import Finished, Sequence
    from arena.backends.loading import ModelKey
    from arena.backends.local_model import LocalModel


class TransformersBackend(Backend):
    kind = "transformers"

    def __init__(self, config: BackendConfig) -> None:
        super().__init__(config)
        if not config.source:
            raise InvalidConfig(f"model {config.slug!r}: the transformers backend needs a source")
        self._key: ModelKey | None = None
        self._tokenizer: Any = None

    @property
    def key(self) -> ModelKey:
        """The weights this row runs on (resolving "auto" device and dtype imports torch)."""
        if self._key is None:
            from arena.backends.loading import ModelKey

            self._key = ModelKey.for_config(self.config)
        return self._key

    def input_kind(self) -> InputKind:
        return "prompt"

    async def load(self) -> None:
        await self._local()

    def loaded_model(self) -> LocalModel | None:
        """The model if it is loaded (benchmarks and tests compare against it directly)."""
        from arena.backends.local_model import LOCAL_MODELS

        return LOCAL_MODELS.peek(self.key)

    def count_tokens(self, text: str) -> int:
        """Exact, with the model's tokenizer (loaded on its own if the model is not): the tokens of `text` as
        it stands, none added, as the windows count each message and then the whole rendered prompt."""
        from prompts.counting import counter_for_tokenizer

        return counter_for_tokenizer(self._count_tokenizer())(text)

    def _count_tokenizer(self) -> Any:
        local = self.loaded_model()
        if local is not None:
            return local.tokenizer
        if self._tokenizer is None:
            from arena.backends.loading import load_tokenizer

            self._tokenizer = load_tokenizer(self.config)
        return self._tokenizer

    async def _local(self) -> tuple[LocalModel, str]:
        """The shared model and this row's adapter name on it, loading either in a worker thread."""
        if self._key is not None:
            from arena.backends.local_model import LOCAL_MODELS

            local = LOCAL_MODELS.get_if_loaded(self._key)
            if local is not None and (adapter := local.adapter_name(self.config.adapter_path)) is not None:
                return local, adapter  # warm: no thread hop before the request reaches the scheduler
        return await asyncio.to_thread(self._load_local)

    def _load_local(self) -> tuple[LocalModel, str]:
        from arena.backends.local_model import LOCAL_MODELS, LocalModel

        key = self.key
        local = LOCAL_MODELS.get(key, lambda: LocalModel.load(self.config, key))
        return local, local.attach_adapter(self.config.slug, self.config.adapter_path)

    async def _stream(self, request: GenerationRequest) -> AsyncIterator[StreamEvent]:
        clock = StatsClock()
        local, adapter = await self._local()
        from arena.backends.batching import Finished  # imported by now, with torch, in the loading thread

        queue: asyncio.Queue[int | Finished] = asyncio.Queue()
        seq = self._sequence(local, adapter, request, queue)
        decoder, stop = IncrementalDecoder(local.tokenizer), StopMatcher(request.params.stop)
        count, finished = 0, None
        local.batcher.submit(seq)
        try:
            while not stop.stopped:
                item = await queue.get()
                if isinstance(item, Finished):
                    finished = item
                    break
                count += 1
                if text := stop.feed(decoder.push(item)):
                    clock.mark_first_token()
                    yield TextDelta(text)
        finally:
            seq.cancel()  # no-op once finished; otherwise stops the decode loop at its next step
        if finished is not None and finished.error is not None:
            finished.error.stats = clock.stats("error", count, len(seq.prompt_ids))
            raise finished.error
        if not stop.stopped and (tail := stop.feed(decoder.flush()) + stop.flush()):
            clock.mark_first_token()
            yield TextDelta(tail)
        reason = "stop" if stop.stopped or finished is None else finished.reason
        yield StreamEnd(clock.stats(reason, count, len(seq.prompt_ids)))

    def _sequence(
        self, local: LocalModel, adapter: str, request: GenerationRequest, queue: asyncio.Queue[Any]
    ) -> Sequence:
        import torch

        from arena.backends.batching import Sequence

        prompt_ids = encode(local.tokenizer, request.prompt or "")
        if not prompt_ids:
            raise BadRequest(f"model {self.config.slug!r}: the prompt is empty; render the conversation first")
        room = self.config.context_length - len(prompt_ids)
        if room < 1:
            raise BadRequest(
                f"model {self.config.slug!r}: the prompt has {len(prompt_ids)} tokens but the context length "
                f"is {self.config.context_length}; keep fewer turns in the window"
            )
        params = request.params
        generator = None
        if params.seed is not None and not params.greedy:
            generator = torch.Generator().manual_seed(params.seed)  # on the CPU, as sampling is
        return Sequence(
            prompt_ids=prompt_ids,
            params=params,
            max_new_tokens=min(params.max_new_tokens, room),
            eos_ids=local.eos_ids,
            emit=_emitter(asyncio.get_running_loop(), queue),
            adapter=adapter,
            generator=generator,
        )


def encode(tokenizer: Any, text: str) -> list[int]:
    """Token ids of a rendered prompt; a prompt that already starts with BOS does not get a second."""
    bos = tokenizer.bos_token
    add_special = not (bos and text.startswith(bos))
    return tokenizer(text, add_special_tokens=add_special)["input_ids"]


def _emitter(loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[Any]) -> Any:
    def emit(item: int | Finished) -> None:
        try:
            loop.call_soon_threadsafe(queue.put_nowait, item)
        except RuntimeError:
            pass  # the consumer's event loop is gone; its sequence was cancelled with it

    return emit
