"""Bradley-Terry ratings on hand-computed cases: closed forms, ties, centring, anchors, clean sweeps."""

import math

import numpy as np
import pytest

from evaluators.ratings import aggregate, leaderboard
from evaluators.ratings_bt import Pairs, fit_bt, fit_bt_near
from evaluators.ratings_intervals import UnknownModel, pair_scores

ELO = 400 / math.log(10)


def battles(*groups: tuple[str, str, str, int]) -> list[tuple[str, str, str]]:
    return [(a, b, winner) for a, b, winner, count in groups for _ in range(count)]


def ratings_of(rows: list[dict]) -> dict[str, float]:
    return {row["model"]: row["rating"] for row in rows}


def test_two_models_match_the_closed_form_with_ties_as_half_wins() -> None:
    # A scores 30 wins + 20 ties / 2 = 40, B scores 10 + 10 = 20: A - B = 400 log10(40 / 20).
    data = battles(
        ("A", "B", "model_a", 30), ("A", "B", "model_b", 10), ("A", "B", "tie", 12), ("B", "A", "tie (bothbad)", 8)
    )
    rows = ratings_of(leaderboard(data, bootstrap_rounds=0))
    gap = 400 * math.log10(2)
    assert rows["A"] == pytest.approx(1000 + gap / 2, abs=0.1)
    assert rows["B"] == pytest.approx(1000 - gap / 2, abs=0.1)


def test_the_unpenalized_limit_is_exact() -> None:
    counts = aggregate(battles(("A", "B", "model_a", 30), ("A", "B", "model_b", 10), ("A", "B", "tie", 20)))
    score, total = pair_scores(counts)
    pairs = Pairs.build(counts.pair_a, counts.pair_b, 2)
    theta = fit_bt(pairs, score, total, prior=1e-12)
    assert (theta[0] - theta[1]) * ELO == pytest.approx(400 * math.log10(2), abs=1e-6)


def test_three_models_with_counts_that_fit_exactly() -> None:
    # Strengths 4 : 2 : 1 predict 2/3, 2/3 and 4/5; these counts show exactly those shares.
    data = battles(
        ("A", "B", "model_a", 20), ("A", "B", "model_b", 10),
        ("B", "C", "model_a", 20), ("B", "C", "model_b", 10),
        ("A", "C", "model_a", 20), ("C", "A", "model_a", 5),
    )  # fmt: skip
    rows = ratings_of(leaderboard(data, bootstrap_rounds=0))
    expected = {"A": 1000 + 400 * math.log10(2), "B": 1000.0, "C": 1000 - 400 * math.log10(2)}
    for model, value in expected.items():
        assert rows[model] == pytest.approx(value, abs=0.2)


def test_a_cycle_rates_everyone_equal() -> None:
    data = battles(("A", "B", "model_a", 7), ("B", "C", "model_a", 7), ("C", "A", "model_a", 7))
    assert all(r == pytest.approx(1000, abs=1e-9) for r in ratings_of(leaderboard(data, 0)).values())


def test_ratings_average_1000_and_ignore_sides_and_order() -> None:
    rng = np.random.default_rng(3)
    names = ["a", "b", "c", "d", "e"]
    data = []
    for _ in range(500):
        x, y = rng.choice(names, 2, replace=False)
        data.append((str(x), str(y), str(rng.choice(["model_a", "model_b", "tie", "tie (bothbad)"]))))
    swapped = [(b, a, {"model_a": "model_b", "model_b": "model_a"}.get(w, w)) for a, b, w in reversed(data)]
    first, second = ratings_of(leaderboard(data, 0)), ratings_of(leaderboard(swapped, 0))
    assert sum(first.values()) / len(first) == pytest.approx(1000, abs=1e-9)
    assert all(first[m] == pytest.approx(second[m], abs=1e-9) for m in names)


def test_both_kinds_of_tie_count_alike() -> None:
    plain = battles(("A", "B", "model_a", 5), ("A", "B", "tie", 9), ("B", "A", "model_a", 3))
    bothbad = [(a, b, "tie (bothbad)" if w == "tie" else w) for a, b, w in plain]
    assert ratings_of(leaderboard(plain, 0)) == pytest.approx(ratings_of(leaderboard(bothbad, 0)))


def test_anchor_fixes_one_rating_and_keeps_the_gaps() -> None:
    data = battles(
        ("A", "B", "model_a", 20), ("A", "B", "model_b", 10), ("B", "C", "model_a", 15), ("C", "B", "model_a", 5)
    )
    centred = ratings_of(leaderboard(data, 0))
    anchored = ratings_of(leaderboard(data, 0, anchor=("B", 1114.0)))
    assert anchored["B"] == pytest.approx(1114.0)
    assert anchored["A"] - anchored["C"] == pytest.approx(centred["A"] - centred["C"])


def test_an_unknown_anchor_names_the_known_models() -> None:
    with pytest.raises(UnknownModel, match=r"'Z'.*A, B"):
        leaderboard([("A", "B", "model_a")], 0, anchor=("Z", 1000.0))


def test_a_model_that_never_lost_gets_a_finite_rating_and_a_wide_interval() -> None:
    data = battles(
        ("A", "B", "model_a", 40), ("A", "B", "model_b", 40), ("S", "A", "model_a", 12), ("S", "B", "model_a", 12)
    )
    rows = {row["model"]: row for row in leaderboard(data, bootstrap_rounds=100, seed=0)}
    sweeper = rows["S"]
    assert math.isfinite(sweeper["rating"]) and sweeper["rating"] > rows["A"]["rating"] + 200
    assert sweeper["ci_upper"] - sweeper["ci_lower"] > 300
    assert sweeper["losses"] == 0 and sweeper["votes"] == 24


def test_models_that_never_met_stay_finite() -> None:
    data = battles(("A", "B", "model_a", 5), ("A", "B", "model_b", 2), ("C", "D", "model_a", 1))
    rows = leaderboard(data, bootstrap_rounds=20)
    assert len(rows) == 4 and all(math.isfinite(row["ci_upper"] - row["ci_lower"]) for row in rows)


def test_chord_iterations_agree_with_newton_on_resampled_counts() -> None:
    counts = aggregate(
        battles(
            ("A", "B", "model_a", 30),
            ("B", "C", "model_a", 25),
            ("C", "A", "model_a", 9),
            ("C", "A", "model_b", 21),
            ("D", "A", "model_b", 3),
        )
    )
    pairs = Pairs.build(counts.pair_a, counts.pair_b, len(counts.models))
    score, total = pair_scores(counts)
    center = fit_bt(pairs, score, total)
    rng = np.random.default_rng(0)
    totals = rng.poisson(total, size=(50, len(total))).astype(float)
    scores = rng.binomial(totals.astype(int), score / total).astype(float)
    near = fit_bt_near(pairs, scores.T, totals.T, center, total)
    assert near == pytest.approx(fit_bt(pairs, scores, totals), abs=1e-7)


def test_no_battles_no_rows() -> None:
    assert leaderboard([]) == []
