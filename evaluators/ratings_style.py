"""Style control: Bradley-Terry with answer style as covariates, so length does not buy rank.

Following Chatbot Arena's style control, each battle gets two covariates, the normalized
differences between the two answers of

- length: ``(L_a - L_b) / (L_a + L_b)``, L in tokens (FastChat's ``conv_metadata``) or in
  characters of the assistant messages (from ``conversation``);
- markdown density: ``(D_a - D_b) / (D_a + D_b)``, D = (headers + list items + bold spans) / L;

each then standardized over the battles. The model is ``P(a beats b) = sigmoid(theta_a -
theta_b + features . beta)``, fitted on rows (the covariates are per battle, so rows cannot be
aggregated) with the same tiny L2 prior as the plain fit. The style-controlled rating is
``theta`` on the usual scale: what a model would score if its answers matched its opponents'
style. Bootstrap rounds resample rows and are fitted one at a time, each by a few chord
iterations from the full-data fit; the cost grows with rows x rounds (about 0.15 s of CPU per round
per million battles), much more than the plain fit's, which is why it is off by default.
"""

import re
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
from scipy.special import expit

from evaluators.ratings_battle import BattleError, EncodedBattles, score_a
from evaluators.ratings_bt import (
    MAX_CHORD_ITERATIONS,
    MAX_HALVINGS,
    MAX_ITERATIONS,
    PRIOR_PRECISION,
    TOLERANCE,
    FitError,
)
from evaluators.ratings_counts import aggregate_encoded
from evaluators.ratings_intervals import (
    BOOTSTRAP_TOLERANCE,
    Fit,
    align,
    anchor_index,
    combine_intervals,
    laplace_interval,
    percentile_interval,
    ranks,
    reference_weights,
    thin_models,
    to_ratings,
)

MARKDOWN = re.compile(r"^#{1,6}\s|^\s*(?:[-*+]|\d+\.)\s|\*\*[^*\n]+\*\*|__[^_\n]+__", re.MULTILINE)


NO_STYLE_DATA = "no usable conv_metadata or conversation texts to measure the answers' style"


class StyleDataError(BattleError):
    """Battles without the answer texts or metadata that style control needs."""


class StyleStats(NamedTuple):
    length_a: float
    length_b: float
    markdown_a: float
    markdown_b: float


def style_stats(battle: Sequence[Any]) -> StyleStats | None:
    """Lengths and markdown element counts of both answers, or None when the battle has neither
    ``conv_metadata`` (FastChat's token and markdown counts) nor ``conversation`` texts."""
    metadata = getattr(battle, "conv_metadata", None)
    if isinstance(metadata, dict) and "sum_assistant_a_tokens" in metadata:
        try:
            (length_a, markdown_a), (length_b, markdown_b) = (_metadata_side(metadata, s) for s in "ab")
        except (AttributeError, TypeError, ValueError):
            return None
        return StyleStats(length_a, length_b, markdown_a, markdown_b)
    conversation = getattr(battle, "conversation", None)
    if isinstance(conversation, dict) and conversation.get("conversation_a") is not None:
        a = _assistant_text(conversation.get("conversation_a"))
        b = _assistant_text(conversation.get("conversation_b"))
        return StyleStats(len(a), len(b), len(MARKDOWN.findall(a)), len(MARKDOWN.findall(b)))
    return None


def style_features(stats: Sequence[StyleStats]) -> np.ndarray:
    """Standardized (length, markdown density) differences, shape (battles, 2)."""
    values = np.array(stats, dtype=float).reshape(-1, 4)
    length_a, length_b, markdown_a, markdown_b = values.T
    density_a = markdown_a / np.maximum(length_a, 1.0)
    density_b = markdown_b / np.maximum(length_b, 1.0)
    features = np.stack([_relative_difference(length_a, length_b), _relative_difference(density_a, density_b)], axis=1)
    spread = features.std(axis=0)
    return (features - features.mean(axis=0)) / np.where(spread > 0, spread, 1.0)


def style_controlled_fit(
    rows: Sequence[Sequence[Any]],
    battles: EncodedBattles,
    rounds: int = 100,
    seed: int | None = 0,
    anchor: tuple[str, float] | None = None,
    confidence: float = 0.95,
) -> Fit:
    """Style-controlled ratings with bootstrap intervals, in ``battles.models`` order."""
    stats = [style_stats(row) for row in rows]
    missing = [(n, NO_STYLE_DATA) for n, found in enumerate(stats, start=1) if found is None]
    if missing:
        raise StyleDataError(missing, source="style control")
    design = _Design.build(battles, style_features(stats))
    params = design.fit(np.ones(len(battles)))
    where = anchor_index(battles.models, anchor)
    n = len(battles.models)
    rating = to_ratings(params[:n], where)
    counts = aggregate_encoded(battles)
    reference = reference_weights(counts, where)
    inverse = np.linalg.inv(design.hessian(params, np.ones(len(battles))))
    low, high = laplace_interval(inverse[:n, :n], rating, reference, confidence)
    if rounds:
        rng = np.random.default_rng(seed)
        weights = (_resample_weights(rng, len(battles)) for _ in range(rounds))
        boot = np.array([design.fit_near(w, params, inverse)[:n] for w in weights])
        boot_interval = percentile_interval(align(boot, rating, reference), confidence)
        low, high = combine_intervals((low, high), boot_interval, thin_models(counts))
    return Fit(battles.models, rating, low, high, ranks(low, high))


