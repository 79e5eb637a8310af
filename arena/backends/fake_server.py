"""A tiny OpenAI-compatible HTTP server on loopback, with faults on demand, for tests and benchmarks.

It speaks just enough HTTP/1.1 (one request per connection, chunked streaming so an abrupt close
reads as a broken stream) to exercise a real client: no SDK is mocked.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}
_WORD = re.compile(r"\s*\S+")


@dataclass
class Reply:
    """How the server answers one request."""

    status: int = 200
    text: str = "Hello from the fake server."
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0  # before the response starts (a slow server)
    chunk_delay_s: float = 0.0  # between streamed chunks
    reset_after_chunks: int | None = None  # drop the connection mid-stream
    error_message: str = "fake failure"


@dataclass
class Received:
    path: str
    body: dict[str, Any]
    at: float


class FakeOpenAIServer:
    def __init__(self, default: Reply | None = None) -> None:
        self.default = default or Reply()
        self.replies: list[Reply] = []
        self.received: list[Received] = []
        self.disconnects = 0  # clients that hung up before the answer was complete
        self._server: asyncio.Server | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def queue(self, *replies: Reply) -> None:
        """Answer the next requests with these replies, then with the default."""
        self.replies.extend(replies)

    async def start(self) -> FakeOpenAIServer:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def __aenter__(self) -> FakeOpenAIServer:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            path, body = await _read_request(reader)
            self.received.append(Received(path, body, time.perf_counter()))
            reply = self.replies.pop(0) if self.replies else self.default
            await asyncio.sleep(reply.delay_s)
            await _answer(writer, path, body, reply)
        except (ConnectionError, asyncio.IncompleteReadError):
            self.disconnects += 1  # the client went away (a cancelled stream or a timeout)
        finally:
            writer.close()


async def _read_request(reader: asyncio.StreamReader) -> tuple[str, dict[str, Any]]:
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
    request_line, *header_lines = head.split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in header_lines if ": " in line)
    length = int(headers.get("content-length", "0"))
    raw = await reader.readexactly(length) if length else b""
    return request_line.split(" ")[1], json.loads(raw) if raw else {}


async def _answer(writer: asyncio.StreamWriter, path: str, body: dict[str, Any], reply: Reply) -> None:
    if reply.status != 200:
        error = {"error": {"message": reply.error_message, "type": "fake", "code": reply.status}}
        await _send_json(writer, reply.status, error, reply.headers)
    elif path.endswith("/models"):
        await _send_json(writer, 200, {"object": "list", "data": [{"id": "fake", "object": "model"}]})
    elif body.get("stream"):
        await _send_stream(writer, path, body, reply)
    else:
        await _send_json(writer, 200, _full_response(path, body, reply.text))


async def _send_json(
    writer: asyncio.StreamWriter, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
) -> None:
    data = json.dumps(payload).encode()
    extra = "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
    writer.write(
        f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(data)}\r\n{extra}Connection: close\r\n\r\n".encode()
        + data
    )
    await writer.drain()


async def _send_stream(writer: asyncio.StreamWriter, path: str, body: dict[str, Any], reply: Reply) -> None:
    writer.write(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )
    words = _WORD.findall(reply.text)[: body.get("max_tokens") or None]
    for index, word in enumerate(words):
        if reply.reset_after_chunks is not None and index >= reply.reset_after_chunks:
            writer.transport.abort()
            return
        await _send_event(writer, _chunk(path, body, word, None))
        await asyncio.sleep(reply.chunk_delay_s)
    await _send_event(writer, _chunk(path, body, "", "stop"))
    if body.get("stream_options", {}).get("include_usage"):
        usage = _usage(body, len(words))
        await _send_event(
            writer, {"id": "fake", "object": "chunk", "created": 0, "model": "fake", "choices": [], "usage": usage}
        )
    await _send_sse(writer, "[DONE]")
    writer.write(b"0\r\n\r\n")
    await writer.drain()


async def _send_event(writer: asyncio.StreamWriter, payload: dict[str, Any]) -> None:
    await _send_sse(writer, json.dumps(payload))


async def _send_sse(writer: asyncio.StreamWriter, data: str) -> None:
    frame = f"data: {data}\n\n".encode()
    writer.write(f"{len(frame):x}\r\n".encode() + frame + b"\r\n")
    await writer.drain()


def _chunk(path: str, body: dict[str, Any], text: str, finish: str | None) -> dict[str, Any]:
    common = {"id": "fake", "created": 0, "model": body.get("model", "fake")}
    if path.endswith("/chat/completions"):
        choice = {"index": 0, "delta": {"content": text} if text else {}, "finish_reason": finish}
        return {**common, "object": "chat.completion.chunk", "choices": [choice]}
    choice = {"index": 0, "text": text, "finish_reason": finish, "logprobs": None}
    return {**common, "object": "text_completion", "choices": [choice]}


def _full_response(path: str, body: dict[str, Any], text: str) -> dict[str, Any]:
    words = _WORD.findall(text)[: body.get("max_tokens") or None]
    answer = "".join(words)
    common = {"id": "fake", "created": 0, "model": body.get("model", "fake"), "usage": _usage(body, len(words))}
    if path.endswith("/chat/completions"):
        message = {"role": "assistant", "content": answer}
        return {
            **common,
            "object": "chat.completion",
            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        }
    choice = {"index": 0, "text": answer, "finish_reason": "stop", "logprobs": None}
    return {**common, "object": "text_completion", "choices": [choice]}


def _usage(body: dict[str, Any], completion_tokens: int) -> dict[str, int]:
    prompt = body.get("prompt") or json.dumps(body.get("messages", ""))
    prompt_tokens = len(_WORD.findall(str(prompt)))
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }
