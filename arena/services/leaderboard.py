"""Leaderboards from the stored per-pair counts: snapshots for pages, fits on request for filters.

A refresh reads `PairCount` (kept in step with every vote, verdict and import), never the votes.
"""

import csv
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import IO

import numpy as np
from django.db.models import QuerySet, Sum
from django.utils import timezone

from arena.models import LLM, LeaderboardSnapshot, PairCount
from evaluators.ratings import (
    Counts,
    battle_count_matrix,
    leaderboard_from_counts,
    predicted_win_rate_matrix,
    win_rate_matrix,
)
from evaluators.ratings_battle import WINNER_CODES, EncodedBattles
from evaluators.ratings_cli import COLUMNS as RATING_COLUMNS
from evaluators.ratings_cli import TWO_DECIMALS
from evaluators.ratings_elo import online_elo_encoded

SOURCES = {
    "human": ["human"],
    "judge": ["judge"],
    "imported": ["imported"],
}
OUTCOME_COLUMN = {"model_a": 0, "model_b": 1, "tie": 2, "tie (bothbad)": 3}
HISTORY_POINTS = 30
# The command line's columns (python -m evaluators.ratings), then the registry's licensing.
CSV_COLUMNS = [*RATING_COLUMNS, "license", "commercial_use"]
ELO_SHUFFLE_SEED = 0


class FilterError(ValueError):
    """A filter value that cannot be used; the message says which values are accepted."""


@dataclass(frozen=True)
class Filters:
    source: str = "human"
    include_named: bool = False
    include_flagged: bool = False
    date_from: date | None = None
    date_to: date | None = None
    commercial_only: bool = False
    bootstrap_rounds: int = 100

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> "Filters":
        """Filters from query parameters (source, from, to, named, flagged, commercial); 1 turns a flag on."""
        source = params.get("source") or "human"
        if source not in SOURCES:
            raise FilterError(f"Unknown source {source!r}; choose {', '.join(SOURCES)}.")
        date_from, date_to = _date(params.get("from"), "from"), _date(params.get("to"), "to")
        if date_from and date_to and date_from > date_to:
            raise FilterError(f"The range starts ({date_from}) after it ends ({date_to}); swap from and to.")
        return cls(
            source=source,
            include_named=_flag(params.get("named"), "named"),
            include_flagged=_flag(params.get("flagged"), "flagged"),
            date_from=date_from,
            date_to=date_to,
            commercial_only=_flag(params.get("commercial"), "commercial"),
        )

    def is_default(self) -> bool:
        return self == Filters(source=self.source)

    def sources(self) -> list[str]:
        if self.source not in SOURCES:
            raise FilterError(f"Unknown source {self.source!r}; choose {', '.join(SOURCES)}.")
        extra = [("human_named", self.include_named), ("human_flagged", self.include_flagged)]
        return SOURCES[self.source] + [name for name, on in extra if on and self.source == "human"]


