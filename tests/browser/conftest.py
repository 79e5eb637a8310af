"""A real arena for the browser tests: daphne on a temporary SQLite file, driven by headless Chromium.

All rows are written before daphne starts. Afterwards tests read the database through sqlite3, and the
few writes (a model's script, the anonymous pool, the leaderboard refit through `manage.py shell`) happen
while the server is idle between rounds, so the two processes never hold SQLite's lock against each other.
"""

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]
# The demo rows answer briefly and greedily: the tests need streaming, not prose, and a fixed output.
DEMO_OVERRIDES = {"max_new_tokens": 16, "temperature": 0.0}
LONG_TEXT = " ".join(f"word{i}" for i in range(600))

# Scripted rows (never in the anonymous pool): slug -> (display name, script).
SCRIPTED = {
    "tortoise": ("Tortoise Slow", {"text": LONG_TEXT, "tokens_per_second": 8}),
    "snail": ("Snail Slower", {"text": LONG_TEXT, "tokens_per_second": 6}),
    "steady": ("Steady Worker", {"text": "A fine and **complete** answer, streamed word by word to the end.",
                                 "tokens_per_second": 40}),
    "flaky": ("Flaky Upstream", {"text": "This answer breaks after a few words, every time.", "tokens_per_second": 40,
                                 "fail_after_tokens": 3, "error": "upstream returned 500: the server is overloaded"}),
    "evil": ("Evil Markup", {"text": (
        'Hi <script>window.__pwned = "script"; alert(1)</script> <img src=x onerror="window.__pwned = \'img\'; '
        'alert(2)"> [click me](javascript:window.__pwned=\'link\';alert(3)) and **bold** text.'),
        "tokens_per_second": 60}),
    "plain": ("Plain Text", {"text": "Nothing special here, just words.", "tokens_per_second": 60}),
    "quick-one": ("Quick One", {"text": "First view: water boils at 100 degrees at sea level.",
                                "tokens_per_second": 30}),
    "quick-two": ("Quick Two", {"text": "Second view: it depends on the air pressure above it.",
                                "tokens_per_second": 30}),
    "combiner": ("Combiner", {"text": "Combined: water boils at 100 degrees at sea level; lower pressure, lower "
                                      "boiling point.", "tokens_per_second": 30}),
}


@dataclass
class ArenaServer:
    url: str
    env: dict
    db_path: Path
    log_path: Path
    process: subprocess.Popen = field(repr=False)

    def manage(self, *args: str, timeout: float = 120) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True,
            timeout=timeout,
        )
        if result.returncode:
            raise AssertionError(f"manage.py {args[0]} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def shell(self, code: str) -> str:
        return self.manage("shell", "-c", code)

    def query(self, sql: str, *params: object) -> list[tuple]:
        with sqlite3.connect(self.db_path, timeout=20) as db:
            return db.execute(sql, params).fetchall()

    def execute(self, sql: str, *params: object) -> None:
        with sqlite3.connect(self.db_path, timeout=20) as db:
            db.execute(sql, params)

    @contextmanager
    def anonymous_pool(self, slugs: list[str]) -> Iterator[None]:
        """Only these rows in the anonymous pool for the duration (the server is idle when it changes)."""
        saved = self.query("SELECT slug, in_anonymous_pool FROM arena_llm")
        marks = ",".join("?" * len(slugs))
        self.execute(f"UPDATE arena_llm SET in_anonymous_pool = (slug IN ({marks}))", *slugs)
        try:
            yield
        finally:
            with sqlite3.connect(self.db_path, timeout=20) as db:
                db.executemany("UPDATE arena_llm SET in_anonymous_pool = ? WHERE slug = ?", [(p, s) for s, p in saved])

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"daphne exited with {process.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"daphne did not listen on port {port} within {timeout} s")


def server_env(tmp: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update({
        "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}",
        "CELERY_BROKER_URL": "memory://",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DEBUG": "1",
        "ARENA_VAR_DIR": str(tmp / "var"),
        # The demo weights converted by `make setup` are reused rather than converted again.
        "ARENA_MODEL_CACHE": os.environ.get("ARENA_MODEL_CACHE", str(ROOT / "var" / "models")),
        "PYTHONUNBUFFERED": "1",
    })
    # On a couple of shared cores torch's OpenMP threads spin against everyone else's: two 16-token demo
    # answers took 12-40 s with 2 threads and 2 s with 1 on this machine under load.
    env.setdefault("OMP_NUM_THREADS", "1")
    return env


SETUP_ROWS = """
import json
from arena.models import LLM
LLM.objects.filter(slug__startswith="smollm2-").update(**json.loads({demo!r}))
for slug, (name, script) in json.loads({scripted!r}).items():
    LLM.objects.create(
        slug=slug, name=name, aliases=slug.replace("-", "") + "corp", backend="scripted", prompt_format="chatml",
        script=json.dumps(script), in_anonymous_pool=False, temperature=0.0, max_new_tokens=1024,
        context_length=4096,
    )
"""


@pytest.fixture(scope="session")
def arena_server() -> Iterator[ArenaServer]:
    # Not tmp_path_factory: other pytest runs on this machine prune its base folder while ours is in use.
    tmp = Path(tempfile.mkdtemp(prefix="arena-browser-"))
    env = server_env(tmp)
    port = free_port()
    log_path = tmp / "daphne.log"
    server = ArenaServer(f"http://127.0.0.1:{port}", env, tmp / "db.sqlite3", log_path, process=None)
    try:
        server.manage("migrate", "--noinput", "-v", "0")
        server.manage("register_demo", "-v", "0")
        server.shell(SETUP_ROWS.format(demo=json.dumps(DEMO_OVERRIDES), scripted=json.dumps(SCRIPTED)))
        with open(log_path, "w") as log:
            server.process = subprocess.Popen(
                [str(Path(sys.executable).parent / "daphne"), "-b", "127.0.0.1", "-p", str(port),
                 "arena.asgi:application"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            )
        wait_for_port(port, server.process)
        yield server
    finally:
        stop(server.process)
        shutil.rmtree(tmp, ignore_errors=True)


def stop(process: subprocess.Popen | None) -> None:
    if process is None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="module")
def chromium(chromium_path: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class PageProblems:
    """What a page must never do: raise, log an error, or open a dialog."""

    def __init__(self, page: object) -> None:
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        page.on("console", lambda m: self.errors.append(f"console: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        page.on("dialog", self._dialog)

    def _dialog(self, dialog: object) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()


@pytest.fixture
def page(chromium: object, arena_server: ArenaServer, request: pytest.FixtureRequest) -> Iterator[object]:
    """A fresh browser context (so a fresh session, so a fresh visitor) on the arena's origin."""
    context = chromium.new_context(viewport={"width": 1280, "height": 860}, base_url=arena_server.url)
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.problems = PageProblems(page)
    yield page
    problems = page.problems.errors + page.problems.dialogs
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    if failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"failed-{request.node.name}.png"), full_page=True)
        print(f"daphne log tail:\n{arena_server.log_tail()}")
    context.close()
    if problems and not failed:
        pytest.fail(f"the page misbehaved: {problems}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.rep_call = report
