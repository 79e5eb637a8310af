"""Judge fixtures: contestants, voted battles, a local OpenAI-compatible judge, and real Celery workers.

Worker tests share a database file with their subprocesses: it is migrated once per session, copied
per test, and reached from the test through an extra connection alias (pytest-django's own test
database lives in memory, where no other process can see it).
"""

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from judge_stub_server import StubJudgeServer

from arena.models import LLM, Answer, Conversation, Participant, Turn, Vote

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
WORKER_ALIAS = "judgeworker"


@pytest.fixture(autouse=True)
def _isolated(settings, monkeypatch):
    """A cache of the test's own; leaderboard refresh requests are recorded instead of queued."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    requests: list[bool] = []
    monkeypatch.setattr("arena.tasks.request_leaderboard_refresh", lambda: requests.append(True))
    return requests


@pytest.fixture
def refresh_requests(_isolated):
    return _isolated


@pytest.fixture
def stub_judge() -> Iterator[StubJudgeServer]:
    server = StubJudgeServer().start_in_thread()
    yield server
    server.stop()


# --- rows ---------------------------------------------------------------------------------------
def scripted(slug: str, text: str = "Hello there.", using: str = "default", **script: object) -> LLM:
    return LLM.objects.using(using).create(
        slug=slug, name=f"Model {slug}", backend="scripted", prompt_format="chatml", temperature=0.0,
        script=json.dumps({"text": text, "tokens_per_second": 0, **script}), max_new_tokens=64, context_length=4096,
    )


def remote_judge(base_url: str, slug: str = "stub-judge", using: str = "default", **fields: object) -> LLM:
    """A judge row reached through the real OpenAI client path."""
    values = {"max_retries": 0, "timeout_s": 30.0, "max_new_tokens": 64, "api_key_env": "", **fields}
    return LLM.objects.using(using).create(
        slug=slug, name=f"Judge {slug}", backend="openai", api_mode="chat", prompt_format="openai-messages",
        base_url=base_url, remote_model=slug, temperature=0.0, in_anonymous_pool=False, **values,
    )


def voted_battle(
    model_a: LLM, model_b: LLM, text_a: str, text_b: str, winner: str | None, using: str = "default",
    question: str = "What is the capital of France?",
) -> Turn:
    """A finished two-way anonymous battle turn, with a human vote unless winner is None."""
    conversation = Conversation.objects.using(using).create(mode=Conversation.Mode.ANONYMOUS)
    turn = Turn.objects.using(using).create(conversation=conversation, index=0, user_message=question)
    for position, (llm, text) in enumerate(((model_a, text_a), (model_b, text_b))):
        seat = Participant.objects.using(using).create(conversation=conversation, llm=llm, position=position)
        Answer.objects.using(using).create(turn=turn, participant=seat, text=text, status=Answer.Status.DONE)
    if winner is not None:
        Vote.objects.using(using).create(turn=turn, winner=winner)
    return turn


@pytest.fixture
def contestants(db):
    return scripted("model-a"), scripted("model-b")


# --- real workers -------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def migrated_db_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file (in WAL mode, so readers never block the workers' writes) to copy."""
    path = tmp_path_factory.mktemp("judge-db") / "template.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{path}", "DJANGO_SETTINGS_MODULE": "arena.settings"}
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
    return path


@dataclass
class Workers:
    """A database file, a broker and the worker/command subprocesses that share them."""

    db_path: Path
    var_dir: Path
    redis_url: str = ""
    stall_check_s: float = 2.0
    queue: str = field(default_factory=lambda: f"judge-test-{uuid.uuid4().hex[:8]}")
    processes: list[subprocess.Popen] = field(default_factory=list)

    @property
    def env(self) -> dict[str, str]:
        env = {
            **os.environ,
            "ARENA_VAR_DIR": str(self.var_dir),  # the embedded profile's database: var/arena.sqlite3
            "ARENA_MODEL_CACHE": str(ROOT / "var" / "models"),
            "DJANGO_SETTINGS_MODULE": "judge_worker_settings",
            "PYTHONPATH": os.pathsep.join([str(ROOT), str(HERE)]),
            "ARENA_TEST_QUEUE": self.queue,
            "ARENA_TEST_STALL_CHECK_S": str(self.stall_check_s),
        }
        for name in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"):
            env.pop(name, None)
        if self.redis_url:
            env["REDIS_URL"] = self.redis_url
        return env

    def start_worker(self, name: str, concurrency: int = 8) -> subprocess.Popen:
        with open(self.var_dir / f"{name}.log", "ab") as log:  # the worker keeps its own copy of the file
            process = subprocess.Popen(
                [str(BIN / "celery"), "-A", "arena", "worker", "--pool", "threads", "--concurrency", str(concurrency),
                 "--loglevel", "INFO", "-n", f"{name}@%h", "-Q", self.queue, "--without-gossip", "--without-mingle"],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        self.processes.append(process)
        return process

    def manage(self, *args: str, timeout: float = 120) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True,
            timeout=timeout,
        )
        if result.returncode != 0:
            raise AssertionError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def kill(self, process: subprocess.Popen) -> None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    self.kill(process)

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-4000:] for p in sorted(self.var_dir.glob("*.log")))


def _use_file_database(path: Path) -> None:
    from django.db import connections

    connections.settings[WORKER_ALIAS] = {**connections.settings["default"], "NAME": str(path)}


def _forget_file_database() -> None:
    from django.db import connections

    if WORKER_ALIAS in connections.settings:
        connections[WORKER_ALIAS].close()
        del connections[WORKER_ALIAS]
        del connections.settings[WORKER_ALIAS]


@pytest.fixture
def workers_factory(
    tmp_path: Path, migrated_db_file: Path, django_db_blocker: object
) -> Iterator[Callable[..., Workers]]:
    """Make a Workers setup on the file-system broker or (redis_url=...) on Redis; the test reaches its
    database as `using=WORKER_ALIAS`."""
    made: list[Workers] = []

    def make(redis_url: str = "", stall_check_s: float = 2.0) -> Workers:
        var_dir = tmp_path / "var"
        for folder in ("celery-broker/queue", "celery-broker/processed", "celery-broker/control", "cache"):
            (var_dir / folder).mkdir(parents=True, exist_ok=True)
        db_path = var_dir / "arena.sqlite3"
        shutil.copy(migrated_db_file, db_path)
        _use_file_database(db_path)
        made.append(Workers(db_path, var_dir, redis_url, stall_check_s))
        return made[-1]

    with django_db_blocker.unblock():
        yield make
        for workers in made:
            workers.stop_all()
        _forget_file_database()


def wait_for(condition: Callable[[], bool], timeout: float, what: str, workers: Workers | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    logs = f"\nworker logs:\n{workers.logs()}" if workers else ""
    raise AssertionError(f"timed out after {timeout} s waiting for {what}{logs}")