class _Design(NamedTuple):
    first: np.ndarray
    second: np.ndarray
    outcome: np.ndarray
    features: np.ndarray
    n_models: int

    @classmethod
    def build(cls, battles: EncodedBattles, features: np.ndarray) -> "_Design":
        outcome = score_a(battles.outcome)
        return cls(battles.model_a, battles.model_b, outcome, features, len(battles.models))

    def logits(self, params: np.ndarray) -> np.ndarray:
        theta = params[: self.n_models]
        return theta[self.first] - theta[self.second] + self.features @ params[self.n_models :]

    def objective(self, params: np.ndarray, weights: np.ndarray) -> float:
        z = self.logits(params)
        loglik = self.outcome * np.logaddexp(0.0, -z) + (1 - self.outcome) * np.logaddexp(0.0, z)
        return float(-(weights * loglik).sum() - 0.5 * PRIOR_PRECISION * params @ params)

    def gradient(self, params: np.ndarray, weights: np.ndarray) -> np.ndarray:
        residual = weights * (self.outcome - expit(self.logits(params)))
        n = self.n_models
        theta = np.bincount(self.first, residual, n) - np.bincount(self.second, residual, n)
        return np.concatenate([theta, self.features.T @ residual]) - PRIOR_PRECISION * params

    def hessian(self, params: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Negative Hessian of the penalized log-likelihood, (models + 2) square."""
        p = expit(self.logits(params))
        v = weights * p * (1 - p)
        n = self.n_models
        pair = np.bincount(self.first * n + self.second, v, n * n).reshape(n, n)
        pair = pair + pair.T
        cross = [np.bincount(self.first, v * f, n) - np.bincount(self.second, v * f, n) for f in self.features.T]
        matrix = np.block(
            [
                [np.diag(pair.sum(axis=1)) - pair, np.stack(cross, axis=1)],
                [np.stack(cross, axis=0), self.features.T @ (v[:, None] * self.features)],
            ]
        )
        return matrix + PRIOR_PRECISION * np.eye(len(matrix))

    def fit(self, weights: np.ndarray, start: np.ndarray | None = None) -> np.ndarray:
        params = np.zeros(self.n_models + self.features.shape[1]) if start is None else start.copy()
        value = self.objective(params, weights)
        for _ in range(MAX_ITERATIONS):
            step = np.linalg.solve(self.hessian(params, weights), self.gradient(params, weights))
            for _ in range(MAX_HALVINGS):
                trial = self.objective(params + step, weights)
                if trial >= value - 1e-12 * abs(value):
                    break
                step = step / 2
            params, value = params + step, trial
            if np.abs(step).max() <= TOLERANCE:
                return params
        raise FitError(f"style-controlled fit did not converge in {MAX_ITERATIONS} Newton steps")

    def fit_near(self, weights: np.ndarray, start: np.ndarray, inverse: np.ndarray) -> np.ndarray:
        """`fit` for a resample: chord iterations from ``start`` with the full-data inverse
        Hessian (one gradient each, no solve), finished by Newton if they stall."""
        params, last = start.copy(), np.inf
        for _ in range(MAX_CHORD_ITERATIONS):
            step = inverse @ self.gradient(params, weights)
            size = np.abs(step).max()
            if size > 0.5 * last:
                break
            params += step
            if size <= BOOTSTRAP_TOLERANCE:
                return params
            last = size
        return self.fit(weights, params)


def _resample_weights(rng: np.random.Generator, size: int) -> np.ndarray:
    """How often each battle appears in one resample with replacement."""
    return np.bincount(rng.integers(0, size, size), minlength=size).astype(float)


def _relative_difference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    total = a + b
    return np.divide(a - b, total, out=np.zeros_like(total), where=total > 0)


def _metadata_side(metadata: dict[str, Any], side: str) -> tuple[float, float]:
    length = float(metadata.get(f"sum_assistant_{side}_tokens") or 0)
    markdown = sum(sum((metadata.get(f"{kind}_count_{side}") or {}).values()) for kind in ("header", "list", "bold"))
    return length, float(markdown)


def _assistant_text(messages: object) -> str:
    if not isinstance(messages, list):
        return ""
    return "\n".join(
        str(m.get("content") or "") for m in messages if isinstance(m, dict) and m.get("role") == "assistant"
    )
