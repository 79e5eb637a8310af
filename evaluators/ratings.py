"""Leaderboard ratings from pairwise battles, with Chatbot Arena's conventions.

- Bradley-Terry maximum likelihood on the Elo scale (400 x log10-odds), fitted on per-pair
  counts, centred on a mean of 1000 (or shifted so an anchor model has a given rating).
  A tie of either kind is half a win for each side. A tiny L2 prior keeps the fit finite when a
  model never lost; see `evaluators.ratings_bt`.
- Bootstrap intervals (resampling battles; 100 rounds, 95 %, seedable), rank = 1 + the number of
  models whose lower bound is above this model's upper bound. Models with few battles (< 30) or a
  clean record keep their row, with an interval widened to at least the normal approximation's;
  see `evaluators.ratings_intervals`.
- Online Elo (K=4) in time order as a second column; see `evaluators.ratings_elo`.
- Optional style control (answer length and markdown density as covariates); see
  `evaluators.ratings_style`.

Command line: ``python -m evaluators.ratings BATTLES_FILE [--bootstrap N] [--seed S]`` prints
the table as CSV; see `evaluators.ratings_cli`.
"""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NotRequired, TypedDict

from evaluators.ratings_battle import Battle, BattleError, encode_battles, in_time_order
from evaluators.ratings_counts import Counts, PairCount, aggregate, aggregate_encoded, model_totals
from evaluators.ratings_elo import online_elo, online_elo_encoded
from evaluators.ratings_intervals import Fit, UnknownModel, fit_with_intervals
from evaluators.ratings_matrices import battle_count_matrix, predicted_win_rate_matrix, win_rate_matrix
from evaluators.ratings_style import StyleDataError, style_controlled_fit

__all__ = [
    "Battle",
    "BattleError",
    "Counts",
    "LeaderboardRow",
    "PairCount",
    "StyleDataError",
    "UnknownModel",
    "aggregate",
    "battle_count_matrix",
    "leaderboard",
    "leaderboard_from_counts",
    "online_elo",
    "predicted_win_rate_matrix",
    "win_rate_matrix",
]


class LeaderboardRow(TypedDict):
    """One model's line; the ``style_*`` keys are present only with style control on."""

    model: str
    rating: float
    ci_lower: float
    ci_upper: float
    rank: int
    elo: float | None
    votes: int
    wins: int
    losses: int
    ties: int
    win_rate: float
    style_rating: NotRequired[float]
    style_ci_lower: NotRequired[float]
    style_ci_upper: NotRequired[float]
    style_rank: NotRequired[int]


def leaderboard(
    battles: Iterable[Sequence[Any]],
    bootstrap_rounds: int = 100,
    seed: int | None = 0,
    anchor: tuple[str, float] | None = None,
    confidence: float = 0.95,
    style_control: bool = False,
) -> list[LeaderboardRow]:
    """The leaderboard of ``(model_a, model_b, winner)`` battles, best first.

    Battles whose 4th item is a time stamp (every one of them) are replayed in time order for
    the Elo column; otherwise in the order given. ``style_control`` needs `Battle` rows with
    ``conv_metadata`` or ``conversation`` and adds the ``style_*`` columns. No battles, no rows.
    """
    rows = in_time_order(battles)
    encoded = encode_battles(rows)
    if not len(encoded):
        return []
    counts = aggregate_encoded(encoded)
    elo = online_elo_encoded(encoded)
    table = leaderboard_from_counts(counts, bootstrap_rounds, seed, anchor, elo, confidence)
    if style_control:
        style = style_controlled_fit(rows, encoded, bootstrap_rounds, seed, anchor, confidence)
        _add_style_columns(table, style)
    return table


def leaderboard_from_counts(
    counts: Counts,
    bootstrap_rounds: int = 100,
    seed: int | None = 0,
    anchor: tuple[str, float] | None = None,
    elo: Mapping[str, float] | None = None,
    confidence: float = 0.95,
) -> list[LeaderboardRow]:
    """The leaderboard from stored per-pair counts, best first; ``elo`` fills the Elo column.

    ``bootstrap_rounds=0`` skips the bootstrap and gives normal-approximation intervals.
    """
    if not counts.total:
        return []
    fit = fit_with_intervals(counts, bootstrap_rounds, seed, anchor, confidence)
    totals = model_totals(counts)
    table = []
    for i, model in enumerate(counts.models):
        votes, ties = int(totals.votes[i]), int(totals.ties[i])
        table.append(
            LeaderboardRow(
                model=model,
                rating=float(fit.rating[i]),
                ci_lower=float(fit.ci_lower[i]),
                ci_upper=float(fit.ci_upper[i]),
                rank=int(fit.rank[i]),
                elo=None if elo is None or model not in elo else float(elo[model]),
                votes=votes,
                wins=int(totals.wins[i]),
                losses=int(totals.losses[i]),
                ties=ties,
                win_rate=(int(totals.wins[i]) + 0.5 * ties) / votes if votes else 0.0,
            )
        )
    return sorted(table, key=lambda row: (row["rank"], -row["rating"], row["model"]))


def _add_style_columns(table: list[LeaderboardRow], style: Fit) -> None:
    position = {model: i for i, model in enumerate(style.models)}
    for row in table:
        i = position[row["model"]]
        row["style_rating"] = float(style.rating[i])
        row["style_ci_lower"] = float(style.ci_lower[i])
        row["style_ci_upper"] = float(style.ci_upper[i])
        row["style_rank"] = int(style.rank[i])


if __name__ == "__main__":
    from evaluators.ratings_cli import main

    raise SystemExit(main())
