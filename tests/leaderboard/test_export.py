"""export_battles: FastChat clean_battle JSON with each side's conversation, and a lossless round trip."""

import io
import json

import pytest
from django.core.management import call_command

from arena.models import Conversation, ImportedBattle, PairCount, Vote
from arena.services import votes

pytestmark = pytest.mark.django_db

CLEAN_BATTLE = [
    {"model_a": "gpt-x", "model_b": "claude-y", "winner": "model_b", "tstamp": 1_700_000_000.5, "anony": True,
     "conversation_a": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}],
     "conversation_b": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hey there"}]},
    {"model_a": "gpt-x", "model_b": "claude-y", "winner": "tie", "tstamp": 1_700_000_100.0, "anony": False},
    {"model_a": "gpt-x", "model_b": "claude-y", "winner": "tie", "tstamp": 1_700_000_100.0, "anony": False},
    {"model_a": "claude-y", "model_b": "llama-z", "winner": "tie (bothbad)", "tstamp": None, "anony": None},
]


def export(*args: str) -> list[dict]:
    out = io.StringIO()
    call_command("export_battles", *args, stdout=out, stderr=io.StringIO())
    return json.loads(out.getvalue())


@pytest.fixture
def trio(llm) -> list[str]:
    for slug in ("alpha", "beta", "gamma"):
        llm(slug)
    return ["alpha", "beta", "gamma"]


def test_a_vote_exports_with_each_sides_conversation_as_messages(trio, voted) -> None:
    _, turns = voted(trio[:2], replies=[["Paris.", "Lyon."], ["Yes, 2.1 million.", None], ["Bye!", "Goodbye."]])
    vote = votes.cast_vote(turns[2], "A", "voter")
    (battle,) = export()
    assert {k: battle[k] for k in ("model_a", "model_b", "winner", "anony")} == {
        "model_a": "alpha", "model_b": "beta", "winner": "model_a", "anony": True,
    }
    assert battle["tstamp"] == pytest.approx(vote.created.timestamp())
    assert battle["conversation_a"] == [
        {"role": "user", "content": "question 0"}, {"role": "assistant", "content": "Paris."},
        {"role": "user", "content": "question 1"}, {"role": "assistant", "content": "Yes, 2.1 million."},
        {"role": "user", "content": "question 2"}, {"role": "assistant", "content": "Bye!"},
    ]
    # beta's second answer failed: that exchange is left out of its side, as its window left it out.
    assert battle["conversation_b"] == [
        {"role": "user", "content": "question 0"}, {"role": "assistant", "content": "Lyon."},
        {"role": "user", "content": "question 2"}, {"role": "assistant", "content": "Goodbye."},
    ]


def test_a_vote_on_an_early_turn_exports_the_conversation_up_to_that_turn(trio, voted) -> None:
    _, turns = voted(trio[:2], replies=[["one", "uno"], ["two", "dos"]])
    votes.cast_vote(turns[0], "tie", "voter")
    (battle,) = export()
    assert battle["winner"] == "tie"
    assert battle["conversation_b"] == [{"role": "user", "content": "question 0"},
                                        {"role": "assistant", "content": "uno"}]


def test_a_best_of_three_vote_exports_as_it_was_counted(trio, voted) -> None:
    _, (turn,) = voted(trio, mode=Conversation.Mode.NAMED)
    votes.cast_vote(turn, "best:B", "voter")
    exported = [(b["model_a"], b["model_b"], b["winner"], b["anony"]) for b in export()]
    assert exported == [("beta", "alpha", "model_a", False), ("beta", "gamma", "model_a", False)]
    counted = PairCount.objects.values_list("model_a", "model_b", "outcome", "count")
    assert sorted(counted) == [("beta", "alpha", "model_a", 1), ("beta", "gamma", "model_a", 1)]
    assert export("--source", "human") == []


def test_flagged_votes_are_exported_only_on_request(trio, voted) -> None:
    _, (turn,) = voted(trio[:2])
    votes.cast_vote(turn, "B", "voter")
    Vote.objects.update(flagged=True)
    assert export() == []
    assert [b["winner"] for b in export("--source", "human_flagged")] == ["model_b"]


def test_imported_battles_round_trip_unchanged(battle_file, tmp_path) -> None:
    call_command("import_battles", str(battle_file(json.dumps(CLEAN_BATTLE), "in.json")), stdout=io.StringIO())
    keys = list(ImportedBattle.objects.order_by("pk").values_list("key", flat=True))
    out = tmp_path / "out.json"
    call_command("export_battles", "--source", "imported", "--out", str(out), stderr=io.StringIO())
    assert json.loads(out.read_text()) == CLEAN_BATTLE
    ImportedBattle.objects.all().delete()
    call_command("import_battles", str(out), stdout=io.StringIO())
    assert list(ImportedBattle.objects.order_by("pk").values_list("key", flat=True)) == keys


def test_export_mixes_votes_and_imports_in_time_order(trio, voted, battle_file) -> None:
    call_command("import_battles", str(battle_file(json.dumps(CLEAN_BATTLE), "in.json")), stdout=io.StringIO())
    _, (turn,) = voted(trio[:2])
    votes.cast_vote(turn, "A", "voter")
    exported = export()
    assert [b["model_a"] for b in exported] == ["gpt-x", "gpt-x", "gpt-x", "alpha", "claude-y"]
    assert [b["tstamp"] for b in exported][-1] is None
