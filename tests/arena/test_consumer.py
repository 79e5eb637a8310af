"""The arena WebSocket protocol, over Channels' WebsocketCommunicator with scripted contestants."""

import json

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from arena.models import LLM, Answer, PairCount, Vote
from tests.arena.conftest import by_type, new_session_key, play_turn, scripted

pytestmark = [pytest.mark.django_db(transaction=True)]

db = database_sync_to_async


async def battle(client, mode: str = "anonymous", models: list[str] | None = None, **extra) -> dict:
    message = {"type": "start", "mode": mode, **extra}
    if models:
        message["models"] = models
    return await client.request(message, "started")


async def test_anonymous_battle_streams_both_then_reveals_on_vote(connect) -> None:
    await db(scripted)("alpha", "First says hello to you.")
    await db(scripted)("beta", "Second greets you warmly today.")
    client = await connect()
    started = await battle(client)
    assert [p["label"] for p in started["participants"]] == ["A", "B"]
    assert all(p["name"] is None for p in started["participants"])

    frames = await play_turn(client)
    tokens = by_type(frames, "token")
    assert {t["label"] for t in tokens} == {"A", "B"}
    assert len(tokens) >= 8  # word by word, not one blob
    done = {f["label"]: f for f in by_type(frames, "answer_done")}
    assert set(done) == {"A", "B"}
    texts = {"".join(t["text"] for t in tokens if t["label"] == label) for label in "AB"}
    assert texts == {"First says hello to you.", "Second greets you warmly today."}

    reveal = await client.request({"type": "vote", "turn": 0, "winner": "A"}, "reveal")
    names = {p["label"]: p["name"] for p in reveal["participants"]}
    assert set(names.values()) == {"Model Alpha", "Model Beta"}
    winner_slug = "alpha" if names["A"] == "Model Alpha" else "beta"
    counts = await db(lambda: list(PairCount.objects.values_list("source", "model_a", "outcome", "count")))()
    assert counts == [("human", winner_slug, "model_a", 1)]


async def test_no_model_identity_reaches_the_browser_before_the_vote(connect, client) -> None:
    llms = [await db(scripted)("alpha", "One two three."), await db(scripted)("beta", "Four five six.")]
    ws = await connect()
    started = await battle(ws)
    await play_turn(ws)
    await play_turn(ws, "And again?")
    secrets = [s.lower() for llm in llms for s in (llm.name, llm.slug, *llm.aliases.split(","))]
    before_vote = json.dumps(ws.frames).lower()
    assert not [s for s in secrets if s in before_vote]
    page = (await db(client.get)(f"/conversations/{started['conversation']}/")).content.decode().lower()
    arena = (await db(client.get)("/")).content.decode().lower()
    assert not [s for s in secrets if s in page or s in arena]
    reveal = await ws.request({"type": "vote", "winner": "tie"}, "reveal")
    assert "model alpha" in json.dumps(reveal).lower()


async def test_one_failing_model_leaves_the_other_streaming_and_can_be_retried(connect) -> None:
    await db(scripted)("good", "A fine and complete answer here.")
    broken = await db(scripted)("broken", "This will break midway through the answer.", fail_after_tokens=2,
                                error="upstream returned 500")
    client = await connect()
    started = await battle(client, "named", ["good", "broken"])
    frames = await play_turn(client)
    failed = by_type(frames, "answer_failed")
    assert [f["label"] for f in failed] == ["B"] and "upstream returned 500" in failed[0]["error"]
    assert [f["label"] for f in by_type(frames, "answer_done")] == ["A"]
    statuses = await db(lambda: dict(Answer.objects.values_list("participant__llm__slug", "status")))()
    assert statuses == {"good": "done", "broken": "failed"}

    broken.script = json.dumps({"text": "Recovered answer.", "tokens_per_second": 500})
    await db(broken.save)()
    await client.request({"type": "retry", "label": "B"}, "turn_done")
    frames = client.frames
    assert by_type(frames, "answer_done")[-1]["label"] == "B"
    answer = await db(lambda: Answer.objects.get(participant__llm__slug="broken"))()
    assert (answer.status, answer.text, answer.attempts) == ("done", "Recovered answer.", 2)
    assert started["mode"] == "named"


