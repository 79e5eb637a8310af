"""The model cache: loads once per key, evicts least recently used entries beyond the budget."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import pytest

from arena.backends.model_cache import ModelCache


@dataclass
class Entry:
    name: str
    size_mb: float


def test_evicts_least_recently_used_beyond_the_budget() -> None:
    cache: ModelCache[str, Entry] = ModelCache(budget_mb=lambda: 1000)
    cache.get("a", lambda: Entry("a", 400))
    cache.get("b", lambda: Entry("b", 400))
    cache.get("a", lambda: Entry("a-again", 400))  # a is now the most recently used
    cache.get("c", lambda: Entry("c", 400))
    assert cache.keys() == ["a", "c"]
    assert cache.total_mb() == 800


def test_a_model_larger_than_the_budget_still_loads_alone() -> None:
    cache: ModelCache[str, Entry] = ModelCache(budget_mb=lambda: 100)
    cache.get("small", lambda: Entry("small", 50))
    assert cache.get("big", lambda: Entry("big", 500)).name == "big"
    assert cache.keys() == ["big"]


def test_concurrent_requests_for_one_key_load_it_once() -> None:
    cache: ModelCache[str, Entry] = ModelCache(budget_mb=lambda: 1000)
    loads = []

    def load() -> Entry:
        loads.append(1)
        time.sleep(0.05)
        return Entry("m", 10)

    results: list[Entry] = []
    threads = [threading.Thread(target=lambda: results.append(cache.get("m", load))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(loads) == 1
    assert len({id(entry) for entry in results}) == 1


def test_a_failed_load_is_retried_next_time() -> None:
    cache: ModelCache[str, Entry] = ModelCache(budget_mb=lambda: 1000)

    def broken() -> Entry:
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError, match="disk on fire"):
        cache.get("m", broken)
    assert cache.get("m", lambda: Entry("m", 1)).name == "m"
