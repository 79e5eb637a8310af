"""Per-pair counts, per-model totals, the matrices, and errors for bad battles."""

import numpy as np
import pytest

from evaluators.ratings import (
    BattleError,
    Counts,
    PairCount,
    UnknownModel,
    aggregate,
    battle_count_matrix,
    leaderboard,
    leaderboard_from_counts,
    predicted_win_rate_matrix,
    win_rate_matrix,
)
from evaluators.ratings_counts import model_totals

BATTLES = [
    ("b", "a", "model_a"),
    ("a", "b", "model_a"),
    ("a", "b", "tie"),
    ("b", "a", "tie (bothbad)"),
    ("a", "c", "model_b"),
    ("c", "a", "model_b"),
    ("b", "c", "model_a"),
]


def test_pairs_are_kept_in_name_order_with_wins_swapped_to_match() -> None:
    counts = aggregate(BATTLES)
    assert counts.models == ("a", "b", "c")
    assert counts.records() == [
        PairCount("a", "b", wins_a=1, wins_b=1, ties=1, tie_bothbad=1),
        PairCount("a", "c", wins_a=1, wins_b=1, ties=0, tie_bothbad=0),
        PairCount("b", "c", wins_a=1, wins_b=0, ties=0, tie_bothbad=0),
    ]
    assert counts.counts.tolist() == [4, 2, 1] and counts.total == 7


def test_stored_records_round_trip_and_sum_in_either_order() -> None:
    counts = aggregate(BATTLES)
    again = Counts.from_records([tuple(r) for r in counts.records()])
    assert again.records() == counts.records()
    merged = Counts.from_records([("x", "y", 2, 1, 0, 0), ("y", "x", 3, 0, 1, 1)])
    assert merged.records() == [PairCount("x", "y", 2, 4, 1, 1)]


def test_bad_stored_records_are_listed_by_row() -> None:
    with pytest.raises(BattleError) as caught:
        Counts.from_records([("x", "y", 1, 0, 0, 0), ("x", "x", 1, 0, 0, 0), ("x", "y", -1, 0, 0, 0), ("x", "y")])
    assert caught.value.rows == [2, 3, 4]


def test_model_totals_count_ties_of_both_kinds() -> None:
    totals = model_totals(aggregate(BATTLES))
    assert totals.votes.tolist() == [6, 5, 3]
    assert totals.wins.tolist() == [2, 2, 1]
    assert totals.losses.tolist() == [2, 1, 2]
    assert totals.ties.tolist() == [2, 2, 0]


def test_leaderboard_rows_carry_the_contract_columns() -> None:
    rows = leaderboard(BATTLES, bootstrap_rounds=10, seed=0)
    assert [set(row) for row in rows] == [
        {"model", "rating", "ci_lower", "ci_upper", "rank", "elo", "votes", "wins", "losses", "ties", "win_rate"}
    ] * 3
    a = next(row for row in rows if row["model"] == "a")
    assert (a["votes"], a["wins"], a["losses"], a["ties"], a["win_rate"]) == (6, 2, 2, 2, 0.5)
    assert [row["rank"] for row in rows] == sorted(row["rank"] for row in rows)


def test_from_counts_takes_the_elo_column_from_the_caller() -> None:
    rows = leaderboard_from_counts(aggregate(BATTLES), bootstrap_rounds=0, elo={"a": 1010.0})
    assert {row["model"]: row["elo"] for row in rows} == {"a": 1010.0, "b": None, "c": None}


def test_matrices_are_hand_checkable() -> None:
    counts = aggregate(BATTLES)
    assert battle_count_matrix(counts) == (["a", "b", "c"], [[0, 4, 2], [4, 0, 1], [2, 1, 0]])
    models, rates = win_rate_matrix(counts, ["c", "a", "b"])
    assert models == ["c", "a", "b"]
    assert rates == [[None, 0.5, 0.0], [0.5, None, 0.5], [1.0, 0.5, None]]


def test_pairs_that_never_met_have_no_win_rate() -> None:
    counts = aggregate([("a", "b", "model_a"), ("c", "d", "model_a")])
    assert win_rate_matrix(counts)[1][0] == [None, 1.0, None, None]


def test_predicted_win_rates_follow_the_rating_gap() -> None:
    models, rates = predicted_win_rate_matrix({"low": 1000.0, "high": 1400.0})
    assert models == ["high", "low"]
    assert rates[0][1] == pytest.approx(10 / 11) and rates[1][0] == pytest.approx(1 / 11)
    assert rates[0][0] is None
    with pytest.raises(UnknownModel):
        predicted_win_rate_matrix({"a": 1000.0}, ["a", "zz"])


def test_bad_battles_are_reported_with_every_row_number() -> None:
    rows = [
        ("a", "b", "model_a"),
        ("a", "b", "left"),
        ("a", "a", "tie"),
        ("a", "b"),
        ("", "b", "tie"),
        (None, "b", "tie"),
        ("c", "b", "model_b"),
    ]
    with pytest.raises(BattleError) as caught:
        aggregate(rows)
    assert caught.value.rows == [2, 3, 4, 5, 6]
    message = str(caught.value)
    assert "row 2: unknown winner 'left'" in message and "model_a, model_b, tie, tie (bothbad)" in message
    assert "row 3: model 'a' battles itself" in message


def test_a_long_list_of_problems_is_shortened_but_counted() -> None:
    with pytest.raises(BattleError, match=r"100 problem\(s\).*and 80 more"):
        aggregate([("a", "b", "?")] * 100)


def test_empty_battles_aggregate_to_nothing() -> None:
    counts = aggregate([])
    assert counts.models == () and counts.total == 0 and counts.records() == []
    assert np.array_equal(counts.counts, np.array([], dtype=np.int64))


def test_malformed_rows_given_to_the_leaderboard_are_named() -> None:
    rows = [("a", "b", "model_a", 1.0), {"model_a": "a"}, 7, ("a", "b", "tie", 2.0)]
    with pytest.raises(BattleError) as caught:
        leaderboard(rows)
    assert caught.value.rows == [2, 3]
