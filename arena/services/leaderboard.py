"""Leaderboards from the stored per-pair counts: snapshots for pages, fits on request for filters."""

from dataclasses import asdict, dataclass, field
from datetime import date

from django.db.models import Sum
from django.utils import timezone

from arena.models import LLM, LeaderboardSnapshot, PairCount
from evaluators.ratings import (
    Counts,
    battle_count_matrix,
    leaderboard_from_counts,
    online_elo,
    predicted_win_rate_matrix,
    win_rate_matrix,
)

SOURCES = {
    "human": ["human"],
    "judge": ["judge"],
    "imported": ["imported"],
}
OUTCOME_COLUMN = {"model_a": 0, "model_b": 1, "tie": 2, "tie (bothbad)": 3}
HISTORY_POINTS = 30


@dataclass(frozen=True)
class Filters:
    source: str = "human"
    include_named: bool = False
    include_flagged: bool = False
    date_from: date | None = None
    date_to: date | None = None
    commercial_only: bool = False
    bootstrap_rounds: int = 100

    def is_default(self) -> bool:
        return self == Filters(source=self.source)

    def sources(self) -> list[str]:
        if self.source not in SOURCES:
            raise ValueError(f"Unknown source {self.source!r}; choose {', '.join(SOURCES)}.")
        extra = [("human_named", self.include_named), ("human_flagged", self.include_flagged)]
        return SOURCES[self.source] + [name for name, on in extra if on and self.source == "human"]


@dataclass
class Board:
    rows: list[dict]
    votes: int
    extra: dict = field(default_factory=dict)
    created: object = None


def _count_rows(filters: Filters):
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
    return Counts.from_records([(a, b, *c) for (a, b), c in cells.items()])


def elo_for(filters: Filters) -> dict[str, float]:
    """Online Elo replayed day by day (the counts keep the day, not the second, of each battle)."""
    battles = []
    for row in _count_rows(filters).order_by("day", "pk").values("model_a", "model_b", "outcome", "count"):
        battles += [(row["model_a"], row["model_b"], row["outcome"])] * row["count"]
    return online_elo(battles) if battles else {}


def licenses() -> dict[str, tuple[str, bool]]:
    return {
        slug: (lic, commercial)
        for slug, lic, commercial in LLM.objects.values_list("slug", "license", "commercial_use")
    }


def compute(filters: Filters) -> Board:
    counts = counts_for(filters)
    if not counts.total:
        return Board(rows=[], votes=0)
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
    return Board(rows=rows, votes=counts.total, extra=extra)


def refresh(source: str) -> LeaderboardSnapshot:
    filters = Filters(source=source)
    board = compute(filters)
    return LeaderboardSnapshot.objects.create(
        source=source, filters=asdict(filters), rows=board.rows, extra=board.extra, votes=board.votes
    )


def refresh_all() -> list[LeaderboardSnapshot]:
    return [refresh(source) for source in SOURCES]


def board(filters: Filters) -> Board:
    """The latest snapshot for default filters (computed once if none exists); a fresh fit otherwise."""
    if not filters.is_default():
        board = compute(filters)
        board.created = timezone.now()
        return board
    snapshot = LeaderboardSnapshot.objects.filter(source=filters.source).first() or refresh(filters.source)
    return Board(rows=snapshot.rows, votes=snapshot.votes, extra=snapshot.extra, created=snapshot.created)


def history(source: str) -> dict[str, list[tuple[str, float]]]:
    """Each model's rating in the latest snapshots, oldest first, for the rating-over-time chart."""
    snapshots = list(LeaderboardSnapshot.objects.filter(source=source).order_by("-created")[:HISTORY_POINTS])
    series: dict[str, list[tuple[str, float]]] = {}
    for snapshot in reversed(snapshots):
        for row in snapshot.rows:
            series.setdefault(row["model"], []).append((snapshot.created.isoformat(), row["rating"]))
    return series
