"""import_battles: idempotent, all or nothing, counted by day, and the same ratings as the command line."""

import csv
import io
import json
from datetime import UTC, date, datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Sum
from django.utils import timezone

from arena.models import ImportedBattle, LeaderboardSnapshot, PairCount
from arena.services import leaderboard
from arena.services.battle_import import import_battles
from arena.services.leaderboard import Filters
from evaluators.battles_io import Battle
from evaluators.ratings_cli import main as ratings_cli

pytestmark = pytest.mark.django_db

DAY1 = datetime(2026, 3, 1, 12, tzinfo=UTC).timestamp()
DAY2 = datetime(2026, 3, 2, 23, 59, tzinfo=UTC).timestamp()
GOOD_CSV = (
    "model_a,model_b,winner,tstamp,anony\n"
    f"alpha,beta,model_a,{DAY1},true\n"
    f"alpha,beta,model_a,{DAY1},true\n"
    f"beta,gamma,tie,{DAY1},false\n"
    f"gamma,alpha,tie (bothbad),{DAY2},\n"
    f"alpha,gamma,model_b,{DAY2},true\n"
)


def stored_counts(source: str = "imported") -> dict[tuple, int]:
    rows = PairCount.objects.filter(source=source).values_list("day", "model_a", "model_b", "outcome", "count")
    return {row[:4]: row[4] for row in rows}


def run_import(path) -> str:
    out = io.StringIO()
    call_command("import_battles", str(path), stdout=out)
    return out.getvalue()


def test_importing_the_same_file_twice_adds_nothing(battle_file) -> None:
    path = battle_file(GOOD_CSV)
    first = run_import(path)
    counts, keys = stored_counts(), set(ImportedBattle.objects.values_list("key", flat=True))
    second = run_import(path)
    assert "5 battles read, 5 added, 0 already imported" in first
    assert "5 battles read, 0 added, 5 already imported" in second
    assert stored_counts() == counts
    assert set(ImportedBattle.objects.values_list("key", flat=True)) == keys


def test_identical_battles_in_a_file_are_kept_apart_by_their_occurrence(battle_file) -> None:
    run_import(battle_file(GOOD_CSV))
    run_import(battle_file(GOOD_CSV + f"alpha,beta,model_a,{DAY1},true\n", "more.csv"))
    assert ImportedBattle.objects.filter(model_a="alpha", model_b="beta").count() == 3
    assert stored_counts()[(date(2026, 3, 1), "alpha", "beta", "model_a")] == 3


def test_counts_go_to_the_imported_source_by_utc_day_of_the_time_stamp(battle_file) -> None:
    run_import(battle_file(GOOD_CSV))
    assert stored_counts() == {
        (date(2026, 3, 1), "alpha", "beta", "model_a"): 2,
        (date(2026, 3, 1), "beta", "gamma", "tie"): 1,
        (date(2026, 3, 2), "gamma", "alpha", "tie (bothbad)"): 1,
        (date(2026, 3, 2), "alpha", "gamma", "model_b"): 1,
    }
    assert not PairCount.objects.exclude(source="imported").exists()


def test_battles_without_time_stamp_count_today(battle_file) -> None:
    run_import(battle_file("model_a,model_b,winner\nalpha,beta,model_b\n"))
    assert stored_counts() == {(timezone.now().date(), "alpha", "beta", "model_b"): 1}
    assert ImportedBattle.objects.get().tstamp is None


def test_a_second_file_adds_to_existing_day_counts(battle_file) -> None:
    run_import(battle_file(GOOD_CSV))
    run_import(battle_file(f"model_a,model_b,winner,tstamp\nalpha,beta,model_a,{DAY1 + 60}\n", "later.csv"))
    assert stored_counts()[(date(2026, 3, 1), "alpha", "beta", "model_a")] == 3
    assert PairCount.objects.filter(model_a="alpha", model_b="beta", outcome="model_a").count() == 1


def test_clean_battle_json_keeps_the_conversation(battle_file) -> None:
    conversation_a = [{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "4"}]
    conversation_b = [{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "5"}]
    items = [
        {"model_a": "alpha", "model_b": "beta", "winner": "model_a", "tstamp": DAY1, "anony": True,
         "conversation_a": conversation_a, "conversation_b": conversation_b, "judge": "arena_user", "turn": 1},
    ]
    run_import(battle_file(json.dumps(items), "clean_battle.json"))
    stored = ImportedBattle.objects.get()
    assert (stored.model_a, stored.model_b, stored.winner, stored.anony) == ("alpha", "beta", "model_a", True)
    assert stored.conversation == {"conversation_a": conversation_a, "conversation_b": conversation_b}
    assert stored.source_file == "clean_battle.json"


def test_the_same_battles_as_csv_and_json_share_their_keys(battle_file) -> None:
    rows = list(csv.DictReader(io.StringIO(GOOD_CSV)))
    items = [
        {**row, "tstamp": float(row["tstamp"]), "anony": {"true": True, "false": False}.get(row["anony"])}
        for row in rows
    ]
    run_import(battle_file(GOOD_CSV))
    assert "0 added, 5 already imported" in run_import(battle_file(json.dumps(items), "same.json"))


