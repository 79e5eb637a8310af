"""Model x model tables for the leaderboard pages: battles, observed and predicted win rates.

Each function returns ``(models, rows)`` where ``rows[i][j]`` is about the row model against the
column model, as plain lists (JSON- and template-friendly). A rate that does not exist (the
diagonal, or a pair that never met) is None. Ties count as half a win, as in the ratings.
"""

import math
from collections.abc import Mapping, Sequence

import numpy as np

from evaluators.ratings_battle import BASE, SCALE
from evaluators.ratings_counts import Counts
from evaluators.ratings_intervals import UnknownModel

Matrix = tuple[list[str], list[list[float | None]]]


def battle_count_matrix(counts: Counts, models: Sequence[str] | None = None) -> tuple[list[str], list[list[int]]]:
    """Battles between each two models (symmetric, zero diagonal)."""
    order, table, _ = _tables(counts, models)
    return order, table.astype(int).tolist()


def win_rate_matrix(counts: Counts, models: Sequence[str] | None = None) -> Matrix:
    """Observed share of battles the row model won against the column model, ties as halves."""
    order, table, score = _tables(counts, models)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = score / table
    return order, _with_none(rate)


def predicted_win_rate_matrix(
    ratings: Mapping[str, float], models: Sequence[str] | None = None, scale: float = SCALE, base: float = BASE
) -> Matrix:
    """Win probability the ratings predict: ``1 / (1 + base ** ((r_col - r_row) / scale))``.

    ``models`` defaults to the models by descending rating.
    """
    order = list(models) if models is not None else sorted(ratings, key=lambda m: -ratings[m])
    for name in order:
        if name not in ratings:
            raise UnknownModel(name, tuple(ratings))
    values = np.array([ratings[m] for m in order], dtype=float)
    rate = 1.0 / (1.0 + np.power(base, (values[None, :] - values[:, None]) / scale))
    np.fill_diagonal(rate, math.nan)
    return order, _with_none(rate)


def _tables(counts: Counts, models: Sequence[str] | None) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Battle counts and row-model scores as dense arrays in the requested model order."""
    order = list(models) if models is not None else list(counts.models)
    for name in order:
        if name not in counts.models:
            raise UnknownModel(name, counts.models)
    position = {name: i for i, name in enumerate(order)}
    where = np.array([position.get(name, -1) for name in counts.models], dtype=int)
    first, second = where[counts.pair_a], where[counts.pair_b]
    keep = (first >= 0) & (second >= 0)
    size = len(order)
    table, score = np.zeros((size, size)), np.zeros((size, size))
    half_ties = 0.5 * (counts.ties + counts.tie_bothbad)
    for rows, cols, wins in ((first, second, counts.wins_a), (second, first, counts.wins_b)):
        np.add.at(table, (rows[keep], cols[keep]), counts.counts[keep])
        np.add.at(score, (rows[keep], cols[keep]), (wins + half_ties)[keep])
    return order, table, score


def _with_none(values: np.ndarray) -> list[list[float | None]]:
    return [[None if math.isnan(x) else x for x in row] for row in values.tolist()]
