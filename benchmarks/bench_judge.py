"""Judge throughput: 200 pairwise judgments (400 calls with the swap) in real Celery workers.

A local OpenAI-compatible judge answers each call after 100 ms; 2 worker processes (threads pool,
32 threads each) judge through the arena's real client path and store into SQLite.
Prints judgments per second and the most calls the server ever had in flight, for each broker:
kombu's file-system broker and Redis (when one listens at 127.0.0.1:6379), each as shipped and with
two suggested settings (see PROFILES). The database is the embedded profile's (var/arena.sqlite3,
WAL); DEBUG is off, as in production (DEBUG keeps every query).
Target: >= 30 judgments/s. Prints figures; asserts nothing.

    .venv/bin/python benchmarks/bench_judge.py [--judgments 200] [--workers 2] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
REDIS_URL = os.environ.get("ARENA_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
WARM_UP_PAIRS = 32
SETTINGS = """from arena.settings import *  # noqa: F403
CELERY_TASK_DEFAULT_QUEUE = {queue!r}
CACHES["default"]["KEY_PREFIX"] = {queue!r}  # noqa: F405
if {polling!r} is not None:
    CELERY_BROKER_TRANSPORT_OPTIONS["polling_interval"] = {polling!r}  # noqa: F405
if {db_reuse!r} is not None:
    CELERY_DB_REUSE_MAX = {db_reuse!r}
"""
# "suggested": two settings the arena does not have yet: the file-system broker polling every 0.1 s
# (kombu's default is 1 s), and CELERY_DB_REUSE_MAX, so a worker thread keeps its database connection
# across tasks instead of reconnecting for each one.
PROFILES = {
    "filesystem": {"redis": False, "polling": None, "db_reuse": None},
    "filesystem+suggested": {"redis": False, "polling": 0.1, "db_reuse": 1000},
    "redis": {"redis": True, "polling": None, "db_reuse": None},
    "redis+suggested": {"redis": True, "polling": None, "db_reuse": 1000},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--judgments", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--delay", type=float, default=0.1, help="seconds before the judge server answers")
    parser.add_argument("--profile", choices=sorted(PROFILES), action="append", help="default: all that can run")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args, json.loads(args.child))))
        return
    profiles = args.profile or [p for p in PROFILES if not PROFILES[p]["redis"] or redis_listening()]
    print(f"{args.judgments} pairwise judgments ({2 * args.judgments} calls), judge answering after "
          f"{args.delay * 1000:.0f} ms, {args.workers} workers x {args.concurrency} threads")
    for name in profiles:
        result = run_child(args, name)
        print(f"  {name:21s} {result['judgments_per_s']:6.1f} judgments/s  {result['calls_per_s']:6.1f} calls/s  "
              f"max in flight {result['max_in_flight']:3d}  ({result['seconds']:.2f} s, planned and queued in "
              f"{result['queued_after_s']:.2f} s, {result['calls']} calls, {result['failed']} failed, "
              f"{result['cpu_ms_per_judgment']:.1f} CPU ms per judgment)")
    print(f"  (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs: other processes share them)")
    print("target: >= 30 judgments/s")


def redis_listening() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


def run_child(args: argparse.Namespace, name: str) -> dict:
    """Each profile runs in a fresh process: Django's settings are read once per process."""
    child = json.dumps({"name": name, **PROFILES[name]})
    command = [sys.executable, __file__, "--child", child, "--judgments", str(args.judgments),
               "--workers", str(args.workers), "--concurrency", str(args.concurrency), "--delay", str(args.delay)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"profile {name} failed:\n{result.stderr[-4000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- one measurement, in a child process ------------------------------------------------------------
def measure(args: argparse.Namespace, profile: dict) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="bench-judge-"))
    queue = f"bench-judge-{uuid.uuid4().hex[:8]}"
    env = environment(folder, queue, profile)
    os.environ.update(env)
    sys.path[:0] = [str(ROOT), str(folder), str(ROOT / "tests" / "judge")]
    os.environ.pop("DATABASE_URL", None)
    migrate(env)
    import django

    django.setup()
    from judge_stub_server import StubJudgeServer

    server = StubJudgeServer(delay_s=args.delay).start_in_thread()
    workers = [start_worker(env, folder, f"bench{i}", args.concurrency) for i in range(args.workers)]
    try:
        wait_ready(folder, args.workers)
        judge = fill_database(server.base_url, args.judgments)
        timed_run(judge, "voted", timeout=120)  # warm-up: imports, connections, one event loop per thread
        server.calls, server.max_in_flight, server.call_times = 0, 0, []
        cpu_before = cpu_seconds([p.pid for p in workers])
        seconds, failed, queued_after = timed_run(judge, "batch", timeout=600)
        cpu = cpu_seconds([p.pid for p in workers]) - cpu_before
    finally:
        for process in workers:
            os.killpg(process.pid, signal.SIGTERM)
        for process in workers:
            process.wait(30)
        server.stop()
        forget_queue(profile, queue)
        if not os.environ.get("ARENA_BENCH_KEEP"):
            shutil.rmtree(folder, ignore_errors=True)
    span = server.call_times[-1] - server.call_times[0] if len(server.call_times) > 1 else seconds
    return {
        "seconds": seconds,
        "judgments_per_s": args.judgments / seconds,
        "calls_per_s": server.calls / span if span else 0.0,
        "calls": server.calls,
        "max_in_flight": server.max_in_flight,
        "failed": failed,
        "queued_after_s": queued_after,
        "cpu_ms_per_judgment": 1000 * cpu / args.judgments,
    }


