"""Read a judge's verdict from its text, merge the two swapped judgments, turn verdicts into battles.

Judges often quote the instructions (and so every marker) before answering, so the last
well-formed marker in the text decides.
"""

from __future__ import annotations

import re

from evaluators.judge_errors import VerdictError

PAIR_VERDICTS = ("A", "B", "tie")
FIVE_VERDICTS = ("A>>B", "A>B", "A=B", "B>A", "B>>A")
SCORE_RANGE = (1.0, 10.0)

_PAIR_MARKER = re.compile(r"\[\[\s*([abc])\s*\]\]", re.IGNORECASE)
_FIVE_MARKER = re.compile(r"\[\[\s*([ab])\s*(>>|>|=|<<|<)\s*([ab])\s*\]\]", re.IGNORECASE)
_SCORE_MARKER = re.compile(r"\[\[\s*([+-]?\d+(?:\.\d+)?)\s*\]\]")
_PAIR_LABELS = {"A": "A", "B": "B", "C": "tie"}
_SWAPPED = {
    "pair": {"A": "B", "B": "A", "tie": "tie"},
    "five": {"A>>B": "B>>A", "A>B": "B>A", "A=B": "A=B", "B>A": "A>B", "B>>A": "A>>B"},
}
_DIRECTION = {"A>>B": 1, "A>B": 1, "A=B": 0, "B>A": -1, "B>>A": -1}
_TIE = {"pair": "tie", "five": "A=B"}


def parse_verdict(text: str, kind: str = "pair") -> str | float | None:
    """The verdict of the last marker of this kind in text, or None when there is no valid one."""
    if kind == "pair":
        return _last_pair(text)
    if kind == "five":
        return _last_five(text)
    if kind == "single":
        return _last_score(text)
    raise VerdictError(f"unknown verdict kind {kind!r}; use 'pair', 'five' or 'single'")


def _last_pair(text: str) -> str | None:
    matches = _PAIR_MARKER.findall(text)
    return _PAIR_LABELS[matches[-1].upper()] if matches else None


def _last_five(text: str) -> str | None:
    matches = _FIVE_MARKER.findall(text)
    if not matches:
        return None
    left, op, right = (part.upper() for part in matches[-1])
    if left == right:
        return None
    if op.startswith("<"):  # "A<B" says "B>A"
        left, right, op = right, left, op.replace("<", ">")
    return "A=B" if op == "=" else f"{left}{op}{right}"


def _last_score(text: str) -> float | None:
    matches = _SCORE_MARKER.findall(text)
    if not matches:
        return None
    score = float(matches[-1])
    low, high = SCORE_RANGE
    return score if low <= score <= high else None


def combine_swapped(first: str | None, second_swapped: str | None, kind: str) -> tuple[str | None, bool]:
    """Merge the verdicts of both orders into one in the original labels, and say if they disagree.

    second_swapped is in the swapped order's labels ("A" there is the original B). Pairwise:
    different verdicts give a tie, flagged inconsistent. Five-level: the same winner with
    different strengths is consistent and keeps the milder verdict; a different winner (a tie
    included) gives "A=B", flagged inconsistent. Either verdict None (a parse error) gives
    (None, False): nothing is known about consistency.
    """
    if kind not in _SWAPPED:
        raise VerdictError(f"combine_swapped takes kind 'pair' or 'five', got {kind!r}")
    if first is None or second_swapped is None:
        return None, False
    _check_verdict(first, kind)
    second = _SWAPPED[kind][_check_verdict(second_swapped, kind)]
    if first == second:
        return first, False
    if kind == "five" and _DIRECTION[first] == _DIRECTION[second] != 0:
        return (first if first in ("A>B", "B>A") else second), False
    return _TIE[kind], True


def verdict_to_battles(verdict: str, kind: str, strong_weight: int = 3) -> list[str]:
    """Battle outcomes ("model_a", "model_b", "tie") that one verdict counts as in a rating."""
    if isinstance(strong_weight, bool) or not isinstance(strong_weight, int) or strong_weight < 1:
        raise VerdictError(f"strong_weight must be a whole number of battles >= 1, got {strong_weight!r}")
    if kind == "pair":
        return [{"A": "model_a", "B": "model_b", "tie": "tie"}[_check_verdict(verdict, kind)]]
    if kind == "five":
        return _five_battles(_check_verdict(verdict, kind), strong_weight)
    raise VerdictError(f"verdict_to_battles takes kind 'pair' or 'five', got {kind!r}; single scores are not battles")


def _five_battles(verdict: str, strong_weight: int) -> list[str]:
    if verdict == "A=B":
        return ["tie"]
    winner = "model_a" if _DIRECTION[verdict] > 0 else "model_b"
    return [winner] * (strong_weight if ">>" in verdict else 1)


def _check_verdict(verdict: object, kind: str) -> str:
    allowed = PAIR_VERDICTS if kind == "pair" else FIVE_VERDICTS
    if verdict not in allowed:
        raise VerdictError(
            f"{verdict!r} is not a {kind} verdict; expected one of {', '.join(allowed)} "
            "(a None verdict is a parse error: store it, never count it)"
        )
    return verdict  # type: ignore[return-value]
