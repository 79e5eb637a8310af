"""Warm the local models when the server starts, so the first battle does not wait for them.

A fresh process pays about 3 s before the demo model's first token (bench_startup.py): 2.5 s importing
torch and transformers, 0.5 s loading the cached weights. With ARENA_PRELOAD_MODELS=1 (`make run` sets
it) daphne spends that in a daemon thread while it already serves pages. Models load in registry order,
anonymous-pool models first, until the memory budget is full. A model that fails to load is only
logged here: its first request reports the error to the visitor, as it would without preloading.
"""

from __future__ import annotations

import asyncio
import logging
import threading

from django.db import connection

from arena.backends.conf import memory_budget_mb
from arena.models import LLM
from arena.services.llms import backend_for

log = logging.getLogger(__name__)


def local_models() -> list[LLM]:
    return list(
        LLM.objects.filter(enabled=True, backend=LLM.Backend.TRANSFORMERS).order_by("-in_anonymous_pool", "slug")
    )


def preload() -> list[str]:
    """Load every enabled local model the budget allows; the slugs that are warm afterwards."""
    from arena.backends.local_model import LOCAL_MODELS

    warm = []
    for llm in local_models():
        if LOCAL_MODELS.total_mb() >= memory_budget_mb():
            log.info("preload stopped at %s: the model memory budget is full", llm.slug)
            break
        try:
            asyncio.run(backend_for(llm).load())
        except Exception:  # reported to visitors on first use; the server keeps starting
            log.exception("could not preload %s; it is tried again on its first request", llm.slug)
        else:
            warm.append(llm.slug)
    return warm


def preload_in_background() -> threading.Thread:
    thread = threading.Thread(target=_preload_logged, name="arena-preload", daemon=True)
    thread.start()
    return thread


def _preload_logged() -> None:
    try:
        warm = preload()
        log.info("local models warm: %s", ", ".join(warm) or "none")
    except Exception:
        log.exception("preloading local models failed; they load on first use")
    finally:
        connection.close()
