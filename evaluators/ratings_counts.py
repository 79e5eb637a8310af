"""Battles aggregated per pair of models: what the fits read, and what the arena can store.

A pair is unordered: it is kept with ``model_a < model_b`` (by name) and the wins swapped to
match, because Bradley-Terry has no first-mover advantage. Ties and "both bad" ties stay
separate in the counts (the arena shows them) and count alike in the fits.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from evaluators.ratings_battle import (
    TIE,
    TIE_BOTHBAD,
    WIN_A,
    WIN_B,
    BattleError,
    EncodedBattles,
    encode_battles,
)

# Above this many models a dense models x models table of cells gets too big; sort instead.
DENSE_MODELS_LIMIT = 1000


class PairCount(NamedTuple):
    """Counts of one pair, as stored or exported: wins of each side and both kinds of tie."""

    model_a: str
    model_b: str
    wins_a: int
    wins_b: int
    ties: int
    tie_bothbad: int

    @property
    def counts(self) -> int:
        return self.wins_a + self.wins_b + self.ties + self.tie_bothbad


@dataclass(frozen=True)
class Counts:
    """Per-pair counts: ``pair_a``/``pair_b`` index ``models`` (sorted), ``pair_a < pair_b``."""

    models: tuple[str, ...]
    pair_a: np.ndarray
    pair_b: np.ndarray
    wins_a: np.ndarray
    wins_b: np.ndarray
    ties: np.ndarray
    tie_bothbad: np.ndarray

    @property
    def counts(self) -> np.ndarray:
        return self.wins_a + self.wins_b + self.ties + self.tie_bothbad

    @property
    def total(self) -> int:
        return int(self.counts.sum())

    def records(self) -> list[PairCount]:
        """One `PairCount` per pair that has battles, for storing or exporting."""
        columns = (self.wins_a, self.wins_b, self.ties, self.tie_bothbad)
        return [
            PairCount(self.models[a], self.models[b], *(int(c) for c in cells))
            for a, b, *cells in zip(self.pair_a.tolist(), self.pair_b.tolist(), *columns, strict=True)
        ]

    @classmethod
    def from_records(cls, records: Iterable[Sequence[Any]]) -> "Counts":
        """Counts from stored ``(model_a, model_b, wins_a, wins_b, ties, tie_bothbad)`` rows.

        Pairs may come in either order and more than once; they are summed.
        """
        rows = list(records)
        problems = [(n, p) for n, row in enumerate(rows, start=1) if (p := _record_problem(row))]
        if problems:
            raise BattleError(problems, source="pair counts")
        encoded = _encode_pairs([(row[0], row[1]) for row in rows])
        cells = np.array([row[2:6] for row in rows], dtype=np.int64).reshape(-1, 4)
        return _sum_cells(encoded, cells)


def aggregate(battles: Iterable[Sequence[Any]]) -> Counts:
    """Count wins and ties per pair; raise `BattleError` naming every bad row."""
    return aggregate_encoded(encode_battles(battles))


def aggregate_encoded(battles: EncodedBattles) -> Counts:
    """`aggregate` for battles already encoded (no second pass over Python objects)."""
    low, high, swap = _canonical_pairs(battles)
    outcome = battles.outcome.astype(np.int64)
    # A swapped pair's "model_a" win is a win of the pair's second model, and vice versa.
    outcome = np.where(swap & (outcome < TIE), 1 - outcome, outcome)
    n = len(battles.models)
    key = low * n + high
    if n <= DENSE_MODELS_LIMIT:
        table = np.bincount(key * 4 + outcome, minlength=n * n * 4).reshape(-1, 4)
        keys = np.flatnonzero(table.any(axis=1))
        return _counts(battles.models, keys, table[keys])
    keys, inverse = np.unique(key, return_inverse=True)
    table = np.bincount(inverse * 4 + outcome, minlength=len(keys) * 4).reshape(-1, 4)
    return _counts(battles.models, keys, table)


def _encode_pairs(pairs: list[tuple[str, str]]) -> EncodedBattles:
    models = tuple(sorted({name for pair in pairs for name in pair}))
    index = {name: i for i, name in enumerate(models)}
    model_a = np.array([index[a] for a, _ in pairs], dtype=np.int32)
    model_b = np.array([index[b] for _, b in pairs], dtype=np.int32)
    return EncodedBattles(models, model_a, model_b, np.zeros(len(pairs), dtype=np.int8))


def _canonical_pairs(battles: EncodedBattles) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    swap = battles.model_a > battles.model_b
    low = np.minimum(battles.model_a, battles.model_b).astype(np.int64)
    high = np.maximum(battles.model_a, battles.model_b).astype(np.int64)
    return low, high, swap


def _sum_cells(battles: EncodedBattles, cells: np.ndarray) -> Counts:
    """Sum per-row cells (wins_a, wins_b, ties, bothbad) into canonical unordered pairs."""
    low, high, swap = _canonical_pairs(battles)
    cells = cells.copy()
    cells[swap, WIN_A], cells[swap, WIN_B] = cells[swap, WIN_B], cells[swap, WIN_A]
    keys, inverse = np.unique(low * len(battles.models) + high, return_inverse=True)
    table = np.zeros((len(keys), 4), dtype=np.int64)
    np.add.at(table, inverse, cells)
    present = table.any(axis=1)
    return _counts(battles.models, keys[present], table[present])


def _counts(models: tuple[str, ...], keys: np.ndarray, table: np.ndarray) -> Counts:
    n = max(len(models), 1)
    return Counts(
        models=models,
        pair_a=(keys // n).astype(np.int32),
        pair_b=(keys % n).astype(np.int32),
        wins_a=table[:, WIN_A].astype(np.int64),
        wins_b=table[:, WIN_B].astype(np.int64),
        ties=table[:, TIE].astype(np.int64),
        tie_bothbad=table[:, TIE_BOTHBAD].astype(np.int64),
    )


def _record_problem(row: Sequence[Any]) -> str | None:
    try:
        model_a, model_b, *cells = row
    except (TypeError, ValueError):
        return f"expected (model_a, model_b, wins_a, wins_b, ties, tie_bothbad), got {row!r:.80}"
    if len(cells) != 4 or not all(_is_count(c) for c in cells):
        return f"expected four counts >= 0 after the two names, got {cells!r:.80}"
    for side, name in (("model_a", model_a), ("model_b", model_b)):
        if not isinstance(name, str) or not name.strip():
            return f"{side} must be a non-empty model name, got {name!r}"
    if model_a == model_b:
        return f"model {model_a!r} is paired with itself"
    return None


def _is_count(value: object) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool) and value >= 0


@dataclass(frozen=True)
class ModelTotals:
    """Per-model totals in ``Counts.models`` order; ``ties`` counts both kinds."""

    votes: np.ndarray
    wins: np.ndarray
    losses: np.ndarray
    ties: np.ndarray


def model_totals(counts: Counts) -> ModelTotals:
    n = len(counts.models)

    def per_model(first: np.ndarray, second: np.ndarray) -> np.ndarray:
        summed = np.bincount(counts.pair_a, first, n) + np.bincount(counts.pair_b, second, n)
        return summed.astype(np.int64)

    ties = counts.ties + counts.tie_bothbad
    return ModelTotals(
        votes=per_model(counts.counts, counts.counts),
        wins=per_model(counts.wins_a, counts.wins_b),
        losses=per_model(counts.wins_b, counts.wins_a),
        ties=per_model(ties, ties),
    )