BAD_INPUTS = [
    pytest.param("model_a,model_b,winner\nalpha,beta,model_a\nalpha,beta,model_c\n", ["row 2: unknown winner"],
                 id="unknown-winner"),
    pytest.param("model_a,model_b,winner\nalpha,alpha,tie\nbeta,gamma,tie\n", ["row 1: model 'alpha' battles itself"],
                 id="battles-itself"),
    pytest.param("", ["the file is empty"], id="empty-file"),
    pytest.param("model_a,model_b,winner\n", ["the file holds no battles"], id="header-only"),
    pytest.param("model_a,model_b,winner\nalpha,beta,model_a\nalpha,beta\nbeta,gamma,model_b,extra\n",
                 ["row 2: expected 3 fields", "row 3: expected 3 fields"], id="malformed-rows"),
    pytest.param("model_a,model_b,winner,tstamp\nalpha,beta,model_a,yesterday\n", ["row 1: tstamp must be a number"],
                 id="bad-tstamp"),
    pytest.param("model_a,winner\nalpha,model_a\n", ["the CSV header lacks model_b"], id="missing-column"),
]


@pytest.mark.parametrize(("text", "expected"), BAD_INPUTS)
def test_bad_input_is_reported_by_row_and_nothing_is_stored(battle_file, text: str, expected: list[str]) -> None:
    with pytest.raises(CommandError) as raised:
        run_import(battle_file(text))
    message = str(raised.value)
    assert "nothing was imported" in message
    assert all(part in message for part in expected), message
    assert not ImportedBattle.objects.exists()
    assert not PairCount.objects.exists()
    assert not LeaderboardSnapshot.objects.exists()


def test_bad_json_rows_are_numbered_and_nothing_is_stored(battle_file) -> None:
    items = [
        {"model_a": "alpha", "model_b": "beta", "winner": "model_a"},
        {"model_a": "alpha", "model_b": "beta", "winner": "A"},
        {"model_a": "beta", "model_b": "beta", "winner": "tie"},
        ["not", "an", "object"],
    ]
    with pytest.raises(CommandError) as raised:
        run_import(battle_file(json.dumps(items), "bad.json"))
    message = str(raised.value)
    assert "3 problem(s)" in message
    assert [line.split(":")[0].strip() for line in message.splitlines()[1:]] == ["row 2", "row 3", "row 4"]
    assert not ImportedBattle.objects.exists()


def test_a_bad_file_after_a_good_one_changes_nothing(battle_file) -> None:
    run_import(battle_file(GOOD_CSV))
    before = stored_counts(), ImportedBattle.objects.count()
    with pytest.raises(CommandError):
        run_import(battle_file(GOOD_CSV + "delta,epsilon,model_a\ndelta,delta,tie\n", "bad.csv"))
    assert (stored_counts(), ImportedBattle.objects.count()) == before


def test_a_name_too_long_for_the_database_is_reported_before_anything_is_written() -> None:
    battles = [Battle("alpha", "beta", "model_a"), Battle("x" * 201, "beta", "tie")]
    with pytest.raises(ValueError, match="row 2: model names are at most 200 characters"):
        import_battles(battles)
    assert not ImportedBattle.objects.exists()


def test_a_missing_file_is_a_command_error(tmp_path) -> None:
    with pytest.raises(CommandError, match="No such file"):
        run_import(tmp_path / "missing.csv")


def test_import_refreshes_the_imported_snapshot(battle_file) -> None:
    out = run_import(battle_file(GOOD_CSV))
    snapshot = LeaderboardSnapshot.objects.get(source="imported")
    assert snapshot.votes == 5
    assert {row["model"] for row in snapshot.rows} == {"alpha", "beta", "gamma"}
    assert "3 models from 5 battles" in out


def test_imported_ratings_match_the_command_line_on_the_same_file(battle_file, capsys) -> None:
    lines = ["model_a,model_b,winner,tstamp"]
    outcomes = ["model_a", "model_a", "model_b", "tie", "model_a", "tie (bothbad)", "model_b"]
    pairs = [("alpha", "beta"), ("beta", "gamma"), ("gamma", "alpha"), ("delta", "alpha"), ("delta", "gamma")]
    for i in range(140):
        a, b = pairs[i % len(pairs)]
        lines.append(f"{a},{b},{outcomes[i % len(outcomes)]},{DAY1 + 3600 * i}")
    path = battle_file("\n".join(lines) + "\n")
    run_import(path)
    capsys.readouterr()
    assert ratings_cli([str(path)]) == 0
    cli_rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    text = io.StringIO()
    leaderboard.write_csv(leaderboard.board(Filters(source="imported")).rows, text)
    ours = list(csv.DictReader(io.StringIO(text.getvalue())))
    same = ["rank", "model", "rating", "ci_lower", "ci_upper", "votes", "wins", "losses", "ties", "win_rate"]
    assert [{k: r[k] for k in same} for r in ours] == [{k: r[k] for k in same} for r in cli_rows]
    assert PairCount.objects.aggregate(n=Sum("count"))["n"] == 140
