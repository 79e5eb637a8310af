"""Known strengths come back from simulated battles."""

import numpy as np
import pytest
from scipy.stats import spearmanr

from evaluators.ratings import leaderboard_from_counts
from evaluators.ratings_counts import aggregate_encoded
from evaluators.ratings_simulate import simulate


def fitted(sim, rounds: int = 0) -> np.ndarray:
    rows = leaderboard_from_counts(aggregate_encoded(sim.battles), bootstrap_rounds=rounds)
    by_model = {row["model"]: row["rating"] for row in rows}
    return np.array([by_model[m] for m in sim.battles.models])


def test_a_million_battles_recover_the_order_of_fifty_models() -> None:
    sim = simulate(1_000_000, 50, seed=11, spread=1.0)
    ratings = fitted(sim, rounds=100)
    assert spearmanr(ratings, sim.ratings).statistic >= 0.99
    assert np.abs(ratings - sim.ratings).max() < 10


def test_ties_shrink_the_scale_but_keep_the_order() -> None:
    sim = simulate(1_000_000, 50, seed=12, tie_rate=0.3)
    ratings = fitted(sim)
    assert spearmanr(ratings, sim.ratings).statistic >= 0.99
    assert np.std(ratings) < np.std(sim.ratings)


@pytest.mark.parametrize("spread", [0.3, 2.5])
def test_errors_stay_within_the_normal_intervals_across_spreads(spread: float) -> None:
    sim = simulate(200_000, 20, seed=13, spread=spread)
    rows = leaderboard_from_counts(aggregate_encoded(sim.battles), bootstrap_rounds=0)
    truth = dict(zip(sim.battles.models, sim.ratings, strict=True))
    for row in rows:
        half_width = (row["ci_upper"] - row["ci_lower"]) / 2
        assert abs(row["rating"] - truth[row["model"]]) < 2 * half_width
