"""Online Elo: the update rule, zero sum, symmetry, and time order."""

import random

import pytest

from evaluators.ratings import leaderboard, online_elo
from evaluators.ratings_battle import Battle


def reference_elo(rows, k=4.0, scale=400.0, base=10.0, init=1000.0):
    """Chatbot Arena's loop, written out the long way."""
    rating: dict[str, float] = {}
    for a, b, winner in rows:
        ra, rb = rating.get(a, init), rating.get(b, init)
        ea = 1 / (1 + base ** ((rb - ra) / scale))
        eb = 1 / (1 + base ** ((ra - rb) / scale))
        sa = {"model_a": 1.0, "model_b": 0.0}.get(winner, 0.5)
        rating[a] = ra + k * (sa - ea)
        rating[b] = rb + k * (1 - sa - eb)
    return rating


def random_battles(count: int, seed: int = 0) -> list[tuple[str, str, str]]:
    rng = random.Random(seed)
    names = [f"m{i}" for i in range(6)]
    winners = ["model_a", "model_b", "tie", "tie (bothbad)"]
    return [(*rng.sample(names, 2), rng.choice(winners)) for _ in range(count)]


def test_one_win_from_scratch_moves_k_over_two() -> None:
    assert online_elo([("A", "B", "model_a")]) == {"A": 1002.0, "B": 998.0}
    assert online_elo([("A", "B", "tie")]) == {"A": 1000.0, "B": 1000.0}


def test_a_second_battle_uses_the_updated_ratings() -> None:
    expected = 4 * (1 - 1 / (1 + 10 ** ((998 - 1002) / 400)))
    ratings = online_elo([("A", "B", "model_a"), ("A", "B", "model_a")])
    assert ratings["A"] == pytest.approx(1002 + expected)


def test_matches_the_reference_loop() -> None:
    rows = random_battles(3000)
    ours, reference = online_elo(rows), reference_elo(rows)
    assert ours.keys() == reference.keys()
    assert all(ours[m] == pytest.approx(reference[m], abs=1e-9) for m in ours)


def test_the_sum_of_ratings_never_drifts() -> None:
    ratings = online_elo(random_battles(20000, seed=1))
    assert sum(ratings.values()) == pytest.approx(1000 * len(ratings), abs=1e-8)


def test_swapping_sides_and_flipping_the_winner_changes_nothing() -> None:
    rows = random_battles(2000, seed=2)
    flip = {"model_a": "model_b", "model_b": "model_a"}
    swapped = [(b, a, flip.get(w, w)) for a, b, w in rows]
    ours, theirs = online_elo(rows), online_elo(swapped)
    assert all(ours[m] == pytest.approx(theirs[m], abs=1e-9) for m in ours)


def test_parameters_are_honoured() -> None:
    assert online_elo([("A", "B", "model_b")], k=32, init=1500) == {"A": 1484.0, "B": 1516.0}


def test_order_matters_and_the_leaderboard_replays_by_time_stamp() -> None:
    rows = [Battle("A", "B", "model_a", 2.0), Battle("B", "A", "model_a", 1.0), Battle("A", "C", "model_b", 3.0)]
    in_time = online_elo(sorted(rows, key=lambda r: r.tstamp))
    assert in_time != online_elo(rows)
    table = {row["model"]: row["elo"] for row in leaderboard(rows, bootstrap_rounds=0)}
    assert table == pytest.approx(in_time)
