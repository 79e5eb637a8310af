"""Choosing each sequence's next token with its own parameters, in one batch of logits."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from arena.backends.batching import Sequence


def next_tokens(logits: torch.Tensor, sequences: list[Sequence]) -> list[int]:
    """One token per row of `logits` ([batch, vocab]); row i belongs to sequences[i]."""
    if all(seq.plain_greedy for seq in sequences):
        return logits.argmax(dim=-1).tolist()
    # Sampling rows run on the CPU whatever the model's device: the seeded generators and the penalty
    # bookkeeping (token ids in Python lists) live there, and one row per sequence is cheap to copy.
    return [_choose(row, seq) for row, seq in zip(logits.float().cpu(), sequences, strict=True)]


def _choose(scores: torch.Tensor, seq: Sequence) -> int:
    params = seq.params
    if params.repetition_penalty != 1.0:
        scores = _repetition_penalty(scores, seq.seen_ids(), params.repetition_penalty)
    if params.frequency_penalty or params.presence_penalty:
        scores = _openai_penalties(scores, seq.generated, params.frequency_penalty, params.presence_penalty)
    if params.temperature == 0:
        return int(scores.argmax())
    scores = scores / params.temperature
    if params.top_k:
        scores = _top_k(scores, params.top_k)
    if params.top_p < 1.0:
        scores = _top_p(scores, params.top_p)
    probabilities = torch.softmax(scores, dim=-1)
    return int(torch.multinomial(probabilities, 1, generator=seq.generator))


def _repetition_penalty(scores: torch.Tensor, seen: torch.Tensor, penalty: float) -> torch.Tensor:
    # The CTRL rule transformers uses: seen tokens become less likely whatever their sign.
    picked = scores[seen]
    scores = scores.clone()
    scores[seen] = torch.where(picked < 0, picked * penalty, picked / penalty)
    return scores


def _openai_penalties(scores: torch.Tensor, generated: list[int], frequency: float, presence: float) -> torch.Tensor:
    if not generated:
        return scores
    counts = torch.bincount(torch.tensor(generated), minlength=scores.shape[-1]).to(scores.dtype)
    return scores - frequency * counts - presence * (counts > 0).to(scores.dtype)


def _top_k(scores: torch.Tensor, k: int) -> torch.Tensor:
    if k >= scores.shape[-1]:
        return scores
    threshold = torch.topk(scores, k).values[-1]
    return scores.masked_fill(scores < threshold, float("-inf"))


def _top_p(scores: torch.Tensor, top_p: float) -> torch.Tensor:
    ordered, order = torch.sort(scores, descending=True)
    probabilities = torch.softmax(ordered, dim=-1)
    # Drop a token once the ones before it already cover top_p; the most likely token always stays.
    drop_sorted = probabilities.cumsum(dim=-1) - probabilities >= top_p
    drop_sorted[0] = False
    drop = torch.zeros_like(drop_sorted).scatter(0, order, drop_sorted)
    return scores.masked_fill(drop, float("-inf"))
