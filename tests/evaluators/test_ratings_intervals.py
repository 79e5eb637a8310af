"""Bootstrap intervals: the resampling law, seeds, ranks, thin data, and coverage."""

import itertools

import numpy as np
import pytest
from scipy.stats import chisquare, multinomial

from evaluators.ratings import leaderboard, leaderboard_from_counts
from evaluators.ratings_counts import aggregate_encoded
from evaluators.ratings_intervals import fit_with_intervals, multinomial_resamples, ranks
from evaluators.ratings_simulate import simulate


def test_resamples_follow_the_multinomial_law_exactly() -> None:
    cells = np.array([3, 2, 1])
    draws = multinomial_resamples(np.random.default_rng(0), cells, 40000)
    assert (draws.sum(axis=1) == 6).all()
    outcomes = [v for v in itertools.product(range(7), repeat=3) if sum(v) == 6]
    expected = multinomial.pmf(outcomes, 6, cells / 6) * len(draws)
    index = {v: i for i, v in enumerate(outcomes)}
    observed = np.bincount([index[tuple(row)] for row in draws.tolist()], minlength=len(outcomes))
    assert chisquare(observed, expected).pvalue > 0.001


def test_resample_moments_on_a_wide_table() -> None:
    cells = np.arange(1, 301)
    draws = multinomial_resamples(np.random.default_rng(1), cells, 4000)
    share = cells / cells.sum()
    assert np.abs(draws.mean(axis=0) / cells - 1).max() < 0.25
    variance = cells.sum() * share * (1 - share)
    assert draws.var(axis=0).sum() / variance.sum() == pytest.approx(1, abs=0.05)


def test_rank_counts_models_clearly_above() -> None:
    lower = np.array([1100.0, 1050.0, 990.0, 900.0])
    upper = np.array([1200.0, 1120.0, 1060.0, 980.0])
    assert ranks(lower, upper).tolist() == [1, 1, 2, 4]


def test_the_seed_decides_the_intervals() -> None:
    counts = aggregate_encoded(simulate(4000, 6, seed=1).battles)
    first, again = fit_with_intervals(counts, 50, seed=7), fit_with_intervals(counts, 50, seed=7)
    other = fit_with_intervals(counts, 50, seed=8)
    assert np.array_equal(first.ci_lower, again.ci_lower) and np.array_equal(first.ci_upper, again.ci_upper)
    assert not np.array_equal(first.ci_lower, other.ci_lower)


def test_intervals_hold_the_estimate_and_narrow_with_data() -> None:
    small = fit_with_intervals(aggregate_encoded(simulate(2000, 5, seed=2).battles), 100)
    large = fit_with_intervals(aggregate_encoded(simulate(50000, 5, seed=2).battles), 100)
    for fit in (small, large):
        assert (fit.ci_lower <= fit.rating).all() and (fit.rating <= fit.ci_upper).all()
    assert np.median(large.ci_upper - large.ci_lower) < np.median(small.ci_upper - small.ci_lower) / 3


def test_zero_rounds_give_normal_intervals_close_to_the_bootstrap() -> None:
    counts = aggregate_encoded(simulate(20000, 6, seed=4).battles)
    normal, boot = fit_with_intervals(counts, 0), fit_with_intervals(counts, 200)
    width_ratio = (normal.ci_upper - normal.ci_lower) / (boot.ci_upper - boot.ci_lower)
    assert np.abs(width_ratio - 1).max() < 0.3


def test_a_model_with_three_battles_is_shown_with_a_wide_interval() -> None:
    rows = simulate(3000, 4, seed=5).rows() + [("newcomer", "model-000", "model_a")] * 2
    rows.append(("newcomer", "model-001", "model_b"))
    table = {row["model"]: row for row in leaderboard(rows, bootstrap_rounds=100)}
    newcomer = table["newcomer"]
    assert newcomer["votes"] == 3
    assert newcomer["ci_upper"] - newcomer["ci_lower"] > 400
    assert newcomer["ci_lower"] <= newcomer["rating"] <= newcomer["ci_upper"]


def test_counts_and_rows_give_the_same_table() -> None:
    sim = simulate(3000, 5, seed=6, tie_rate=0.2)
    from_rows = leaderboard(sim.rows(), bootstrap_rounds=30, seed=3)
    from_counts = leaderboard_from_counts(aggregate_encoded(sim.battles), bootstrap_rounds=30, seed=3)
    for row, other in zip(from_rows, from_counts, strict=True):
        assert {**row, "elo": None} == other


def test_95_percent_intervals_cover_the_truth_about_95_percent_of_the_time() -> None:
    strengths = np.linspace(-1.0, 1.0, 8)
    hits = []
    for seed in range(150):
        sim = simulate(3000, 8, seed=seed, strengths=strengths)
        fit = fit_with_intervals(aggregate_encoded(sim.battles), 100, seed=seed)
        hits.extend((fit.ci_lower <= sim.ratings) & (sim.ratings <= fit.ci_upper))
    coverage = float(np.mean(hits))
    assert 0.90 <= coverage <= 0.99, coverage


def test_a_newcomer_does_not_widen_everyone_elses_interval() -> None:
    rows = simulate(20000, 5, seed=3).rows()

    def widths(table: list[dict]) -> dict[str, float]:
        return {row["model"]: row["ci_upper"] - row["ci_lower"] for row in table}

    before = widths(leaderboard(rows, bootstrap_rounds=100))
    after = widths(leaderboard([*rows, ("newcomer", "model-000", "model_a")], bootstrap_rounds=100))
    assert after["newcomer"] > 1000
    assert all(after[model] < 1.25 * width for model, width in before.items())