async def test_a_second_vote_on_a_turn_is_refused(connect) -> None:
    await db(scripted)("alpha")
    await db(scripted)("beta")
    client = await connect()
    await battle(client)
    await play_turn(client)
    await client.request({"type": "vote", "turn": 0, "winner": "B"}, "reveal")
    error = await client.request({"type": "vote", "turn": 0, "winner": "A"}, "error")
    assert error["code"] == "already_voted" and "one vote per turn" in error["message"]
    assert await db(Vote.objects.count)() == 1
    assert await db(lambda: Vote.objects.get().winner)() == "B"


async def test_stop_cancels_every_running_answer(connect) -> None:
    long_text = " ".join(f"word{i}" for i in range(400))
    await db(scripted)("slow1", long_text, tokens_per_second=20)
    await db(scripted)("slow2", long_text, tokens_per_second=20)
    client = await connect()
    await battle(client, "named", ["slow1", "slow2"])
    await client.send({"type": "prompt", "text": "Go"})
    await client.until("token")
    await client.send({"type": "stop"})
    frames = await client.until("turn_done")
    assert frames[-1]["stopped"] is True
    assert {f["label"] for f in by_type(frames, "answer_stopped")} == {"A", "B"}
    answers = await db(lambda: list(Answer.objects.values_list("status", "text", "finish_reason")))()
    assert all(status == "stopped" and 0 < len(text.split()) < 400 and reason == "cancelled"
               for status, text, reason in answers)
    # The conversation goes on after a stop.
    frames = await play_turn(client, "Shorter please")
    assert len(by_type(frames, "turn_done")) == 1


async def test_refused_prompts_lose_nothing(connect, settings) -> None:
    settings.ARENA_MAX_PROMPT_CHARS = 50
    await db(scripted)("alpha")
    await db(scripted)("beta")
    client = await connect()
    await battle(client)
    await play_turn(client, "first")
    for text, code in [("", "empty_prompt"), ("   ", "empty_prompt"), ("x" * 51, "too_long")]:
        error = await client.request({"type": "prompt", "text": text}, "error")
        assert error["code"] == code
    assert "50" in error["message"] and "51" in error["message"]
    assert await db(Answer.objects.filter(status="done").count)() == 2
    frames = await play_turn(client, "second")
    assert len(by_type(frames, "answer_done")) == 2


async def test_turn_and_rate_limits_refuse_with_clear_messages(connect, settings) -> None:
    await db(scripted)("alpha")
    await db(scripted)("beta")
    settings.ARENA_MAX_TURNS = 1
    client = await connect()
    await battle(client)
    await play_turn(client)
    error = await client.request({"type": "prompt", "text": "more"}, "error")
    assert error["code"] == "too_many_turns" and "1 turns" in error["message"]
    settings.ARENA_MAX_TURNS, settings.ARENA_PROMPTS_PER_MINUTE = 50, 1
    error = await client.request({"type": "prompt", "text": "more"}, "error")
    assert error["code"] == "rate_limited"


async def test_protocol_errors(connect) -> None:
    await db(scripted)("alpha")
    client = await connect()
    assert (await client.request({"type": "dance"}, "error"))["code"] == "unknown_type"
    assert (await client.request({"type": "prompt", "text": "hi"}, "error"))["code"] == "no_conversation"
    error = await client.request({"type": "start", "mode": "anonymous"}, "error")
    assert error["code"] == "no_models" and "two enabled models" in error["message"]
    error = await client.request({"type": "start", "mode": "named", "models": ["alpha", "ghost"]}, "error")
    assert error["code"] == "bad_models" and "ghost" in error["message"]
    error = await client.request({"type": "start", "mode": "named", "models": ["alpha"]}, "error")
    assert error["code"] == "bad_models"


async def test_named_three_way_best_of_vote_counts_each_pair(connect) -> None:
    for n, slug in enumerate(("one", "two", "three")):
        await db(scripted)(slug, f"Answer number {n}.")
    client = await connect()
    started = await battle(client, "named", ["one", "two", "three"], params={"temperature": 0.3, "max_new_tokens": 20})
    assert [(p["label"], p["name"]) for p in started["participants"]] == [
        ("A", "Model One"), ("B", "Model Two"), ("C", "Model Three")]
    frames = await play_turn(client)
    assert len(by_type(frames, "answer_done")) == 3
    error = await client.request({"type": "vote", "winner": "A"}, "error")
    assert error["code"] == "bad_vote"
    await client.request({"type": "vote", "winner": "best:B"}, "reveal")
    rows = await db(lambda: sorted(PairCount.objects.values_list("source", "model_a", "model_b", "outcome")))()
    assert rows == [("human_named", "two", "one", "model_a"), ("human_named", "two", "three", "model_a")]
    params = await db(lambda: Answer.objects.filter(participant__llm__slug="one").get().params)()
    assert params["temperature"] == 0.3 and params["max_new_tokens"] == 20


