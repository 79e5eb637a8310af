"""How often a judge agrees with human voters: raw agreement, agreement without ties, Cohen's kappa."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

LABELS = ("A", "B", "tie")


class AgreementError(ValueError):
    """Winner labels that the agreement panel cannot compare."""


def agreement(pairs: Sequence[tuple[str, str]]) -> dict[str, float | int | None]:
    """Compare (human, judge) winners, each "A", "B" or "tie", one pair per judged turn.

    "Without ties" keeps only the turns where neither the human nor the judge called a tie.
    A ratio with nothing to count is None rather than a made-up number.
    """
    _check_labels(pairs)
    decided = [(human, judge) for human, judge in pairs if "tie" not in (human, judge)]
    return {
        "n": len(pairs),
        "agreement": _share_equal(pairs),
        "agreement_without_ties": _share_equal(decided),
        "n_without_ties": len(decided),
        "kappa": cohen_kappa(pairs),
    }


def cohen_kappa(pairs: Sequence[tuple[str, str]]) -> float | None:
    """Agreement corrected for chance; None when chance alone explains everything (or no pairs)."""
    _check_labels(pairs)
    observed = _share_equal(pairs)
    if observed is None:
        return None
    humans = Counter(human for human, _ in pairs)
    judges = Counter(judge for _, judge in pairs)
    expected = sum(humans[label] * judges[label] for label in LABELS) / len(pairs) ** 2
    if expected == 1:
        return None
    return (observed - expected) / (1 - expected)


def inconsistency_rate(inconsistent: Sequence[bool]) -> float | None:
    """Share of swapped judgments whose two orders disagreed (flags from combine_swapped)."""
    return sum(inconsistent) / len(inconsistent) if inconsistent else None


def _share_equal(pairs: Sequence[tuple[str, str]]) -> float | None:
    return sum(human == judge for human, judge in pairs) / len(pairs) if pairs else None


def _check_labels(pairs: Sequence[tuple[str, str]]) -> None:
    for index, pair in enumerate(pairs):
        if not isinstance(pair, (tuple, list)) or len(pair) != 2 or any(label not in LABELS for label in pair):
            raise AgreementError(
                f"pairs[{index}] = {pair!r}: each pair is (human, judge) with labels in {LABELS}; "
                "map votes such as 'both bad' to 'tie' and drop unparsed judge verdicts first"
            )
