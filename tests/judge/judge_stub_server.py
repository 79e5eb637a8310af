"""A local OpenAI-compatible judge for tests and the judge benchmark: real HTTP/1.1 over loopback.

It reads the judge prompt it is sent and answers like a consistent judge: the answer that contains
`prefer` wins ("[[A]]", "[[A>>B]]", "Rating: [[9]]"), otherwise a tie or a middling grade. It can
wait before answering, answer 429 with Retry-After first, or answer text without any verdict, and
it counts calls and the most requests it ever had in flight.

    server = StubJudgeServer(delay_s=0.1, prefer="Paris").start_in_thread()
    ... LLM(backend="openai", base_url=server.base_url, remote_model="stub-judge", ...)
    server.stop()
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from dataclasses import dataclass, field

ANSWER = re.compile(r"\[The Start of Assistant( A| B|)'s Answer\]\n(.*?)\n\[The End of Assistant\1's Answer\]", re.S)


@dataclass
class StubJudgeServer:
    delay_s: float = 0.0
    prefer: str = "Paris"
    rate_limit_first: int = 0  # answer this many requests with 429 first
    retry_after_s: float = 1.0
    no_verdict: bool = False  # answer prose without any marker (a parse error)
    always: str = ""  # answer this pair verdict whatever the answers (a judge with position bias)
    calls: int = 0
    connections: int = 0
    rate_limited: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    call_times: list[float] = field(default_factory=list)
    port: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    # --- lifecycle ---
    def start_in_thread(self) -> StubJudgeServer:
        self._writers: set[asyncio.StreamWriter] = set()
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._serve, args=(ready,), daemon=True, name="stub-judge")
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the stub judge server did not start within 10 s")
        return self

    def _serve(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", self.port))
        self.port = self._server.sockets[0].getsockname()[1]
        ready.set()
        self._loop.run_forever()

    def stop(self) -> None:
        async def close() -> None:
            self._server.close()
            for writer in list(self._writers):  # keep-alive connections wait for a request that never comes
                writer.close()
            handlers = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            await asyncio.wait(handlers, timeout=2) if handlers else None

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()

    # --- HTTP ---
    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._writers.add(writer)
        try:
            while True:  # keep-alive: one connection serves many requests
                request = await _read_request(reader)
                if request is None:
                    break
                path, body = request
                status, payload, headers = await self._respond(path, body)
                _write_response(writer, status, payload, headers)
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    async def _respond(self, path: str, body: dict) -> tuple[int, dict, dict]:
        if not path.endswith("/chat/completions"):
            return 404, {"error": {"message": f"no route {path}", "type": "invalid_request_error"}}, {}
        self.calls += 1
        self.call_times.append(time.perf_counter())
        if self.rate_limited < self.rate_limit_first:
            self.rate_limited += 1
            error = {"error": {"message": "slow down", "type": "rate_limit_error", "code": "rate_limit_exceeded"}}
            return 429, error, {"retry-after": f"{self.retry_after_s:g}"}
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.delay_s)
        finally:
            self.in_flight -= 1
        return 200, _completion(body, self.judge(body.get("messages") or [])), {}

    def judge(self, messages: list[dict]) -> str:
        if self.no_verdict:
            return "Both answers have merits and I cannot decide."
        if self.always:
            return f"I prefer this one. [[{self.always}]]"
        system = next((m["content"] for m in messages if m.get("role") == "system"), "")
        user = next((m["content"] for m in reversed(messages) if m.get("role") == "user"), "")
        answers = {label.strip() or "single": text for label, text in ANSWER.findall(user)}
        if "single" in answers:
            return f"Assessed. Rating: [[{9 if self.prefer in answers['single'] else 4}]]"
        a, b = (self.prefer in answers.get(side, "") for side in ("A", "B"))
        five = "[[A>>B]]" in system
        if a == b:
            return "They are about equally good. " + ("[[A=B]]" if five else "[[C]]")
        winner = "A" if a else "B"
        loser = "B" if a else "A"
        return f"Assistant {winner} is right. " + (f"[[{winner}>>{loser}]]" if five else f"[[{winner}]]")


async def _read_request(reader: asyncio.StreamReader) -> tuple[str, dict] | None:
    head = await reader.readuntil(b"\r\n\r\n") if not reader.at_eof() else b""
    if not head:
        return None
    lines = head.decode("latin-1").split("\r\n")
    path = lines[0].split(" ")[1]
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
    raw = await reader.readexactly(int(headers.get("content-length", "0")))
    return path, json.loads(raw or b"{}")


def _write_response(writer: asyncio.StreamWriter, status: int, payload: dict, headers: dict) -> None:
    data = json.dumps(payload).encode()
    reason = {200: "OK", 404: "Not Found", 429: "Too Many Requests"}[status]
    extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    writer.write(
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {len(data)}\r\n"
        f"{extra}\r\n".encode() + data
    )


def _completion(body: dict, text: str) -> dict:
    return {
        "id": "chatcmpl-stub",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "stub-judge"),
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }
