"""Backend kinds by name, imported on first use, and one cached backend per configuration."""

from __future__ import annotations

import importlib
import threading
from collections import OrderedDict

from arena.backends.base import Backend
from arena.backends.config import BackendConfig
from arena.backends.errors import InvalidConfig

BACKENDS: dict[str, str] = {
    "transformers": "arena.backends.transformers_backend.TransformersBackend",
    "openai": "arena.backends.openai_backend.OpenAIBackend",
    "scripted": "arena.backends.scripted.ScriptedBackend",
}
# Backends are cheap (weights live in the model cache), so this bound only stops edited rows piling up.
MAX_CACHED_BACKENDS = 256

_instances: OrderedDict[BackendConfig, Backend] = OrderedDict()
_lock = threading.Lock()


def available_backends() -> tuple[str, ...]:
    return tuple(sorted(BACKENDS))


def backend_class(kind: str) -> type[Backend]:
    try:
        dotted = BACKENDS[kind]
    except KeyError:
        known = ", ".join(available_backends())
        raise InvalidConfig(f"unknown backend kind {kind!r}; known kinds: {known}") from None
    module_name, class_name = dotted.rsplit(".", 1)
    return getattr(importlib.import_module(module_name), class_name)


def get_backend(config: BackendConfig) -> Backend:
    """The backend for `config`, built once and reused (a changed row gets a fresh one)."""
    with _lock:
        backend = _instances.get(config)
        if backend is not None:
            _instances.move_to_end(config)
            return backend
    backend = backend_class(config.backend)(config)
    with _lock:
        backend = _instances.setdefault(config, backend)
        while len(_instances) > MAX_CACHED_BACKENDS:
            _instances.popitem(last=False)
    return backend
