"""Bradley-Terry maximum likelihood on per-pair counts, many data sets at once.

The model: model i beats model j with probability ``sigmoid(theta_i - theta_j)``; a tie is half
a win for each side, so a pair enters the likelihood as a score (wins + ties / 2) out of a total.
Strengths ``theta`` are natural-log odds; ``rating = 1000 + 400 * theta / ln(10)``.

Regularization: a Gaussian prior ``theta ~ N(0, 1 / PRIOR_PRECISION)`` on every model, i.e. an
L2 penalty ``PRIOR_PRECISION / 2 * |theta|^2`` on the log-likelihood. It keeps the fit finite
when a model never lost (or never won, or the comparison graph falls apart), and it makes the
optimum satisfy ``sum(theta) == 0`` exactly (the likelihood's gradient sums to zero over the
models), which is the mean-1000 centring. With precision 0.01 (a standard deviation of 10
log-odds, about 1,700 rating points) a model with 100 battles moves by well under 0.1 %.

The solver is Newton's method with a backtracking line search, vectorized over rows of
``score``: one row per bootstrap round, each with its own dense Hessian, solved in one batched
call. Rounds that have converged drop out of later iterations.

Bootstrap rounds are close to the full-data fit, so `fit_bt_near` first runs chord iterations
(Newton with the full-data Hessian, inverted once and shared by every round: one matrix product
per iteration instead of one solve per round). They converge linearly at a rate of the relative
difference between the Hessians, a few per cent; a round that stalls or starts to diverge (a
model with a handful of battles that a resample left out or doubled) finishes with Newton.
"""

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.special import expit

PRIOR_PRECISION = 0.01
TOLERANCE = 1e-9
MAX_ITERATIONS = 100
MAX_HALVINGS = 40
MAX_CHORD_ITERATIONS = 30


class FitError(ArithmeticError):
    """The Newton iterations did not converge (the prior should make that impossible)."""


@dataclass(frozen=True)
class Pairs:
    """The pairs of a fit: index arrays into the models and the signed incidence matrix."""

    first: np.ndarray
    second: np.ndarray
    n_models: int
    incidence: sparse.csr_array
    incidence_t: sparse.csr_array

    @classmethod
    def build(cls, first: np.ndarray, second: np.ndarray, n_models: int) -> "Pairs":
        rows = np.arange(len(first))
        values = np.concatenate([np.ones(len(first)), -np.ones(len(first))])
        incidence = sparse.csr_array(
            (values, (np.concatenate([rows, rows]), np.concatenate([first, second]))),
            shape=(len(first), n_models),
        )
        return cls(np.asarray(first), np.asarray(second), n_models, incidence, incidence.T.tocsr())


def fit_bt(
    pairs: Pairs,
    score: np.ndarray,
    total: np.ndarray,
    prior: float = PRIOR_PRECISION,
    start: np.ndarray | None = None,
) -> np.ndarray:
    """Strengths maximizing the penalized likelihood, one row per row of ``score``/``total``.

    ``score`` and ``total`` are (rounds, pairs) or (pairs,); ``start`` (models,) or (rounds,
    models) warm-starts every round. Returns (rounds, models), or (models,) for 1-D input.
    """
    if prior <= 0:
        raise ValueError(f"prior must be > 0 to keep the fit finite, got {prior}")
    flat = np.ndim(score) == 1
    score, total = np.atleast_2d(score).astype(float), np.atleast_2d(total).astype(float)
    theta = np.zeros((score.shape[0], pairs.n_models))
    if start is not None:
        theta += start
    active = np.arange(score.shape[0])
    for _ in range(MAX_ITERATIONS):
        step = _newton_step(pairs, theta[active], score[active], total[active], prior)
        theta[active] = _line_search(pairs, theta[active], step, score[active], total[active], prior)
        size = np.abs(step).max(axis=1, initial=0.0)
        active = active[size > TOLERANCE]
        if not len(active):
            return theta[0] if flat else theta
    raise FitError(
        f"Bradley-Terry fit did not converge in {MAX_ITERATIONS} Newton steps (last step {size.max():.3g} "
        "log-odds); the counts are probably not finite numbers >= 0 with score <= total"
    )


