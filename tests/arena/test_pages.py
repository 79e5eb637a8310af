"""Transcript pages with the prompt inspector, exports, format detection, and the arena page itself."""

import pytest
from channels.db import database_sync_to_async

from arena.models import Conversation
from tests.arena.conftest import scripted

pytestmark = [pytest.mark.django_db(transaction=True)]
db = database_sync_to_async


async def finished_battle(connect, mode: str = "named", vote: str | None = None) -> str:
    client = await connect()
    message = {"type": "start", "mode": mode}
    if mode == "named":
        message["models"] = ["alpha", "beta"]
    started = await client.request(message, "started")
    for text in ("First question", "Second question"):
        await client.send({"type": "prompt", "text": text})
        await client.until("turn_done")
    if vote:
        await client.request({"type": "vote", "winner": vote}, "reveal")
    return started["conversation"]


@pytest.fixture
def two_models(db):
    return [scripted("alpha", "Answer **one**."), scripted("beta", "Answer two.")]


async def test_transcript_shows_exactly_what_each_model_was_sent(connect, client, two_models) -> None:
    conversation = await finished_battle(connect)
    page = (await db(client.get)(f"/conversations/{conversation}/")).content.decode()
    assert "Model Alpha" in page and "Model Beta" in page
    assert page.count("Show prompt") == 4
    assert "&lt;|im_start|&gt;user\nSecond question&lt;|im_end|&gt;" in page
    assert "<strong>one</strong>" in page
    assert "kept turns 0, 1" in page


async def test_anonymous_transcript_hides_names_and_prompts_until_the_vote(connect, client, two_models) -> None:
    conversation = await finished_battle(connect, mode="anonymous")
    page = (await db(client.get)(f"/conversations/{conversation}/")).content.decode()
    assert "Model Alpha" not in page and "Show prompt" not in page and "Model A" in page
    export = await db(client.get)(f"/conversations/{conversation}/export/openai.json")
    assert export.status_code == 404
    conv = await db(Conversation.objects.get)(pk=conversation)
    turn = await db(lambda: conv.turns.order_by("-index").first())()
    from arena.services.votes import cast_vote

    await db(cast_vote)(turn, "A", "someone")
    page = (await db(client.get)(f"/conversations/{conversation}/")).content.decode()
    assert "Model Alpha" in page and "Show prompt" in page


async def test_exports_as_openai_messages_and_sharegpt(connect, client, two_models) -> None:
    conversation = await finished_battle(connect)
    openai = (await db(client.get)(f"/conversations/{conversation}/export/openai.json")).json()
    assert [e["model"] for e in openai] == ["alpha", "beta"]
    assert openai[0]["messages"] == [
        {"role": "user", "content": "First question"}, {"role": "assistant", "content": "Answer **one**."},
        {"role": "user", "content": "Second question"}, {"role": "assistant", "content": "Answer **one**."},
    ]
    sharegpt = (await db(client.get)(f"/conversations/{conversation}/export/sharegpt.json")).json()
    assert [t["from"] for t in sharegpt[1]["conversations"]] == ["human", "gpt", "human", "gpt"]
    missing = await db(client.get)(f"/conversations/{conversation}/export/yaml.json")
    assert missing.status_code == 404


def test_detect_page_names_the_format_and_shows_messages(client) -> None:
    transcript = "<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n"
    page = client.post("/prompts/detect/", {"transcript": transcript}).content.decode()
    assert '<code data-testid="detected-format">chatml</code>' in page
    assert "Hi there" in page and "Hello!" in page
    page = client.post("/prompts/detect/", {"transcript": "just some words"}).content.decode()
    assert "No registered format matches" in page


def test_detect_page_requires_csrf(db) -> None:
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post("/prompts/detect/", {"transcript": "x"})
    assert response.status_code == 403


def test_arena_page_sets_a_session_and_carries_the_hooks(client, two_models) -> None:
    page = client.get("/").content.decode()
    assert client.cookies.get("sessionid")
    for testid in ("mode-anonymous", "mode-named", "mode-collaborate", "model-picker", "prompt-input", "send", "stop",
                   "vote-tie", "vote-bothbad", "new-battle", "error"):
        assert f'data-testid="{testid}"' in page
    assert "Model Alpha" not in page and "alpha" not in page  # the picker is filled only in named modes
    models = client.get("/api/models/").json()["models"]
    assert [m["slug"] for m in models] == ["alpha", "beta"]
