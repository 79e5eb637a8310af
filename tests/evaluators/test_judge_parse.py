import pytest

from evaluators.judge import VerdictError, parse_verdict

QUOTED_PAIR_INSTRUCTIONS = (
    "You asked me to output [[A]] if A is better, [[B]] if B is better and [[C]] for a tie.\n"
    "Assistant B misses the second part of the question.\n"
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Assistant A is more accurate.\n[[A]]", "A"),
        ("Final verdict: [[B]]", "B"),
        ("Both are equally good. [[C]]", "tie"),
        (QUOTED_PAIR_INSTRUCTIONS + "My verdict: [[A]]", "A"),
        (QUOTED_PAIR_INSTRUCTIONS + "Verdict: [[C]]", "tie"),
        ("At first [[A]] looked right, but on reflection [[B]]", "B"),
        ("[[a]]", "A"),
        ("[[ b ]]", "B"),
        ("[[c]]", "tie"),
        ("**[[A]]**", "A"),
        ("Final verdict: **[[B]]**.", "B"),
        ("[[A]]\n\n", "A"),
        ("Assistant A is better.", None),
        ("Final verdict: A", None),
        ("[A]", None),
        ("[[D]]", None),
        ("[[A>B]]", None),
        ("[[tie]]", None),
        ("", None),
    ],
)
def test_pair_verdicts(text, expected):
    assert parse_verdict(text, kind="pair") == expected


def test_kind_defaults_to_pair():
    assert parse_verdict("[[B]]") == "B"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A is far better. [[A>>B]]", "A>>B"),
        ("[[A>B]]", "A>B"),
        ("[[A=B]]", "A=B"),
        ("[[B>A]]", "B>A"),
        ("[[B>>A]]", "B>>A"),
        ("[[ a >> b ]]", "A>>B"),
        ("**[[b>a]]**", "B>A"),
        ("Labels: [[A>>B]], [[A>B]], [[A=B]], [[B>A]], [[B>>A]].\nMy final verdict is [[B>A]]", "B>A"),
        ("[[B=A]]", "A=B"),
        ("[[A<B]]", "B>A"),
        ("[[A<<B]]", "B>>A"),
        ("[[B<A]]", "A>B"),
        ("[[A>A]]", None),
        ("[[A>>>B]]", None),
        ("[[A]]", None),
        ("A>>B", None),
        ("[A>>B]", None),
        ("[[A>B]] at first, then [[A>A]]", None),
        ("no verdict here", None),
    ],
)
def test_five_level_verdicts(text, expected):
    assert parse_verdict(text, kind="five") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Rating: [[7]]", 7.0),
        ("Rating: [[7.5]]", 7.5),
        ("[[1]]", 1.0),
        ("[[10]]", 10.0),
        ("[[10.0]]", 10.0),
        ("[[ 8 ]]", 8.0),
        ("**Rating: [[6]]**", 6.0),
        ('Use the format "[[rating]]", for example "Rating: [[5]]".\nThe answer is solid.\nRating: [[8]]', 8.0),
        ("Rating: [[0]]", None),
        ("Rating: [[11]]", None),
        ("Rating: [[10.5]]", None),
        ("Rating: [[-3]]", None),
        ("Rating: [[0.5]]", None),
        ("[[7]] at first, but really [[15]]", None),
        ("Rating: 7", None),
        ("Rating: [7]", None),
        ("Rating: [[seven]]", None),
        ("Rating: [[7/10]]", None),
        ("Rating: [[rating]]", None),
        ("", None),
    ],
)
def test_single_scores(text, expected):
    assert parse_verdict(text, kind="single") == expected


def test_single_score_is_a_float():
    assert isinstance(parse_verdict("[[7]]", kind="single"), float)


def test_unknown_kind_names_the_known_ones():
    with pytest.raises(VerdictError, match="'pair', 'five' or 'single'"):
        parse_verdict("[[A]]", kind="triple")