def fit_bt_near(
    pairs: Pairs,
    score_t: np.ndarray,
    total_t: np.ndarray,
    center: np.ndarray,
    center_total: np.ndarray,
    prior: float = PRIOR_PRECISION,
    tolerance: float = TOLERANCE,
) -> np.ndarray:
    """`fit_bt` for many data sets whose fits lie near ``center`` (models,), the fit to
    ``center_total``. The data come transposed, (pairs, rounds), so that gathers by pair copy
    whole rows; returns (rounds, models)."""
    score_t, total_t = np.ascontiguousarray(score_t, float), np.ascontiguousarray(total_t, float)
    inverse = np.linalg.inv(hessian(pairs, center, center_total, prior))
    theta_t = np.repeat(center[:, None], score_t.shape[1], axis=1)
    buffers = np.empty_like(score_t), np.empty_like(score_t)
    last = np.full(score_t.shape[1], np.inf)
    handed_over = np.zeros(score_t.shape[1], dtype=bool)
    for _ in range(MAX_CHORD_ITERATIONS):
        step = inverse @ _gradient_t(pairs, theta_t, score_t, total_t, prior, buffers)
        size = np.abs(step).max(axis=0, initial=0.0)
        handed_over |= (size > tolerance) & (size > 0.5 * last)
        step[:, handed_over] = 0.0
        theta_t += step
        last = size
        if np.all(handed_over | (size <= tolerance)):
            break
    theta = np.ascontiguousarray(theta_t.T)
    rest = np.flatnonzero(handed_over | (last > tolerance))
    if len(rest):
        theta[rest] = fit_bt(pairs, score_t[:, rest].T, total_t[:, rest].T, prior, start=theta[rest])
    return theta


def hessian(pairs: Pairs, theta: np.ndarray, total: np.ndarray, prior: float) -> np.ndarray:
    """Negative Hessian of the penalized log-likelihood, (..., models, models)."""
    p = expit(theta[..., pairs.first] - theta[..., pairs.second])
    weight = total * p * (1.0 - p)
    matrix = np.zeros((*weight.shape[:-1], pairs.n_models, pairs.n_models))
    matrix[..., pairs.first, pairs.second] = -weight
    matrix[..., pairs.second, pairs.first] = -weight
    diagonal = np.arange(pairs.n_models)
    matrix[..., diagonal, diagonal] = weight @ abs(pairs.incidence) + prior
    return matrix


def log_posterior(pairs: Pairs, theta: np.ndarray, score: np.ndarray, total: np.ndarray, prior: float) -> np.ndarray:
    """Penalized log-likelihood per row of ``theta`` (up to a constant)."""
    diff = theta[:, pairs.first] - theta[:, pairs.second]
    loglik = -(score * np.logaddexp(0.0, -diff) + (total - score) * np.logaddexp(0.0, diff))
    return loglik.sum(axis=1) - 0.5 * prior * np.square(theta).sum(axis=1)


def _gradient(pairs: Pairs, theta: np.ndarray, score: np.ndarray, total: np.ndarray, prior: float) -> np.ndarray:
    residual = score - total * expit(theta[:, pairs.first] - theta[:, pairs.second])
    return np.asarray(residual @ pairs.incidence) - prior * theta


def _gradient_t(
    pairs: Pairs,
    theta_t: np.ndarray,
    score_t: np.ndarray,
    total_t: np.ndarray,
    prior: float,
    buffers: tuple[np.ndarray, np.ndarray],
) -> np.ndarray:
    """`_gradient` transposed: (models, rounds) from (pairs, rounds) data. Work happens in
    ``buffers`` because allocating fresh large arrays costs more than the arithmetic."""
    residual, other = buffers
    np.take(theta_t, pairs.first, axis=0, out=residual, mode="clip")
    residual -= np.take(theta_t, pairs.second, axis=0, out=other, mode="clip")
    expit(residual, out=residual)
    residual *= total_t
    np.subtract(score_t, residual, out=residual)
    return pairs.incidence_t @ residual - prior * theta_t


def _newton_step(pairs: Pairs, theta: np.ndarray, score: np.ndarray, total: np.ndarray, prior: float) -> np.ndarray:
    gradient = _gradient(pairs, theta, score, total, prior)
    return np.linalg.solve(hessian(pairs, theta, total, prior), gradient[..., None])[..., 0]


def _line_search(
    pairs: Pairs,
    theta: np.ndarray,
    step: np.ndarray,
    score: np.ndarray,
    total: np.ndarray,
    prior: float,
) -> np.ndarray:
    """Halve each round's step until its log-posterior does not drop (Newton can overshoot)."""
    before = log_posterior(pairs, theta, score, total, prior)
    scale = np.ones(len(theta))
    pending = np.arange(len(theta))
    for _ in range(MAX_HALVINGS):
        trial = theta[pending] + scale[pending, None] * step[pending]
        after = log_posterior(pairs, trial, score[pending], total[pending], prior)
        worse = after < before[pending] - 1e-12 * np.abs(before[pending])
        pending = pending[worse]
        if not len(pending):
            break
        scale[pending] *= 0.5
    return theta + scale[:, None] * step
