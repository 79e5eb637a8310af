"""Bootstrap confidence intervals and ranks for Bradley-Terry ratings.

Resampling N battles with replacement gives cell counts (pair x outcome, both kinds of tie in
one cell) that are exactly Multinomial(N, observed cell shares), so the bootstrap draws those
counts directly (`multinomial_resamples`) and never touches rows. All rounds are then fitted
together, warm-started from the full-data fit.

Every round is lined up on the same reference as the full-data ratings before taking
quantiles: the anchor model, or else the mean of the models with enough battles. The point
ratings keep the mean of all models at 1000, but a model with two battles must not move that
centre from round to round and so widen everyone's interval; its own interval stays wide.

Bootstrap percentile intervals say nothing useful for a model with a handful of battles, or
one that never lost (every resample is again a clean sweep). For those models the interval is
widened to at least the normal (Laplace) interval from the penalized likelihood's curvature,
which is wide exactly when the data are thin.
"""

from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

from evaluators.ratings_battle import ELO_PER_LOG_ODDS, INIT_RATING
from evaluators.ratings_bt import PRIOR_PRECISION, Pairs, fit_bt, fit_bt_near, hessian
from evaluators.ratings_counts import Counts, model_totals

# Bootstrap fits stop at steps below this (log-odds; 2e-5 rating points), far finer than
# the quantiles they feed.
BOOTSTRAP_TOLERANCE = 1e-7
# Below this many battles a model's bootstrap interval is not trusted on its own.
MIN_VOTES_FOR_BOOTSTRAP = 30


class UnknownModel(LookupError):
    """An anchor (or other) model name that is not among the rated models."""

    def __init__(self, name: str, known: tuple[str, ...]) -> None:
        listed = ", ".join(known[:30]) + (", ..." if len(known) > 30 else "")
        super().__init__(f"unknown model {name!r}; the battles name: {listed}")


@dataclass(frozen=True)
class Fit:
    """Ratings with intervals, in ``counts.models`` order."""

    models: tuple[str, ...]
    rating: np.ndarray
    ci_lower: np.ndarray
    ci_upper: np.ndarray
    rank: np.ndarray


def pair_scores(counts: Counts) -> tuple[np.ndarray, np.ndarray]:
    """Score of each pair's first model (wins + half the ties of both kinds) and pair total."""
    ties = counts.ties + counts.tie_bothbad
    return counts.wins_a + 0.5 * ties, counts.counts.astype(float)


def to_ratings(theta: np.ndarray, anchor: tuple[int, float] | None = None) -> np.ndarray:
    """Log-odds strengths to ratings: mean 1000, or ``anchor`` = (model index, its rating)."""
    ratings = ELO_PER_LOG_ODDS * theta
    if anchor is None:
        return ratings - ratings.mean(axis=-1, keepdims=True) + INIT_RATING
    index, value = anchor
    return ratings - ratings[..., index : index + 1] + value


def anchor_index(models: tuple[str, ...], anchor: tuple[str, float] | None) -> tuple[int, float] | None:
    if anchor is None:
        return None
    name, value = anchor
    if name not in models:
        raise UnknownModel(name, models)
    return models.index(name), float(value)


def fit_with_intervals(
    counts: Counts,
    rounds: int = 100,
    seed: int | None = 0,
    anchor: tuple[str, float] | None = None,
    confidence: float = 0.95,
) -> Fit:
    """Full-data fit plus bootstrap intervals; ``rounds=0`` gives normal intervals only."""
    if rounds < 0 or not 0 < confidence < 1:
        raise ValueError(f"need rounds >= 0 and 0 < confidence < 1, got {rounds}, {confidence}")
    pairs = Pairs.build(counts.pair_a, counts.pair_b, len(counts.models))
    score, total = pair_scores(counts)
    theta = fit_bt(pairs, score, total)
    where = anchor_index(counts.models, anchor)
    rating = to_ratings(theta, where)
    reference = reference_weights(counts, where)
    covariance = np.linalg.inv(hessian(pairs, theta, total, PRIOR_PRECISION))
    low, high = laplace_interval(covariance, rating, reference, confidence)
    if rounds:
        boot = align(bootstrap_strengths(counts, pairs, theta, rounds, seed), rating, reference)
        low, high = combine_intervals((low, high), percentile_interval(boot, confidence), thin_models(counts))
    return Fit(counts.models, rating, low, high, ranks(low, high))


