"""Fixtures shared by the whole suite: services that must be real, and the demo model rows."""

import os
import socket
from collections.abc import Callable

import pytest

# Votes queue a leaderboard refresh; in tests that message stays in memory instead of var/.
os.environ.setdefault("CELERY_BROKER_URL", "memory://")

REQUIRE_SERVICES = os.environ.get("ARENA_REQUIRE_SERVICES", "") not in ("", "0")
POSTGRES_URL = os.environ.get("ARENA_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("ARENA_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def require(name: str, available: Callable[[], bool]) -> None:
    """Skip when a real service is missing; under ARENA_REQUIRE_SERVICES (CI) fail instead."""
    if available():
        return
    message = f"{name} is not reachable on this machine"
    if REQUIRE_SERVICES:
        pytest.fail(f"{message}, and ARENA_REQUIRE_SERVICES is set")
    pytest.skip(message)


def free_port() -> int:
    """A loopback port nothing listens on (right now)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def postgres_url() -> str:
    require("PostgreSQL at 127.0.0.1:5432", lambda: port_open("127.0.0.1", 5432))
    return POSTGRES_URL


@pytest.fixture(scope="session")
def redis_url() -> str:
    require("Redis at 127.0.0.1:6379", lambda: port_open("127.0.0.1", 6379))
    return REDIS_URL


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = "/usr/bin/chromium"
    require("Chromium at /usr/bin/chromium", lambda: os.path.exists(path))
    return path


@pytest.fixture
def demo_llms(db):
    """The demo rows, registered the way `make run` does."""
    from django.core.management import call_command

    from arena.models import LLM

    call_command("register_demo", verbosity=0)
    return list(LLM.objects.filter(slug__startswith="smollm2-").order_by("slug"))


def _take_queued() -> list[tuple[str, tuple, dict]]:
    """Every message waiting on the (in-memory) Celery broker, taken off it: (task name, args, kwargs)."""
    from arena.celery import app

    taken = []
    with app.connection_for_read() as connection:
        queue = connection.SimpleQueue(app.conf.task_default_queue)
        while queue.qsize():
            message = queue.get(timeout=1)
            args, kwargs, _ = message.payload
            taken.append((message.headers["task"], tuple(args), kwargs))
            message.ack()
        queue.close()
    return taken


@pytest.fixture
def celery_queue() -> Callable[[], list[tuple[str, tuple, dict]]]:
    """Read what the code under test sent to the broker, through Celery's own producer and transport."""
    _take_queued()  # whatever earlier tests left behind
    return _take_queued
