"""The arena's WebSocket: parses messages, checks them, and delegates to services.

The protocol is documented in docs/protocol.md. Every refusal is answered as
{"type": "error", "code": ..., "message": ...} and changes nothing stored.
"""

import asyncio
import logging
from importlib import import_module

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from arena.services import rounds
from arena.services.conversations import ArenaError, visitor_hash

log = logging.getLogger(__name__)


class ArenaConsumer(AsyncJsonWebsocketConsumer):
    conversation_id: str | None = None
    round_task: asyncio.Task | None = None

    async def connect(self) -> None:
        key = self.scope.get("session_key", "")
        # The page creates the session; a made-up cookie would dodge the per-visitor limits.
        store = import_module(settings.SESSION_ENGINE).SessionStore()
        if not key or not await database_sync_to_async(store.exists)(key):
            await self.close(code=4401)
            return
        self.visitor = visitor_hash(key)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        await self.cancel_round()

    async def receive_json(self, content: dict, **kwargs: object) -> None:
        handlers = {
            "start": self.on_start, "resume": self.on_resume, "prompt": self.on_prompt, "stop": self.on_stop,
            "vote": self.on_vote, "retry": self.on_retry,
        }
        handler = handlers.get(content.get("type") if isinstance(content, dict) else None)
        if handler is None:
            await self.error("unknown_type", f"Unknown message type; expected one of: {', '.join(handlers)}.")
            return
        try:
            await handler(content)
        except ArenaError as exc:
            await self.error(exc.code, str(exc))
        except Exception:  # the visitor keeps the socket and the conversation; the log has the details
            log.exception("arena message %r failed", content.get("type"))
            await self.error("internal", "Something went wrong on the server; your conversation is kept. Try again.")

    async def error(self, code: str, message: str) -> None:
        await self.send_json({"type": "error", "code": code, "message": message})

    async def on_start(self, content: dict) -> None:
        if self.busy():
            raise ArenaError("Answers are still streaming: stop them before starting anew.", "busy")
        started = await database_sync_to_async(rounds.start)(self.visitor, content)
        self.conversation_id = started["conversation"]
        await self.send_json({"type": "started", **started})

    async def on_resume(self, content: dict) -> None:
        state = await database_sync_to_async(rounds.resume)(self.visitor, str(content.get("conversation", "")))
        self.conversation_id = state["conversation"]
        await self.send_json({"type": "started", **state})

    async def on_prompt(self, content: dict) -> None:
        self.require_conversation()
        if self.busy():
            raise ArenaError("Wait until every answer has finished (or press stop).", "busy")
        plan = await database_sync_to_async(rounds.begin_turn)(self.conversation_id, self.visitor, content.get("text"))
        await self.send_json({"type": "turn", "turn": plan.turn_index, "text": plan.text})
        self.round_task = asyncio.create_task(rounds.run_turn(plan, self.send_json))

    async def on_retry(self, content: dict) -> None:
        self.require_conversation()
        if self.busy():
            raise ArenaError("Wait until every answer has finished before retrying one.", "busy")
        plan = await database_sync_to_async(rounds.begin_retry)(
            self.conversation_id, self.visitor, str(content.get("label", ""))
        )
        self.round_task = asyncio.create_task(rounds.run_turn(plan, self.send_json))

    async def on_stop(self, content: dict) -> None:
        await self.cancel_round()

    async def on_vote(self, content: dict) -> None:
        self.require_conversation()
        if self.busy():
            raise ArenaError("Vote once every answer has finished.", "not_finished")
        result = await database_sync_to_async(rounds.vote)(
            self.conversation_id, self.visitor, content.get("turn"), str(content.get("winner", ""))
        )
        await self.send_json({"type": "reveal", **result})

    def require_conversation(self) -> None:
        if self.conversation_id is None:
            raise ArenaError("Start a battle first.", "no_conversation")

    def busy(self) -> bool:
        return self.round_task is not None and not self.round_task.done()

    async def cancel_round(self) -> None:
        if self.busy():
            self.round_task.cancel()
            await asyncio.gather(self.round_task, return_exceptions=True)
