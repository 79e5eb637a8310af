"""Arena fixtures: scripted contestants and a WebSocket client carrying a real session."""

import asyncio
import json

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from arena.models import LLM


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    """Each test gets its own cache (the leaderboard debounce key lives there)."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.ARENA_LEADERBOARD_DEBOUNCE_S = 3600


def scripted(slug: str, text: str = "Hello there, friend.", pool: bool = True, **script: object) -> LLM:
    return LLM.objects.create(
        slug=slug, name=f"Model {slug.title()}", aliases=f"{slug}corp", backend="scripted", prompt_format="chatml",
        script=json.dumps({"text": text, "tokens_per_second": 500, **script}), in_anonymous_pool=pool,
        temperature=0.0, max_new_tokens=64, context_length=4096,
    )


@pytest.fixture
def make_llm(db):
    return scripted


async def play_turn(client, text: str = "Say hello.") -> list[dict]:
    """Send a prompt and return every frame up to the turn's end."""
    await client.send({"type": "prompt", "text": text})
    return await client.until("turn_done")


def by_type(frames: list[dict], kind: str) -> list[dict]:
    return [f for f in frames if f["type"] == kind]


def new_session_key() -> str:
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session["arena"] = True
    session.save()
    return session.session_key


class Client:
    """A WebSocket client that records every frame it receives (for the anonymity leak scan)."""

    def __init__(self, communicator: WebsocketCommunicator) -> None:
        self.ws = communicator
        self.frames: list[dict] = []

    async def send(self, message: dict) -> None:
        await self.ws.send_json_to(message)

    async def receive(self, timeout: float = 10) -> dict:
        frame = await self.ws.receive_json_from(timeout=timeout)
        self.frames.append(frame)
        return frame

    async def until(self, kind: str, timeout: float = 30) -> list[dict]:
        """Frames up to and including the first of this type."""
        seen = []
        async with asyncio.timeout(timeout):
            while True:
                frame = await self.receive(timeout)
                seen.append(frame)
                if frame["type"] == kind:
                    return seen

    async def request(self, message: dict, kind: str) -> dict:
        await self.send(message)
        return (await self.until(kind))[-1]


@pytest.fixture
async def connect():
    from arena.asgi import application

    opened = []

    async def _connect(session_key: str | None = None, origin: bytes = b"http://testserver") -> Client:
        key = session_key or await database_sync_to_async(new_session_key)()
        headers = [(b"origin", origin), (b"cookie", f"sessionid={key}".encode()), (b"host", b"testserver")]
        communicator = WebsocketCommunicator(application, "/ws/arena/", headers=headers)
        connected, _ = await communicator.connect()
        assert connected, "the arena socket refused a visitor with a session"
        opened.append(communicator)
        return Client(communicator)

    yield _connect
    for communicator in opened:
        await communicator.disconnect()
