"""A model loaded in this process: weights, tokenizer, its batch scheduler and its LoRA adapters."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from typing import Any

from arena.backends.batching import Batcher
from arena.backends.conf import setting
from arena.backends.config import BackendConfig
from arena.backends.errors import ModelLoadFailed
from arena.backends.kv_batch import BASE_ADAPTER, ModelRunner
from arena.backends.loading import ModelKey, describe, load_model
from arena.backends.model_cache import ModelCache


@dataclass(eq=False)
class LocalModel:
    key: ModelKey
    tokenizer: Any
    runner: ModelRunner
    batcher: Batcher
    eos_ids: frozenset[int]
    size_mb: float
    adapters: dict[str, str] = field(default_factory=dict)  # adapter folder -> adapter name

    @property
    def model(self) -> Any:
        """The model as it runs now: a peft wrapper once an adapter has been attached."""
        return self.runner.model

    @classmethod
    def load(cls, config: BackendConfig, key: ModelKey) -> LocalModel:
        model, tokenizer = load_model(config, key)
        runner = ModelRunner(model, pad_token_id=tokenizer.pad_token_id)
        batcher = Batcher(
            runner,
            name=config.slug,
            max_batch=setting("ARENA_BATCH_MAX_SIZE", 8),
            window_s=setting("ARENA_BATCH_WINDOW_MS", 2.0) / 1000,
        )
        size_mb = model.get_memory_footprint() / 2**20
        return cls(key, tokenizer, runner, batcher, _eos_ids(model, tokenizer), size_mb)

    def adapter_name(self, path: str) -> str | None:
        """The name of the adapter at `path` if it is attached already (the base needs none)."""
        return self.adapters.get(os.path.abspath(path)) if path else BASE_ADAPTER

    def attach_adapter(self, slug: str, path: str) -> str:
        """Load the LoRA adapter at `path` onto this base once; return the name batches refer to it by."""
        if (name := self.adapter_name(path)) is not None:
            return name
        folder = os.path.abspath(path)
        if not os.path.isfile(os.path.join(folder, "adapter_config.json")):
            raise ModelLoadFailed(f"model {slug!r}: {folder} is not a peft adapter folder (no adapter_config.json)")
        name = "adapter_" + hashlib.sha256(folder.encode()).hexdigest()[:12]
        # The runner's lock keeps a forward pass from running while the modules are being modified.
        with self.runner.lock:
            if folder not in self.adapters:
                self.runner.model = _with_adapter(self.runner.model, folder, name, slug, self.key)
                self.adapters[folder] = name
        return name


def _with_adapter(model: Any, folder: str, name: str, slug: str, key: ModelKey) -> Any:
    from peft import PeftModel

    try:
        if isinstance(model, PeftModel):
            model.load_adapter(folder, adapter_name=name, is_trainable=False)
        else:
            model = PeftModel.from_pretrained(model, folder, adapter_name=name, is_trainable=False)
    except (ValueError, RuntimeError, KeyError, OSError) as exc:
        raise ModelLoadFailed(
            f"model {slug!r}: adapter {folder} does not fit base {key.source} ({describe(key)}): {exc}"
        ) from exc
    model.eval()
    return model


def _eos_ids(model: Any, tokenizer: Any) -> frozenset[int]:
    configured = model.generation_config.eos_token_id
    ids = set(configured if isinstance(configured, list) else [configured])
    ids.add(tokenizer.eos_token_id)
    return frozenset(i for i in ids if i is not None)


LOCAL_MODELS: ModelCache[ModelKey, LocalModel] = ModelCache()
