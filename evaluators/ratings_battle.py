"""One battle, its winner labels, and the encoding of many battles into integer arrays.

The winner labels are Chatbot Arena's, so battle files from FastChat read unchanged. Every
function that takes battles accepts plain ``(model_a, model_b, winner)`` tuples as well as
`Battle` rows: only the first three items are read (plus the fourth, the time stamp, for
ordering).
"""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import Any, NamedTuple

import numpy as np

WIN_A, WIN_B, TIE, TIE_BOTHBAD = 0, 1, 2, 3
WINNER_CODES = {"model_a": WIN_A, "model_b": WIN_B, "tie": TIE, "tie (bothbad)": TIE_BOTHBAD}
WINNERS = tuple(WINNER_CODES)
# The leaderboard's scale, as Chatbot Arena's: ratings average 1000; 400 points are a factor of 10 in odds.
INIT_RATING = 1000.0
SCALE = 400.0
BASE = 10.0
ELO_PER_LOG_ODDS = SCALE / math.log(BASE)
MAX_LISTED_PROBLEMS = 20


class Battle(NamedTuple):
    """One vote. ``conversation`` holds FastChat's ``conversation_a``/``conversation_b`` lists."""

    model_a: str
    model_b: str
    winner: str
    tstamp: float | None = None
    anony: bool | None = None
    conversation: dict[str, Any] | None = None
    conv_metadata: dict[str, Any] | None = None


class BattleError(ValueError):
    """Battles that cannot be rated; ``problems`` lists (row number, what is wrong), 1-based."""

    def __init__(self, problems: Sequence[tuple[int, str]], source: str = "battles") -> None:
        self.problems = list(problems)
        self.source = source
        super().__init__(self._message())

    @property
    def rows(self) -> list[int]:
        return [row for row, _ in self.problems if row > 0]

    def _message(self) -> str:
        shown = "; ".join(
            f"row {row}: {what}" if row > 0 else what for row, what in self.problems[:MAX_LISTED_PROBLEMS]
        )
        more = len(self.problems) - MAX_LISTED_PROBLEMS
        tail = f"; and {more} more" if more > 0 else ""
        return f"{self.source}: {len(self.problems)} problem(s), nothing was read: {shown}{tail}"


def battle_problem(model_a: object, model_b: object, winner: object) -> str | None:
    """What is wrong with one battle, or None when it can be rated."""
    for side, name in (("model_a", model_a), ("model_b", model_b)):
        if not isinstance(name, str) or not name.strip():
            return f"{side} must be a non-empty model name, got {name!r}"
    if model_a == model_b:
        return f"model {model_a!r} battles itself; drop the row or fix one of the names"
    if not isinstance(winner, str) or winner not in WINNER_CODES:
        return f"unknown winner {winner!r}; expected one of {', '.join(WINNERS)}"
    return None


@dataclass(frozen=True)
class EncodedBattles:
    """Battles as integer arrays: indexes into ``models`` (sorted names) and winner codes."""

    models: tuple[str, ...]
    model_a: np.ndarray
    model_b: np.ndarray
    outcome: np.ndarray

    def __len__(self) -> int:
        return len(self.outcome)


def encode_battles(battles: Iterable[Sequence[Any]]) -> EncodedBattles:
    """Check and encode battles; raise `BattleError` naming every bad row (1-based)."""
    rows = battles if isinstance(battles, list) else list(battles)
    try:
        names_a = [row[0] for row in rows]
        names_b = [row[1] for row in rows]
        winners = [row[2] for row in rows]
        models = tuple(sorted(set(names_a).union(names_b)))
        outcome = np.fromiter(map(WINNER_CODES.get, winners, repeat(-1)), np.int8, len(rows))
    except (IndexError, KeyError, TypeError):
        raise BattleError(_row_problems(rows)) from None
    if outcome.min(initial=0) < 0 or not all(isinstance(m, str) and m.strip() for m in models):
        raise BattleError(_row_problems(rows))
    index = {name: i for i, name in enumerate(models)}
    model_a = np.fromiter(map(index.__getitem__, names_a), np.int32, len(rows))
    model_b = np.fromiter(map(index.__getitem__, names_b), np.int32, len(rows))
    if np.any(model_a == model_b):
        raise BattleError(_row_problems(rows))
    return EncodedBattles(models, model_a, model_b, outcome)


def _row_problems(rows: Sequence[Any]) -> list[tuple[int, str]]:
    problems = []
    for number, row in enumerate(rows, start=1):
        try:
            model_a, model_b, winner = row[0], row[1], row[2]
        except (IndexError, KeyError, TypeError):
            problems.append((number, f"expected (model_a, model_b, winner), got {row!r:.80}"))
            continue
        problem = battle_problem(model_a, model_b, winner)
        if problem:
            problems.append((number, problem))
    return problems


def in_time_order(battles: Iterable[Sequence[Any]]) -> list[Sequence[Any]]:
    """Battles sorted by time stamp (stable) when every one has a numeric 4th item, else as given."""
    rows = list(battles)
    try:
        stamps = [row[3] if len(row) > 3 else None for row in rows]
    except (IndexError, KeyError, TypeError):  # malformed rows: `encode_battles` names them
        return rows
    if rows and all(isinstance(s, int | float) and not isinstance(s, bool) for s in stamps):
        order = sorted(range(len(rows)), key=stamps.__getitem__)
        return [rows[i] for i in order]
    return rows


def score_a(outcome: np.ndarray) -> np.ndarray:
    """Model A's score per battle code: 1 for a win, 0.5 for either kind of tie, 0 for a loss."""
    return np.where(outcome == WIN_A, 1.0, np.where(outcome >= TIE, 0.5, 0.0))
