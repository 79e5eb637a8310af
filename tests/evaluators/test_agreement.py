import pytest

from evaluators.agreement import (
    AgreementError,
    agreement,
    cohen_kappa,
    inconsistency_rate,
)

# Hand count: 7 of 10 agree. Human A/B/tie = 5/3/2, judge A/B/tie = 4/4/2.
# Chance agreement = (5*4 + 3*4 + 2*2) / 10**2 = 0.36, kappa = (0.7 - 0.36) / (1 - 0.36) = 0.53125.
# Without ties (either side): 7 pairs left, 6 agree.
MIXED = [
    ("A", "A"),
    ("A", "A"),
    ("A", "B"),
    ("B", "B"),
    ("B", "B"),
    ("tie", "tie"),
    ("tie", "A"),
    ("A", "A"),
    ("B", "B"),
    ("A", "tie"),
]


def test_agreement_on_a_mixed_sample():
    result = agreement(MIXED)
    assert result["n"] == 10
    assert result["agreement"] == pytest.approx(0.7)
    assert result["n_without_ties"] == 7
    assert result["agreement_without_ties"] == pytest.approx(6 / 7)
    assert result["kappa"] == pytest.approx(0.53125)


def test_kappa_textbook_two_label_example():
    # 50 items: 20 both A, 15 both B, 5 human A / judge B, 10 human B / judge A.
    # p_o = 35/50 = 0.7; p_e = (25*30 + 25*20) / 2500 = 0.5; kappa = 0.2 / 0.5 = 0.4.
    pairs = [("A", "A")] * 20 + [("B", "B")] * 15 + [("A", "B")] * 5 + [("B", "A")] * 10
    assert cohen_kappa(pairs) == pytest.approx(0.4)


def test_perfect_and_opposite_judges():
    assert cohen_kappa([("A", "A"), ("B", "B"), ("tie", "tie")]) == pytest.approx(1.0)
    assert cohen_kappa([("A", "B"), ("B", "A")]) == pytest.approx(-1.0)


def test_kappa_is_undefined_when_both_sides_use_one_label():
    result = agreement([("A", "A"), ("A", "A")])
    assert result["agreement"] == 1.0
    assert result["kappa"] is None


def test_all_ties_leave_nothing_to_compare_without_ties():
    result = agreement([("tie", "tie"), ("tie", "A")])
    assert result["n_without_ties"] == 0
    assert result["agreement_without_ties"] is None
    assert result["agreement"] == 0.5


def test_no_pairs():
    assert agreement([]) == {
        "n": 0,
        "agreement": None,
        "agreement_without_ties": None,
        "n_without_ties": 0,
        "kappa": None,
    }


@pytest.mark.parametrize("pair", [("A", "C"), ("both bad", "A"), ("A", None), ("A",), "AB"])
def test_unknown_labels_are_refused_with_advice(pair):
    with pytest.raises(AgreementError, match="'both bad' to 'tie'"):
        agreement([("A", "A"), pair])


def test_inconsistency_rate():
    assert inconsistency_rate([True, False, False, True]) == 0.5
    assert inconsistency_rate([False]) == 0.0
    assert inconsistency_rate([]) is None
