"""The tensors of a running batch: a left-padded KV cache that sequences can join and leave.

Rows are left-padded so every sequence's newest token sits in the last column; padding is masked
out and given position 0, as transformers' own generate() does, so each row decodes as if alone.
"""

from __future__ import annotations

import inspect
import threading
from typing import Any

import torch
from transformers import DynamicCache
from transformers.cache_utils import DynamicLayer

BASE_ADAPTER = "__base__"


class DecodeBatch:
    def __init__(self, cache: DynamicCache, mask: torch.Tensor) -> None:
        self.cache = cache
        self.mask = mask  # [batch, cached length]: 1 for real tokens, 0 for padding
        self.last: torch.Tensor | None = None  # [batch, 1]: the tokens to feed next

    def advance(self, tokens: list[int]) -> None:
        self.last = torch.tensor(tokens, device=self.mask.device).unsqueeze(1)

    def select(self, rows: list[int]) -> None:
        """Keep only `rows`, then drop padding columns no remaining row needs."""
        if rows == list(range(self.mask.shape[0])):
            return
        index = torch.tensor(rows, dtype=torch.long, device=self.mask.device)
        self.cache.batch_select_indices(index)
        self.mask = self.mask[index]
        self.last = None if self.last is None else self.last[index]
        self._trim_padding()

    def merge(self, other: DecodeBatch) -> None:
        """Append `other`'s rows, left-padding whichever cache is shorter."""
        length = max(self.mask.shape[1], other.mask.shape[1])
        for mine, theirs in zip(self.cache.layers, other.cache.layers, strict=True):
            mine.keys = torch.cat([_pad_left(mine.keys, length, 2), _pad_left(theirs.keys, length, 2)])
            mine.values = torch.cat([_pad_left(mine.values, length, 2), _pad_left(theirs.values, length, 2)])
        self.mask = torch.cat([_pad_left(self.mask, length, 1), _pad_left(other.mask, length, 1)])
        self.last = torch.cat([self.last, other.last])

    def _trim_padding(self) -> None:
        used = self.mask.any(dim=0)
        first = int(used.int().argmax()) if bool(used.any()) else 0
        if first == 0:
            return
        for layer in self.cache.layers:
            layer.keys = layer.keys[:, :, first:]
            layer.values = layer.values[:, :, first:]
        self.mask = self.mask[:, first:]


def _pad_left(tensor: torch.Tensor, length: int, dim: int) -> torch.Tensor:
    missing = length - tensor.shape[dim]
    if missing == 0:
        return tensor
    shape = list(tensor.shape)
    shape[dim] = missing
    return torch.cat([tensor.new_zeros(shape), tensor], dim=dim)


class ModelRunner:
    """Runs forward passes for a batch; `lock` serialises them with adapter loading."""

    def __init__(self, model: Any, pad_token_id: int) -> None:
        self.model = model
        self.pad_token_id = pad_token_id
        self.lock = threading.Lock()
        self.device = model.device
        forward = inspect.signature(_base_model(model).forward).parameters
        # transformers 5.x renamed past_key_values to cache; accept either.
        self._cache_arg = "cache" if "cache" in forward else "past_key_values"
        self._logits_to_keep = "logits_to_keep" in forward
        self.can_merge = True

    @property
    def has_adapters(self) -> bool:
        return hasattr(self.model, "peft_config")

    def prefill(self, prompts: list[list[int]], adapters: list[str]) -> tuple[DecodeBatch, torch.Tensor]:
        length = max(len(ids) for ids in prompts)
        ids = torch.full((len(prompts), length), self.pad_token_id, dtype=torch.long)
        mask = torch.zeros((len(prompts), length), dtype=torch.long)
        for row, prompt in enumerate(prompts):
            ids[row, length - len(prompt) :] = torch.tensor(prompt)
            mask[row, length - len(prompt) :] = 1
        ids, mask = ids.to(self.device), mask.to(self.device)
        cache = DynamicCache(config=_base_model(self.model).config)
        logits = self._forward(ids, mask, _positions(mask), cache, adapters)
        self.can_merge = all(type(layer) is DynamicLayer for layer in cache.layers)
        return DecodeBatch(cache, mask), logits

    def step(self, batch: DecodeBatch, adapters: list[str]) -> torch.Tensor:
        batch.mask = torch.cat([batch.mask, batch.mask.new_ones((batch.mask.shape[0], 1))], dim=1)
        positions = batch.mask.sum(dim=1, keepdim=True) - 1
        return self._forward(batch.last, batch.mask, positions, batch.cache, adapters)

    def _forward(
        self, ids: torch.Tensor, mask: torch.Tensor, positions: torch.Tensor, cache: Any, adapters: list[str]
    ) -> torch.Tensor:
        kwargs: dict[str, Any] = {self._cache_arg: cache, "use_cache": True}
        if self._logits_to_keep:
            kwargs["logits_to_keep"] = 1
        if self.has_adapters:
            kwargs["adapter_names"] = adapters
        with torch.inference_mode():
            output = self.model(input_ids=ids, attention_mask=mask, position_ids=positions, **kwargs)
        return output.logits[:, -1, :]


def _positions(mask: torch.Tensor) -> torch.Tensor:
    return (mask.cumsum(dim=1) - 1).masked_fill(mask == 0, 0)


def _base_model(model: Any) -> Any:
    return model.get_base_model() if hasattr(model, "get_base_model") else model