async def test_an_answer_naming_its_model_flags_the_vote(connect) -> None:
    await db(scripted)("alpha", "I am alphacorp's assistant.")
    await db(scripted)("beta", "Just an answer.")
    client = await connect()
    await battle(client)
    await play_turn(client)
    reveal = await client.request({"type": "vote", "winner": "tie"}, "reveal")
    assert reveal["flagged"] is True
    assert await db(lambda: list(PairCount.objects.values_list("source", flat=True)))() == ["human_flagged"]


async def test_model_output_is_sanitized_when_rendered(connect) -> None:
    payload = 'Hi <script>alert(1)</script> <img src=x onerror="alert(2)"> [click](javascript:alert(3)) **bold**'
    await db(scripted)("evil", payload)
    await db(scripted)("plain", "Plain text.")
    client = await connect()
    await battle(client, "named", ["evil", "plain"])
    frames = await play_turn(client)
    html = next(f["html"] for f in by_type(frames, "answer_done") if f["label"] == "A")
    assert "<strong>bold</strong>" in html
    # Raw HTML and the javascript: link survive only as escaped, inert text.
    assert "<script" not in html and "<img" not in html and 'href="javascript' not in html
    assert "&lt;script&gt;" in html


async def test_multi_turn_windows_and_stored_prompts(connect) -> None:
    await db(scripted)("alpha", "Reply.")
    await db(scripted)("beta", "Other reply.")
    client = await connect()
    await battle(client, "named", ["alpha", "beta"], window="last_n", window_n=2)
    for text in ("first question", "second question", "third question"):
        await play_turn(client, text)
    answer = await db(lambda: Answer.objects.get(participant__llm__slug="alpha", turn__index=2))()
    assert answer.kept_turns == [1, 2]
    assert "second question" in answer.prompt_text and "first question" not in answer.prompt_text
    assert answer.prompt_text.endswith("<|im_start|>user\nthird question<|im_end|>\n<|im_start|>assistant\n")
    assert answer.prompt_format == "chatml" and answer.completion_tokens == 1


async def test_a_prompt_too_long_for_one_model_fails_only_that_column(connect) -> None:
    await db(scripted)("roomy", "Fits fine.")
    tiny = await db(scripted)("tiny", "Never sent.")
    tiny.context_length = 20
    await db(tiny.save)()
    client = await connect()
    await battle(client, "named", ["roomy", "tiny"])
    frames = await play_turn(client, "a long question " * 20)
    failed = by_type(frames, "answer_failed")
    assert [f["label"] for f in failed] == ["B"] and "does not fit" in failed[0]["error"]
    assert [f["label"] for f in by_type(frames, "answer_done")] == ["A"]


async def test_socket_without_session_or_from_a_foreign_origin_is_refused(connect) -> None:
    from arena.asgi import application

    no_session = WebsocketCommunicator(application, "/ws/arena/", headers=[(b"origin", b"http://testserver")])
    connected, _ = await no_session.connect()
    assert not connected
    # A real session, so only the origin can be what refuses the socket; the same session from the
    # arena's own origin connects.
    cookie = f"sessionid={await db(new_session_key)()}".encode()
    foreign = WebsocketCommunicator(
        application, "/ws/arena/", headers=[(b"origin", b"http://evil.example"), (b"cookie", cookie)]
    )
    connected, _ = await foreign.connect()
    assert not connected
    own = WebsocketCommunicator(
        application, "/ws/arena/", headers=[(b"origin", b"http://testserver"), (b"cookie", cookie)]
    )
    connected, _ = await own.connect()
    assert connected
    await own.disconnect()
    assert await db(LLM.objects.count)() == 0


async def test_a_made_up_session_cookie_is_refused() -> None:
    from arena.asgi import application

    headers = [(b"origin", b"http://testserver"), (b"cookie", b"sessionid=abcdefghijklmnopqrstuvwxyz012345")]
    forged = WebsocketCommunicator(application, "/ws/arena/", headers=headers)
    connected, code = await forged.connect()
    assert not connected and code == 4401
