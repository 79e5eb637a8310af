import pytest

from evaluators.judge import VerdictError, combine_swapped, verdict_to_battles


@pytest.mark.parametrize(
    ("first", "second_swapped", "expected"),
    [
        ("A", "B", ("A", False)),  # A wins in both orders: the swapped judge saw A in slot B
        ("B", "A", ("B", False)),
        ("tie", "tie", ("tie", False)),
        ("A", "A", ("tie", True)),  # position bias: the first slot won both times
        ("B", "B", ("tie", True)),
        ("A", "tie", ("tie", True)),
        ("tie", "A", ("tie", True)),
        (None, "A", (None, False)),
        ("A", None, (None, False)),
        (None, None, (None, False)),
    ],
)
def test_combine_pair(first, second_swapped, expected):
    assert combine_swapped(first, second_swapped, "pair") == expected


@pytest.mark.parametrize(
    ("first", "second_swapped", "expected"),
    [
        ("A>>B", "B>>A", ("A>>B", False)),
        ("A>B", "B>A", ("A>B", False)),
        ("A=B", "A=B", ("A=B", False)),
        ("B>>A", "A>>B", ("B>>A", False)),
        ("A>>B", "B>A", ("A>B", False)),  # same winner, different strength: keep the milder
        ("A>B", "B>>A", ("A>B", False)),
        ("B>A", "A>>B", ("B>A", False)),
        ("A>B", "A>B", ("A=B", True)),  # the first slot won both times
        ("A>>B", "A=B", ("A=B", True)),
        ("B>>A", "B>>A", ("A=B", True)),
        (None, "A>B", (None, False)),
    ],
)
def test_combine_five(first, second_swapped, expected):
    assert combine_swapped(first, second_swapped, "five") == expected


def test_combine_rejects_labels_of_another_kind():
    with pytest.raises(VerdictError, match="not a pair verdict"):
        combine_swapped("A>B", "A", "pair")


def test_combine_rejects_single_scores():
    with pytest.raises(VerdictError, match="'pair' or 'five'"):
        combine_swapped(7.0, 8.0, "single")


@pytest.mark.parametrize(
    ("verdict", "kind", "expected"),
    [
        ("A", "pair", ["model_a"]),
        ("B", "pair", ["model_b"]),
        ("tie", "pair", ["tie"]),
        ("A>>B", "five", ["model_a"] * 3),
        ("A>B", "five", ["model_a"]),
        ("A=B", "five", ["tie"]),
        ("B>A", "five", ["model_b"]),
        ("B>>A", "five", ["model_b"] * 3),
    ],
)
def test_verdict_to_battles(verdict, kind, expected):
    assert verdict_to_battles(verdict, kind) == expected


def test_strong_weight_is_a_setting():
    assert verdict_to_battles("B>>A", "five", strong_weight=1) == ["model_b"]
    assert verdict_to_battles("A>>B", "five", strong_weight=5) == ["model_a"] * 5
    assert verdict_to_battles("A>B", "five", strong_weight=5) == ["model_a"]


@pytest.mark.parametrize("weight", [0, -1, 2.5, True])
def test_strong_weight_must_be_a_positive_whole_number(weight):
    with pytest.raises(VerdictError, match="strong_weight"):
        verdict_to_battles("A>>B", "five", strong_weight=weight)


def test_a_parse_error_is_never_a_tie():
    with pytest.raises(VerdictError, match="parse error"):
        verdict_to_battles(None, "pair")


def test_single_scores_are_not_battles():
    with pytest.raises(VerdictError, match="not battles"):
        verdict_to_battles(7.0, "single")