def _date(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise FilterError(f"Dates are YYYY-MM-DD; {name}={value!r} is not one.") from None


def _flag(value: str | None, name: str) -> bool:
    if value in (None, "", "0"):
        return False
    if value == "1":
        return True
    raise FilterError(f"{name} is 1 (on) or 0 (off), not {value!r}.")


@dataclass
class Board:
    rows: list[dict]
    votes: int
    extra: dict = field(default_factory=dict)
    created: datetime | None = None


def _count_rows(filters: Filters) -> QuerySet[PairCount]:
    rows = PairCount.objects.filter(source__in=filters.sources())
    if filters.date_from:
        rows = rows.filter(day__gte=filters.date_from)
    if filters.date_to:
        rows = rows.filter(day__lte=filters.date_to)
    if filters.commercial_only:
        allowed = list(LLM.objects.filter(commercial_use=True).values_list("slug", flat=True))
        rows = rows.filter(model_a__in=allowed, model_b__in=allowed)
    return rows


def counts_for(filters: Filters) -> Counts:
    cells: dict[tuple[str, str], list[int]] = {}
    summed = _count_rows(filters).values("model_a", "model_b", "outcome").annotate(n=Sum("count"))
    for row in summed:
        cells.setdefault((row["model_a"], row["model_b"]), [0, 0, 0, 0])[OUTCOME_COLUMN[row["outcome"]]] += row["n"]
    return Counts.from_records([(a, b, *c) for (a, b), c in cells.items() if any(c)])


def elo_for(filters: Filters) -> dict[str, float]:
    """Online Elo replayed day by day.

    The counts keep the day, not the second, of each battle. Replayed cell by cell, a day's wins of
    one side would all come before its losses and drag the ratings one way then back; a fixed
    shuffle within each day replays them as interleaved as they most likely were.
    """
    cells = list(
        _count_rows(filters)
        .filter(count__gt=0)
        .order_by("day", "model_a", "model_b", "outcome")
        .values_list("day", "model_a", "model_b", "outcome", "count")
    )
    if not cells:
        return {}
    models = tuple(sorted({name for cell in cells for name in cell[1:3]}))
    index = {name: i for i, name in enumerate(models)}
    repeats = np.array([cell[4] for cell in cells], dtype=np.int64)

    def column(values: list[int], dtype: type) -> np.ndarray:
        return np.repeat(np.array(values, dtype=dtype), repeats)

    day = column([cell[0].toordinal() for cell in cells], np.int64)
    order = np.lexsort((np.random.default_rng(ELO_SHUFFLE_SEED).random(len(day)), day))
    battles = EncodedBattles(
        models,
        column([index[cell[1]] for cell in cells], np.int32)[order],
        column([index[cell[2]] for cell in cells], np.int32)[order],
        column([WINNER_CODES[cell[3]] for cell in cells], np.int8)[order],
    )
    return online_elo_encoded(battles)


def licenses() -> dict[str, tuple[str, bool]]:
    return {
        slug: (lic, commercial)
        for slug, lic, commercial in LLM.objects.values_list("slug", "license", "commercial_use")
    }


def compute(filters: Filters) -> Board:
    """A fresh fit. Models with few battles stay in, with their count and a wide interval."""
    counts = counts_for(filters)
    if not counts.total:
        return Board(rows=[], votes=0, created=timezone.now())
    rows = [dict(r) for r in leaderboard_from_counts(counts, filters.bootstrap_rounds, seed=0, elo=elo_for(filters))]
    known = licenses()
    for row in rows:
        row["license"], row["commercial_use"] = known.get(row["model"], ("", False))
    order = [row["model"] for row in rows]
    extra = {
        "win_rate": win_rate_matrix(counts, order),
        "battles": battle_count_matrix(counts, order),
        "predicted": predicted_win_rate_matrix({r["model"]: r["rating"] for r in rows}, order),
    }
    return Board(rows=rows, votes=counts.total, extra=extra, created=timezone.now())


def refresh(source: str) -> LeaderboardSnapshot:
    filters = Filters(source=source)
    board = compute(filters)
    return LeaderboardSnapshot.objects.create(
        source=source, filters=asdict(filters), rows=board.rows, extra=board.extra, votes=board.votes
    )


def refresh_all() -> list[LeaderboardSnapshot]:
    """A new snapshot for each source whose counts changed since its latest one.

    Counts only grow, so an unchanged total means nothing to refit: a vote does not refit a million
    imported battles, and the rating-over-time chart gets no flat duplicate points.
    """
    return [refresh(source) for source in SOURCES if _changed_since_snapshot(source)]


def _changed_since_snapshot(source: str) -> bool:
    latest = LeaderboardSnapshot.objects.filter(source=source).only("votes").first()
    total = _count_rows(Filters(source=source)).aggregate(n=Sum("count"))["n"] or 0
    return latest is None or latest.votes != total


def board(filters: Filters) -> Board:
    """The latest snapshot for default filters (computed once if none exists); a fresh fit otherwise."""
    if not filters.is_default():
        return compute(filters)
    snapshot = LeaderboardSnapshot.objects.filter(source=filters.source).first() or refresh(filters.source)
    return Board(rows=snapshot.rows, votes=snapshot.votes, extra=snapshot.extra, created=snapshot.created)


def history(source: str) -> dict[str, list[tuple[str, float]]]:
    """Each model's rating in the latest snapshots, oldest first, for the rating-over-time chart."""
    latest = LeaderboardSnapshot.objects.filter(source=source).order_by("-created").only("created", "rows")
    snapshots = list(latest[:HISTORY_POINTS])  # not `extra`: three N x N matrices each
    series: dict[str, list[tuple[str, float]]] = {}
    for snapshot in reversed(snapshots):
        for row in snapshot.rows:
            series.setdefault(row["model"], []).append((snapshot.created.isoformat(), row["rating"]))
    return series


def write_csv(rows: list[dict], out: IO[str]) -> None:
    """The rows as CSV: the command line's columns and number formats, then license and commercial use."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows([_csv_cell(row, column) for column in CSV_COLUMNS] for row in rows)


def _csv_cell(row: dict, column: str) -> str:
    value = row.get(column)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if column in TWO_DECIMALS:
        return f"{value:.2f}"
    if column == "win_rate":
        return f"{value:.4f}"
    return str(value)
