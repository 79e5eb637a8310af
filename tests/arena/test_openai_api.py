"""The arena's own OpenAI-compatible API, through Django's async test client."""

import json

import pytest

from arena.models import ApiToken
from tests.arena.conftest import scripted

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture
def token(db) -> str:
    return ApiToken.issue("tests")[1]


def auth(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def post(client, token: str, body: dict):
    return client.post("/v1/chat/completions", json.dumps(body), content_type="application/json", **auth(token))


def test_models_lists_enabled_models_behind_a_token(client, token: str) -> None:
    scripted("alpha")
    off = scripted("beta")
    off.enabled = False
    off.save()
    assert client.get("/v1/models").status_code == 401
    assert client.get("/v1/models", HTTP_AUTHORIZATION="Bearer nope").json()["error"]["code"] == "invalid_api_key"
    data = client.get("/v1/models", **auth(token)).json()
    assert [m["id"] for m in data["data"]] == ["alpha"]
    assert ApiToken.objects.get().last_used is not None


def test_chat_completion_returns_the_models_answer_and_usage(client, token: str) -> None:
    scripted("alpha", "Hello from alpha.")
    body = post(client, token, {"model": "alpha", "messages": [{"role": "user", "content": "Hi"}],
                                "temperature": 0, "max_tokens": 10}).json()
    assert body["object"] == "chat.completion"
    assert body["choices"][0]["message"] == {"role": "assistant", "content": "Hello from alpha."}
    assert body["choices"][0]["finish_reason"] == "stop"
    assert body["usage"]["completion_tokens"] == 3


async def test_streaming_sends_chunks_then_done(async_client, token: str) -> None:
    from asgiref.sync import sync_to_async

    await sync_to_async(scripted)("alpha", "One two three.")
    body = {"model": "alpha", "stream": True, "stream_options": {"include_usage": True},
            "messages": [{"role": "user", "content": "Count"}]}
    response = await async_client.post("/v1/chat/completions", json.dumps(body), content_type="application/json",
                                       headers={"Authorization": f"Bearer {token}"})
    assert response["Content-Type"] == "text/event-stream"
    raw = b"".join([part async for part in response.streaming_content]).decode()
    lines = [line for line in raw.split("\n\n") if line]
    assert lines[-1] == "data: [DONE]"
    chunks = [json.loads(line.removeprefix("data: ")) for line in lines[:-1]]
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    assert text == "One two three."
    assert chunks[-1]["usage"]["completion_tokens"] == 3


def test_unknown_model_is_404_with_the_known_ids(client, token: str) -> None:
    scripted("alpha")
    response = post(client, token, {"model": "gpt-9", "messages": [{"role": "user", "content": "x"}]})
    assert response.status_code == 404
    assert "Known models: alpha" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"messages": []}, "non-empty list"),
        ({"messages": [{"role": "robot", "content": "x"}]}, "needs a role"),
        ({"messages": [{"role": "user", "content": "x"}], "temperature": -1}, "temperature"),
        ({"messages": [{"role": "user", "content": "x"}], "logit_bias": {}}, "Unsupported parameter(s): logit_bias"),
    ],
)
def test_bad_requests_are_400_with_a_reason(client, token: str, body: dict, message: str) -> None:
    scripted("alpha")
    response = post(client, token, {"model": "alpha", **body})
    assert response.status_code == 400
    assert message in response.json()["error"]["message"]


def test_a_failing_model_is_reported_as_a_server_error(client, token: str) -> None:
    scripted("alpha", "x y z", fail_after_tokens=0, error="the GPU caught fire")
    response = post(client, token, {"model": "alpha", "messages": [{"role": "user", "content": "x"}]})
    assert response.status_code == 502
    assert "the GPU caught fire" in response.json()["error"]["message"]


def test_a_callers_stop_strings_add_to_the_formats_end_of_turn(client, token: str) -> None:
    scripted("alpha", "Hello there<|im_end|> and text after the turn. zzz never reached")
    body = post(client, token, {"model": "alpha", "messages": [{"role": "user", "content": "Hi"}],
                                "stop": ["zzz"]}).json()
    assert body["choices"][0]["message"]["content"] == "Hello there"