def reference_weights(counts: Counts, anchor: tuple[int, float] | None) -> np.ndarray:
    """Weights (summing to 1) of the models every round is lined up on: the anchor, else the
    models that are not thin (all of them when fewer than two are not)."""
    n = len(counts.models)
    if anchor is not None:
        return np.eye(n)[anchor[0]]
    solid = ~thin_models(counts)
    if solid.sum() < 2:
        solid = np.ones(n, dtype=bool)
    return solid / solid.sum()


def align(theta: np.ndarray, rating: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Bootstrap strengths (rounds, models) as ratings whose ``reference``-weighted mean is
    that of the full-data ``rating``."""
    rounds = ELO_PER_LOG_ODDS * theta
    return rounds - (rounds @ reference)[:, None] + rating @ reference


def bootstrap_strengths(counts: Counts, pairs: Pairs, start: np.ndarray, rounds: int, seed: int | None) -> np.ndarray:
    """Strengths fitted to ``rounds`` resamples of the battles, (rounds, models)."""
    ties = counts.ties + counts.tie_bothbad
    cells = np.stack([counts.wins_a, counts.wins_b, ties], axis=1).ravel()
    # (pairs, outcome, rounds), contiguous: the fit wants pairs first and rounds last.
    draws = multinomial_resamples(np.random.default_rng(seed), cells, rounds).T.reshape(-1, 3, rounds)
    score_t = draws[:, 0] + 0.5 * draws[:, 2]
    total_t = draws.sum(axis=1, dtype=float)
    return fit_bt_near(pairs, score_t, total_t, start, counts.counts, tolerance=BOOTSTRAP_TOLERANCE)


def multinomial_resamples(rng: np.random.Generator, cells: np.ndarray, rounds: int) -> np.ndarray:
    """Cell counts of ``rounds`` resamples with replacement of the ``cells.sum()`` battles:
    each row is exactly Multinomial(N, cells / N), N = ``cells.sum()``. Returns (rounds, cells),
    a transposed view of a contiguous (cells, rounds) array.

    Drawn as independent Poisson(cells) counts (about twice as fast as numpy's multinomial):
    given their sum M those are Multinomial(M, cells / N); then M - N of the M battles are
    removed uniformly at random, or N - M more drawn, either of which keeps the law.
    """
    total = int(cells.sum())
    draws = rng.poisson(np.asarray(cells, dtype=float)[:, None], size=(len(cells), rounds))
    cumulative = np.cumsum(cells)
    for row in draws.T:
        drawn = int(row.sum())
        if drawn > total:
            removed = rng.choice(drawn, drawn - total, replace=False, shuffle=False)
            row -= np.bincount(np.searchsorted(np.cumsum(row), removed, side="right"), minlength=len(row))
        elif drawn < total:
            added = rng.integers(0, total, total - drawn)
            row += np.bincount(np.searchsorted(cumulative, added, side="right"), minlength=len(row))
    return draws.T


def ranks(lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """1 + the number of models whose lower bound is above this model's upper bound."""
    return 1 + (lower[None, :] > upper[:, None]).sum(axis=1)


def percentile_interval(boot: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Equal-tailed percentile interval of bootstrap ratings (rounds, models)."""
    tail = (1 - confidence) / 2
    low, high = np.quantile(boot, [tail, 1 - tail], axis=0)
    return low, high


def laplace_interval(
    covariance: np.ndarray, rating: np.ndarray, reference: np.ndarray, confidence: float
) -> tuple[np.ndarray, np.ndarray]:
    """Normal interval of each rating relative to the ``reference``-weighted mean, from the
    covariance of the log-odds strengths (the inverse negative Hessian)."""
    contrast = np.eye(len(rating)) - reference[None, :]
    variance = np.einsum("ij,jk,ik->i", contrast, covariance, contrast)
    half = norm.ppf(0.5 + confidence / 2) * ELO_PER_LOG_ODDS * np.sqrt(np.maximum(variance, 0))
    return rating - half, rating + half


def combine_intervals(
    normal: tuple[np.ndarray, np.ndarray], boot: tuple[np.ndarray, np.ndarray], thin: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The bootstrap interval, widened to cover the normal one for ``thin`` models."""
    low = np.where(thin, np.minimum(normal[0], boot[0]), boot[0])
    high = np.where(thin, np.maximum(normal[1], boot[1]), boot[1])
    return low, high


def thin_models(counts: Counts) -> np.ndarray:
    """Models with too few battles, or a clean record (never lost, or never won)."""
    totals = model_totals(counts)
    return (totals.votes < MIN_VOTES_FOR_BOOTSTRAP) | (totals.wins == 0) | (totals.losses == 0)
