"""Style control: a model that wins only by writing longer answers is not ranked up for it."""

import math

import numpy as np
import pytest

from evaluators.ratings import StyleDataError, leaderboard
from evaluators.ratings_battle import Battle
from evaluators.ratings_style import StyleStats, style_features, style_stats

TYPICAL_LENGTH = {"verbose": 900.0, "plain": 250.0, "terse": 120.0}


def metadata(length_a: float, length_b: float, bold_a: int = 0, bold_b: int = 0) -> dict:
    return {
        "sum_assistant_a_tokens": length_a,
        "sum_assistant_b_tokens": length_b,
        "header_count_a": {"h1": 0},
        "header_count_b": {"h1": 0},
        "list_count_a": {"ordered": 1, "unordered": 0},
        "list_count_b": {"ordered": 1, "unordered": 0},
        "bold_count_a": {"**": bold_a, "__": 0},
        "bold_count_b": {"**": bold_b, "__": 0},
    }


def length_biased_battles(count: int, seed: int = 0) -> list[Battle]:
    """Equal substance; voters prefer the longer answer (logit 3 x relative length gap)."""
    rng = np.random.default_rng(seed)
    names = list(TYPICAL_LENGTH)
    rows = []
    for i in range(count):
        a, b = rng.choice(names, 2, replace=False)
        la, lb = (TYPICAL_LENGTH[m] * rng.lognormal(0, 0.4) for m in (a, b))
        p_a = 1 / (1 + math.exp(-3 * (la - lb) / (la + lb)))
        winner = "model_a" if rng.random() < p_a else "model_b"
        meta = metadata(la, lb, int(rng.integers(0, 5)), int(rng.integers(0, 5)))
        rows.append(Battle(str(a), str(b), winner, float(i), True, None, meta))
    return rows


def test_length_buys_rank_without_style_control_and_not_with_it() -> None:
    rows = {r["model"]: r for r in leaderboard(length_biased_battles(6000), bootstrap_rounds=20, style_control=True)}
    assert rows["verbose"]["rating"] - rows["terse"]["rating"] > 100
    assert rows["verbose"]["rank"] == 1 and rows["terse"]["rank"] == 3
    for row in rows.values():
        assert row["style_rating"] == pytest.approx(1000, abs=25)
        assert row["style_ci_lower"] <= row["style_rating"] <= row["style_ci_upper"]
        assert row["style_rank"] == 1


def test_style_columns_only_when_asked() -> None:
    rows = leaderboard(length_biased_battles(200), bootstrap_rounds=0)
    assert not any(key.startswith("style_") for row in rows for key in row)


def test_battles_without_style_data_are_listed() -> None:
    rows = length_biased_battles(5)
    rows[2] = rows[2]._replace(conv_metadata=None)
    rows.append(("plain", "terse", "tie"))
    with pytest.raises(StyleDataError) as caught:
        leaderboard(rows, bootstrap_rounds=0, style_control=True)
    assert caught.value.rows == [3, 6]


def test_stats_come_from_metadata_or_from_the_texts() -> None:
    assert style_stats(Battle("a", "b", "tie", conv_metadata=metadata(10, 30, 2, 0))) == StyleStats(10, 30, 3, 1)
    conversation = {
        "conversation_a": [
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": "# Title\n- one\n- **two**"},
        ],
        "conversation_b": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "plain words"}],
    }
    stats = style_stats(Battle("a", "b", "tie", conversation=conversation))
    assert stats == StyleStats(len("# Title\n- one\n- **two**"), len("plain words"), 4, 0)


def test_features_are_standardized_relative_differences() -> None:
    features = style_features([StyleStats(30, 10, 3, 0), StyleStats(10, 30, 0, 3), StyleStats(20, 20, 1, 1)])
    assert features.mean(axis=0) == pytest.approx([0, 0])
    assert features.std(axis=0) == pytest.approx([1, 1])
    assert features[0, 0] > 0 > features[1, 0] and features[2, 0] == pytest.approx(0)