def cpu_seconds(pids: list[int]) -> float:
    """CPU time of the worker processes and of this one (the judge server's thread runs here)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = time.process_time()
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def environment(folder: Path, queue: str, profile: dict) -> dict[str, str]:
    (folder / "bench_settings.py").write_text(
        SETTINGS.format(queue=queue, polling=profile["polling"], db_reuse=profile["db_reuse"])
    )
    env = {
        "ARENA_VAR_DIR": str(folder / "var"),  # the embedded profile's database: var/arena.sqlite3 (WAL)
        "DJANGO_SETTINGS_MODULE": "bench_settings",
        "DEBUG": os.environ.get("DEBUG", "0"),  # DEBUG keeps every query and re-runs one to quote it (SQLite)
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(folder)]),
    }
    if profile["redis"]:
        env["REDIS_URL"] = REDIS_URL
    return env


def migrate(env: dict[str, str]) -> None:
    Path(env["ARENA_VAR_DIR"]).mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT,
                   env={**os.environ, **env}, check=True)


def start_worker(env: dict[str, str], folder: Path, name: str, concurrency: int) -> subprocess.Popen:
    with open(folder / f"{name}.log", "ab") as log:
        return subprocess.Popen(
            [str(BIN / "celery"), "-A", "arena", "worker", "--pool", "threads", "--concurrency", str(concurrency),
             "--loglevel", os.environ.get("ARENA_BENCH_LOGLEVEL", "WARNING"), "-n", f"{name}@%h",
             "--without-gossip", "--without-mingle"],
            cwd=ROOT, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )


def wait_ready(folder: Path, count: int, timeout: float = 120) -> None:
    from arena.celery import app

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        replies = app.control.ping(timeout=1.0) or []
        if len(replies) >= count:
            return
    logs = "\n".join(p.read_text(errors="replace")[-2000:] for p in folder.glob("*.log"))
    raise RuntimeError(f"the workers did not start within {timeout} s:\n{logs}")


def fill_database(judge_url: str, pairs: int) -> tuple:
    """Voted battles for the warm-up, and a finished batch run whose answers the timed run judges."""
    from arena.models import LLM, Answer, BatchRun, Conversation, Participant, QuestionSet, Turn, Vote

    a = LLM.objects.create(slug="model-a", name="A", backend="scripted", prompt_format="chatml")
    b = LLM.objects.create(slug="model-b", name="B", backend="scripted", prompt_format="chatml")
    judge = LLM.objects.create(
        slug="bench-judge", name="Bench judge", backend="openai", api_mode="chat", prompt_format="openai-messages",
        base_url=judge_url, remote_model="bench-judge", temperature=0.0, max_new_tokens=32, max_retries=0,
    )
    batch = BatchRun.objects.create(question_set=QuestionSet.objects.create(name="bench"), status="done")
    for i in range(WARM_UP_PAIRS + pairs):
        warm_up = i < WARM_UP_PAIRS
        conversation = Conversation.objects.create(
            mode="anonymous" if warm_up else "batch", batch_run=None if warm_up else batch
        )
        turn = Turn.objects.create(conversation=conversation, index=0, user_message="What is the capital of France?")
        texts = ("Paris.", "Rome.") if i % 2 else ("Rome.", "Paris.")
        for position, (llm, text) in enumerate(zip((a, b), texts, strict=True)):
            seat = Participant.objects.create(conversation=conversation, llm=llm, position=position)
            Answer.objects.create(turn=turn, participant=seat, text=text, status="done")
        if warm_up:
            Vote.objects.create(turn=turn, winner="A")
    return judge, batch


def timed_run(judge_and_batch: tuple, target: str, timeout: float) -> tuple[float, int, float]:
    from arena import tasks
    from arena.models import JudgeRun
    from arena.services import judging

    judge, batch = judge_and_batch
    run = judging.create_run(judge, target=target, batch_run=batch if target == "batch" else None)
    started = time.perf_counter()
    tasks.queue_verdicts(judging.start(run.pk))
    queued_after = time.perf_counter() - started
    deadline = started + timeout
    while time.perf_counter() < deadline:
        run = JudgeRun.objects.get(pk=run.pk)
        if run.status == "done":
            return time.perf_counter() - started, run.failed, queued_after
        time.sleep(0.05)
    raise RuntimeError(f"judge run {run.pk} did not finish within {timeout} s: {run.done} done, {run.failed} failed")


def forget_queue(profile: dict, queue: str) -> None:
    if profile["redis"]:
        import redis

        redis.Redis.from_url(REDIS_URL).delete(queue)


if __name__ == "__main__":
    main()
