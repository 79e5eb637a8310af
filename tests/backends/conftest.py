"""Fixtures for the backend tests: the demo model loaded once, real local servers on loopback."""

from __future__ import annotations

import asyncio
import importlib.util
import io
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from backend_cases import DATA, DEMO_SOURCE

from arena.backends import BackendConfig, get_backend
from arena.backends.fake_server import FakeOpenAIServer
from arena.demo import demo_gguf_path
from tests.conftest import free_port


@pytest.fixture(scope="session")
def demo_config() -> BackendConfig:
    """The demo model through the transformers backend, loaded once for the whole session."""
    config = BackendConfig(slug="demo", backend="transformers", source=DEMO_SOURCE)
    asyncio.run(get_backend(config).load())
    return config


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARENA_BACKEND_RETRY_BASE_S", "0.01")


@pytest.fixture
async def fake_server() -> AsyncIterator[FakeOpenAIServer]:
    async with FakeOpenAIServer() as server:
        yield server


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """llama.cpp's OpenAI-compatible server on the demo GGUF; yields its /v1 base URL."""
    _require_llama_server_extras()
    port = free_port()
    log = tmp_path_factory.mktemp("llama") / "server.log"
    command = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(demo_gguf_path()),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        "2048",
        "--n_threads",
        "2",
    ]
    with log.open("w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        _wait_until_serving(base_url, process, log)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=30)


def _require_llama_server_extras() -> None:
    missing = [
        name
        for name in ("uvicorn", "fastapi", "sse_starlette", "starlette_context", "pydantic_settings")
        if importlib.util.find_spec(name) is None
    ]
    if not missing:
        return
    message = f"llama_cpp.server needs llama-cpp-python's [server] extras; missing: {', '.join(missing)}"
    if os.environ.get("ARENA_REQUIRE_SERVICES", "") not in ("", "0"):
        pytest.fail(message)
    pytest.skip(message)


def _wait_until_serving(base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"llama_cpp.server exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{base_url}/models", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    pytest.fail(f"llama_cpp.server did not answer within 120 s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def banana_adapter(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A LoRA adapter trained by `manage.py train_lora` to answer everything with bananas; (folder, output)."""
    from django.core.management import call_command

    out = tmp_path_factory.mktemp("lora") / "banana"
    printed = io.StringIO()
    call_command(
        "train_lora",
        "--base",
        DEMO_SOURCE,
        "--data",
        str(DATA / "tiny_lora.jsonl"),
        "--out",
        str(out),
        "--steps",
        "8",
        "--lr",
        "5e-3",
        "--rank",
        "8",
        "--format",
        "chatml",
        stdout=printed,
    )
    return out, printed.getvalue()
