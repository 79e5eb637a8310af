"""Dynamic batching: one scheduler thread per loaded model decodes every waiting request together.

New requests join the running batch at the next step boundary; each keeps its own sampling
parameters, token limit and cancellation. The thread exits as soon as it has nothing to do, so no
thread outlives the requests it serves.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from arena.backends.errors import BackendError
from arena.backends.events import FinishReason
from arena.backends.kv_batch import BASE_ADAPTER, DecodeBatch, ModelRunner
from arena.backends.params import GenerationParams
from arena.backends.sampling import next_tokens

logger = logging.getLogger(__name__)
SHUTDOWN_WAIT_S = 5.0


@dataclass(frozen=True)
class Finished:
    """The last item a sequence's consumer receives."""

    reason: FinishReason
    error: BackendError | None = None


@dataclass(eq=False)
class Sequence:
    """One request inside the batch. `emit` hands token ids, then a Finished, to its consumer."""

    prompt_ids: list[int]
    params: GenerationParams
    max_new_tokens: int
    eos_ids: frozenset[int]
    emit: Callable[[int | Finished], None]
    adapter: str = BASE_ADAPTER
    generator: torch.Generator | None = None
    generated: list[int] = field(default_factory=list)
    cancelled: bool = False

    def cancel(self) -> None:
        """Called from the consumer's side; the scheduler drops the sequence before its next step."""
        self.cancelled = True

    @property
    def plain_greedy(self) -> bool:
        p = self.params
        return p.greedy and p.repetition_penalty == 1.0 and not p.frequency_penalty and not p.presence_penalty

    def seen_ids(self) -> torch.Tensor:
        return torch.tensor(self.prompt_ids + self.generated).unique()

    def finish(self, reason: FinishReason, error: BackendError | None = None) -> None:
        self.emit(Finished(reason, error))


class Batcher:
    def __init__(self, runner: ModelRunner, name: str, max_batch: int, window_s: float) -> None:
        self.runner = runner
        self.name = name
        self.max_batch = max_batch
        self.window_s = window_s
        self._pending: list[Sequence] = []
        self._active: list[Sequence] = []
        self._cond = threading.Condition()
        self.thread: threading.Thread | None = None
        _BATCHERS.add(self)

    def submit(self, seq: Sequence) -> None:
        with self._cond:
            self._pending.append(seq)
            if self.thread is None:
                self.thread = threading.Thread(target=self._run, name=f"arena-batcher-{self.name}", daemon=True)
                self.thread.start()
            self._cond.notify()

    def stop(self, wait_s: float = SHUTDOWN_WAIT_S) -> None:
        """Cancel everything queued or running and wait for the thread to end."""
        with self._cond:
            for seq in self._pending + self._active:
                seq.cancel()
            thread = self.thread
        if thread is not None:
            thread.join(wait_s)

    def _run(self) -> None:
        batch: DecodeBatch | None = None
        with torch.inference_mode():
            while (arrivals := self._take_arrivals(len(self._active))) is not None:
                try:
                    with self.runner.lock:
                        self._active, batch = self._admit(arrivals, self._active, batch)
                        self._active, batch = self._step(self._active, batch)
                except Exception as exc:  # a failed forward must not leave consumers waiting forever
                    logger.exception("batch for %s failed", self.name)
                    error = BackendError(f"model {self.name!r}: generation failed: {exc}")
                    for seq in self._active + arrivals:
                        seq.finish("error", error)
                    self._active, batch = [], None

    def _take_arrivals(self, running: int) -> list[Sequence] | None:
        """Requests to admit now; None when idle, which ends the thread."""
        with self._cond:
            if not running:
                if not self._pending:
                    self.thread = None
                    return None
                self._wait_for_company()
            room = self.max_batch - running if self.runner.can_merge or not running else 0
            taken, self._pending = self._pending[:room], self._pending[room:]
            return taken

    def _wait_for_company(self) -> None:
        # Requests fired together (an n-way battle) arrive microseconds apart: give them one prefill.
        deadline = time.monotonic() + self.window_s
        while len(self._pending) < self.max_batch and (left := deadline - time.monotonic()) > 0:
            self._cond.wait(left)

    def _admit(
        self, arrivals: list[Sequence], active: list[Sequence], batch: DecodeBatch | None
    ) -> tuple[list[Sequence], DecodeBatch | None]:
        arrivals = [arrivals[i] for i in _live_rows(arrivals)]
        if not arrivals:
            return active, batch
        fresh, logits = self.runner.prefill([s.prompt_ids for s in arrivals], [s.adapter for s in arrivals])
        tokens = next_tokens(logits, arrivals)
        fresh.advance(tokens)
        keep = _deliver(arrivals, tokens)
        if not keep:
            return active, batch
        fresh.select(keep)
        arrivals = [arrivals[i] for i in keep]
        if batch is None:
            return arrivals, fresh
        batch.merge(fresh)
        return active + arrivals, batch

    def _step(self, active: list[Sequence], batch: DecodeBatch | None) -> tuple[list[Sequence], DecodeBatch | None]:
        live = _live_rows(active)
        if not live or batch is None:
            return [], None
        batch.select(live)
        active = [active[i] for i in live]
        logits = self.runner.step(batch, [s.adapter for s in active])
        tokens = next_tokens(logits, active)
        batch.advance(tokens)
        keep = _deliver(active, tokens)
        if not keep:
            return [], None
        batch.select(keep)
        return [active[i] for i in keep], batch


def _live_rows(seqs: list[Sequence]) -> list[int]:
    """Finish the cancelled sequences; the rows of the others."""
    live = []
    for row, seq in enumerate(seqs):
        if seq.cancelled:
            seq.finish("cancelled")
        else:
            live.append(row)
    return live


def _deliver(seqs: list[Sequence], tokens: list[int]) -> list[int]:
    """Hand each sequence its token; return the rows that go on decoding."""
    keep = []
    for row, (seq, token) in enumerate(zip(seqs, tokens, strict=True)):
        if token in seq.eos_ids:
            seq.finish("stop")
            continue
        seq.generated.append(token)
        seq.emit(token)
        if len(seq.generated) >= seq.max_new_tokens:
            seq.finish("length")
            continue
        keep.append(row)
    return keep


_BATCHERS: weakref.WeakSet[Batcher] = weakref.WeakSet()


@atexit.register
def _stop_all_batchers() -> None:
    # A decode thread still inside torch when the interpreter tears down aborts the process.
    for batcher in list(_BATCHERS):
        batcher.stop()
