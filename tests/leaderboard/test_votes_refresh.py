"""A vote updates the counts in its own transaction; the debounced refresh stores a snapshot from the counts."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from arena import tasks
from arena.models import Conversation, LeaderboardSnapshot, PairCount, Vote
from arena.services import leaderboard, votes
from arena.services.conversations import ArenaError
from arena.services.leaderboard import Filters

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(llm) -> list[str]:
    llm("alpha", license="apache-2.0", commercial=True)
    llm("beta", license="llama3")
    return ["alpha", "beta"]


def counts() -> dict[tuple[str, str, str, str], int]:
    rows = PairCount.objects.values_list("source", "model_a", "model_b", "outcome", "count")
    return {row[:4]: row[4] for row in rows}


def test_a_vote_adds_to_its_pair_count_for_today(pair, voted) -> None:
    _, (turn,) = voted(pair)
    votes.cast_vote(turn, "B", "voter-1")
    assert counts() == {("human", "alpha", "beta", "model_b"): 1}
    assert PairCount.objects.get().day == timezone.now().date()
    _, (turn,) = voted(pair)
    votes.cast_vote(turn, "bothbad", "voter-2")
    _, (turn,) = voted(pair)
    votes.cast_vote(turn, "B", "voter-3")
    assert counts() == {("human", "alpha", "beta", "model_b"): 2, ("human", "alpha", "beta", "tie (bothbad)"): 1}


def test_named_votes_count_under_their_own_source(pair, voted) -> None:
    _, (turn,) = voted(pair, mode=Conversation.Mode.NAMED)
    votes.cast_vote(turn, "A", "voter")
    assert counts() == {("human_named", "alpha", "beta", "model_a"): 1}


def test_a_refused_vote_leaves_the_counts_alone(pair, voted) -> None:
    _, (turn,) = voted(pair)
    votes.cast_vote(turn, "A", "voter")
    with pytest.raises(ArenaError, match="one vote per turn"):
        votes.cast_vote(turn, "B", "voter")
    assert counts() == {("human", "alpha", "beta", "model_a"): 1}


def test_vote_and_counts_commit_together_or_not_at_all(pair, voted, monkeypatch) -> None:
    _, (turn,) = voted(pair)

    def broken(*args: object) -> None:
        raise RuntimeError("count table unavailable")

    monkeypatch.setattr(votes, "count_battles", broken)
    with pytest.raises(RuntimeError):
        votes.cast_vote(turn, "A", "voter")
    assert not Vote.objects.exists()
    assert not PairCount.objects.exists()


def test_votes_request_one_debounced_refresh(pair, voted, queued_refreshes) -> None:
    for voter in ("v1", "v2", "v3"):
        _, (turn,) = voted(pair)
        votes.cast_vote(turn, "A", voter)
    assert queued_refreshes == [{"countdown": 3600}]
    tasks.refresh_leaderboards()
    _, (turn,) = voted(pair)
    votes.cast_vote(turn, "A", "v4")
    assert len(queued_refreshes) == 2


def test_the_refresh_task_stores_a_snapshot_per_source_without_reading_votes(pair, voted) -> None:
    for winner in ("A", "A", "B", "tie"):
        _, (turn,) = voted(pair)
        votes.cast_vote(turn, winner, "voter")
    with CaptureQueriesContext(connection) as queries:
        tasks.refresh_leaderboards()
    assert not [q["sql"] for q in queries.captured_queries if "arena_vote" in q["sql"]]
    snapshot = LeaderboardSnapshot.objects.get(source="human")
    assert snapshot.votes == 4
    assert [(row["model"], row["votes"], row["wins"], row["losses"], row["ties"]) for row in snapshot.rows] == [
        ("alpha", 4, 2, 1, 1), ("beta", 4, 1, 2, 1),
    ]
    assert snapshot.rows[0]["license"] == "apache-2.0"
    assert snapshot.extra["win_rate"] == [["alpha", "beta"], [[None, 0.625], [0.375, None]]]
    assert {s.source: s.votes for s in LeaderboardSnapshot.objects.all()} == {"human": 4, "judge": 0, "imported": 0}


def test_a_refresh_skips_sources_with_no_new_battles(pair, voted) -> None:
    tasks.refresh_leaderboards()
    assert LeaderboardSnapshot.objects.count() == 3
    tasks.refresh_leaderboards()
    assert LeaderboardSnapshot.objects.count() == 3
    _, (turn,) = voted(pair)
    votes.cast_vote(turn, "A", "voter")
    tasks.refresh_leaderboards()
    sources = LeaderboardSnapshot.objects.values_list("source", flat=True)
    assert sorted(sources) == ["human", "human", "imported", "judge"]
    assert LeaderboardSnapshot.objects.filter(source="human").first().votes == 1


def test_the_page_shows_the_snapshot_time_and_its_vote_count(client, pair, voted) -> None:
    _, (turn,) = voted(pair)
    votes.cast_vote(turn, "A", "voter")
    snapshot = leaderboard.refresh("human")
    _, (turn,) = voted(pair)
    votes.cast_vote(turn, "A", "voter")  # after the snapshot: shown on the next refresh
    page = client.get(reverse("leaderboard")).content.decode()
    assert f"Computed {timezone.localtime(snapshot.created):%Y-%m-%d %H:%M:%S} UTC" in page
    assert '<span data-testid="vote-count">1</span> battles' in page
    leaderboard.refresh("human")
    assert '<span data-testid="vote-count">2</span> battles' in client.get(reverse("leaderboard")).content.decode()


def test_elo_replays_a_day_interleaved_not_cell_by_cell(llm, counted) -> None:
    llm("alpha")
    llm("beta")
    counted("human", date(2026, 3, 1), "alpha", "beta", model_a=1500, model_b=500)
    elo = leaderboard.elo_for(Filters())
    # Replayed cell by cell (1,500 wins, then 500 losses) beta would end about 480 points ahead.
    assert 100 < elo["alpha"] - elo["beta"] < 300
    assert elo["alpha"] + elo["beta"] == pytest.approx(2000)
    assert leaderboard.elo_for(Filters()) == elo


def test_a_model_with_one_battle_is_shown_with_a_wide_interval(llm, counted) -> None:
    for slug in ("alpha", "beta", "gamma", "newcomer"):
        llm(slug)
    counted("human", date(2026, 3, 1), "alpha", "beta", model_a=60, model_b=40, tie=10)
    counted("human", date(2026, 3, 1), "beta", "gamma", model_a=50, model_b=45)
    counted("human", date(2026, 3, 1), "gamma", "alpha", model_a=30, model_b=70)
    counted("human", date(2026, 3, 2), "newcomer", "gamma", model_a=1)
    rows = {row["model"]: row for row in leaderboard.compute(Filters()).rows}
    width = {model: row["ci_upper"] - row["ci_lower"] for model, row in rows.items()}
    assert rows["newcomer"]["votes"] == 1
    assert width["newcomer"] > 3 * max(width["alpha"], width["beta"], width["gamma"])
    assert all(row["ci_lower"] <= row["rating"] <= row["ci_upper"] for row in rows.values())


def test_models_that_never_met_the_others_do_not_break_the_fit(llm, counted) -> None:
    counted("human", date(2026, 3, 1), "alpha", "beta", model_a=3)
    counted("human", date(2026, 3, 1), "island-1", "island-2", tie=1)
    rows = leaderboard.compute(Filters()).rows
    assert sorted(row["model"] for row in rows) == ["alpha", "beta", "island-1", "island-2"]
    assert all(row["ci_lower"] < row["ci_upper"] for row in rows)
