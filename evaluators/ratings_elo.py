"""Online Elo in time order, as Chatbot Arena computes it (K=4, scale 400, base 10, init 1000).

The update is sequential, so numpy cannot vectorize it; the loop runs over plain Python lists of
integer codes, which is about as fast as CPython gets without a compiler. Each update moves the
two ratings by exactly opposite amounts, so the sum of ratings never drifts.
"""

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from evaluators.ratings_battle import TIE, WIN_A, EncodedBattles, encode_battles

K_FACTOR = 4.0
SCALE = 400.0
BASE = 10.0
INIT_RATING = 1000.0


def online_elo(
    battles: Iterable[Sequence[Any]],
    k: float = K_FACTOR,
    scale: float = SCALE,
    base: float = BASE,
    init: float = INIT_RATING,
) -> dict[str, float]:
    """Elo ratings after replaying ``battles`` in the order given (sort them by time first)."""
    return online_elo_encoded(encode_battles(battles), k, scale, base, init)


def online_elo_encoded(
    battles: EncodedBattles,
    k: float = K_FACTOR,
    scale: float = SCALE,
    base: float = BASE,
    init: float = INIT_RATING,
) -> dict[str, float]:
    """`online_elo` for battles already encoded."""
    # Score of model_a per outcome code: 1 for a win, 0 for a loss, 0.5 for either tie.
    score_a = np.where(battles.outcome == WIN_A, 1.0, np.where(battles.outcome >= TIE, 0.5, 0.0))
    ratings = _replay(
        battles.model_a.tolist(),
        battles.model_b.tolist(),
        score_a.tolist(),
        [float(init)] * len(battles.models),
        k,
        math.log(base) / scale,
    )
    return dict(zip(battles.models, ratings, strict=True))


def _replay(
    first: list[int],
    second: list[int],
    score: list[float],
    ratings: list[float],
    k: float,
    rate: float,
) -> list[float]:
    exp = math.exp
    for a, b, s in zip(first, second, score, strict=True):
        ra = ratings[a]
        rb = ratings[b]
        delta = k * (s - 1.0 / (1.0 + exp((rb - ra) * rate)))
        ratings[a] = ra + delta
        ratings[b] = rb - delta
    return ratings
