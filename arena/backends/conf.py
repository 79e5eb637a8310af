"""Settings the backends read, lazily, so the package works with or without Django configured.

Lookup order for each name: Django settings (when configured and defining it), then the environment,
then the default given here. Nothing is read at import time, so tests can monkeypatch either source.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TypeVar

T = TypeVar("T", int, float, str)

REPO_DIR = Path(__file__).resolve().parent.parent.parent


def _django_value(name: str) -> object | None:
    try:
        from django.conf import settings
    except ImportError:
        return None
    if not settings.configured:
        return None
    return getattr(settings, name, None)


def setting(name: str, default: T) -> T:
    """Return the setting `name` converted to the type of `default`."""
    value = _django_value(name)
    if value is None:
        value = os.environ.get(name)
    if value is None or value == "":
        return default
    return type(default)(value)


def model_cache_dir() -> Path:
    """Where converted models (GGUF -> safetensors) are kept between processes."""
    return Path(setting("ARENA_MODEL_CACHE", str(REPO_DIR / "var" / "models")))


def memory_budget_mb() -> int:
    return setting("ARENA_MODEL_MEMORY_BUDGET_MB", 8192)
