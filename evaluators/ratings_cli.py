"""``python -m evaluators.ratings BATTLES_FILE``: the leaderboard of a battle file as CSV.

Ratings, bounds and Elo are printed with two decimals, the win rate with four. Bad input ends
with exit status 2 and a message naming the rows to fix, on stderr.
"""

import argparse
import csv
import sys
from collections.abc import Sequence

from evaluators.battles_io import read_battles
from evaluators.ratings import LeaderboardRow, leaderboard
from evaluators.ratings_battle import BattleError
from evaluators.ratings_intervals import UnknownModel

COLUMNS = ["rank", "model", "rating", "ci_lower", "ci_upper", "elo", "votes", "wins", "losses", "ties", "win_rate"]
STYLE_COLUMNS = ["style_rank", "style_rating", "style_ci_lower", "style_ci_upper"]
TWO_DECIMALS = {"rating", "ci_lower", "ci_upper", "elo", "style_rating", "style_ci_lower", "style_ci_upper"}


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    anchor = (args.anchor, args.anchor_rating) if args.anchor else None
    try:
        battles = read_battles(args.battles_file)
        rows = leaderboard(battles, args.bootstrap, args.seed, anchor, style_control=args.style_control)
    except (BattleError, UnknownModel, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    columns = COLUMNS + (STYLE_COLUMNS if args.style_control else [])
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([_format(row, column) for column in columns] for row in rows)
    return 0


def _format(row: LeaderboardRow, column: str) -> str:
    value = row[column]  # type: ignore[literal-required]
    if value is None:
        return ""
    if column in TWO_DECIMALS:
        return f"{value:.2f}"
    if column == "win_rate":
        return f"{value:.4f}"
    return str(value)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m evaluators.ratings",
        description="Bradley-Terry and Elo leaderboard of a battle file (CSV or FastChat clean_battle JSON).",
    )
    parser.add_argument("battles_file", metavar="BATTLES_FILE")
    parser.add_argument("--bootstrap", type=int, default=100, metavar="N", help="bootstrap rounds (default 100)")
    parser.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
    parser.add_argument("--anchor", metavar="MODEL", help="fix this model's rating instead of a mean of 1000")
    parser.add_argument("--anchor-rating", type=float, default=1000.0, metavar="R", help="the anchor's rating")
    parser.add_argument("--style-control", action="store_true", help="add style-controlled columns")
    return parser
