"""Online Elo in time order, as Chatbot Arena computes it (K=4, scale 400, base 10, init 1000).

The update is sequential, so numpy cannot vectorize it; the loop runs over plain Python lists of
integer codes, which is about as fast as CPython gets without a compiler. Each update moves the
two ratings by exactly opposite amounts, so the sum of ratings never drifts.
"""

import math
from collections.abc import Iterable, Sequence
from typing import Any

from evaluators.ratings_battle import BASE, INIT_RATING, SCALE, EncodedBattles, encode_battles, score_a

K_FACTOR = 4.0


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
    ratings = _replay(
        battles.model_a.tolist(),
        battles.model_b.tolist(),
        score_a(battles.outcome).tolist(),
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
