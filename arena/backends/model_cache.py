"""Loaded models stay warm per process: an LRU keyed by ModelKey within a memory budget.

Evicting only drops the cache's reference; requests already running keep the model alive until
they finish, and its scheduler thread exits once idle, so memory is freed without cutting answers.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar

from arena.backends.conf import memory_budget_mb

logger = logging.getLogger(__name__)


class Sized(Protocol):
    size_mb: float


K = TypeVar("K")
V = TypeVar("V", bound=Sized)


class ModelCache(Generic[K, V]):
    def __init__(self, budget_mb: Callable[[], float] = memory_budget_mb) -> None:
        self._budget_mb = budget_mb
        self._entries: OrderedDict[K, V] = OrderedDict()
        self._loading: dict[K, threading.Lock] = {}
        self._lock = threading.Lock()

    def get(self, key: K, load: Callable[[], V]) -> V:
        """The entry for `key`, loading it once even when several threads ask at the same time."""
        with self._lock:
            if (entry := self._touch(key)) is not None:
                return entry
            key_lock = self._loading.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if (entry := self._touch(key)) is not None:
                    return entry
            try:
                entry = load()
            finally:
                with self._lock:
                    self._loading.pop(key, None)
            with self._lock:
                self._entries[key] = entry
                self._evict_beyond_budget(keep=key)
        return entry

    def peek(self, key: K) -> V | None:
        """The entry if loaded, without making it more recently used."""
        with self._lock:
            return self._entries.get(key)

    def get_if_loaded(self, key: K) -> V | None:
        """The entry if loaded, marked as just used."""
        with self._lock:
            return self._touch(key)

    def keys(self) -> list[K]:
        with self._lock:
            return list(self._entries)

    def total_mb(self) -> float:
        with self._lock:
            return sum(entry.size_mb for entry in self._entries.values())

    def _touch(self, key: K) -> V | None:
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
        return entry

    def _evict_beyond_budget(self, keep: K) -> None:
        budget = self._budget_mb()
        total = sum(entry.size_mb for entry in self._entries.values())
        for key in list(self._entries):
            if total <= budget:
                return
            if key == keep:
                continue
            total -= self._entries.pop(key).size_mb
            logger.info("evicted model %s to stay within %s MB", key, budget)
        if total > budget:
            logger.warning("model %s alone (%.0f MB) exceeds ARENA_MODEL_MEMORY_BUDGET_MB=%s", keep, total, budget)
