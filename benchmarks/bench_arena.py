"""The arena under load: simulated visitors over real WebSockets against daphne, with scripted models.

Starts daphne as a subprocess in the embedded profile (`make run`'s: SQLite in WAL mode, in-memory
channel layer) on a temporary folder whose database holds only scripted rows (backend "scripted", a set
tokens_per_second). Every visitor loads the page for its session, then loops over one WebSocket: start
an anonymous battle, send a prompt, read both answers to the end, vote (no thinking time). Reports:

1. tokens relayed per second, in total (token frames received by all visitors / measuring window);
2. added latency per token, p50 and p95 (see METHOD below);
3. vote round trip, p50 and p95: sending {"type": "vote"} until its "reveal" frame arrives.

Targets on the 2-core development machine: >= 5,000 relayed tokens/s, p95 added latency <= 20 ms,
p95 vote <= 100 ms. Prints figures, asserts nothing.

    .venv/bin/python benchmarks/bench_arena.py [--visitors 20] [--seconds 20] [--tps 200] [--words 300]

Needs the `websockets` package (client side only); --profile FILE also needs py-spy, and writes
collapsed stacks of daphne's threads over the measuring window.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from pathlib import Path

try:
    import websockets
except ImportError:  # a benchmark-only dependency, not in requirements.txt
    raise SystemExit("bench_arena.py needs the websockets package: .venv/bin/pip install websockets") from None

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
METHOD = """\
Added latency per token = receive time - due time. The scripted backend emits word k of an answer at
S + k / tokens_per_second on an absolute schedule (S: when its stream starts). S lives in the server
process, so each answer's S is estimated as the earliest start consistent with what arrived:
min over its tokens of (receive time - k / tps). The figures therefore measure delay beyond the answer's
least-delayed token (queueing, event-loop lag, socket writes, the client's own loop) and leave out a
constant per-answer offset, the loopback floor, reported separately as the idle round trip."""

ROWS = """
import json
from arena.models import LLM
text = " ".join(f"w{{i}}" for i in range({words}))
for n in range({models}):
    LLM.objects.create(
        slug=f"bench-{{n}}", name=f"Bench {{n}}", backend="scripted", prompt_format="chatml",
        script=json.dumps({{"text": text, "tokens_per_second": {tps}}}), in_anonymous_pool=True,
        temperature=0.0, max_new_tokens={words} + 10, context_length=4096,
    )
"""


@dataclass
class Figures:
    token_times: list[float] = field(default_factory=list)  # receive time of every token frame, measured or not
    added_latency_ms: list[float] = field(default_factory=list)
    vote_ms: list[float] = field(default_factory=list)
    battles: int = 0
    errors: list[str] = field(default_factory=list)
    short_answers: int = 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(tmp: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DJANGO_SETTINGS_MODULE"}}
    env.pop("DATABASE_URL", None)
    env.update({
        # The embedded profile's own SQLite file (WAL, 20 s busy timeout), as `make run` serves it.
        "ARENA_VAR_DIR": str(tmp / "var"),
        "CELERY_BROKER_URL": "memory://", "ALLOWED_HOSTS": "127.0.0.1", "LOG_LEVEL": "WARNING",
        # Production-like (no per-query bookkeeping), but plain HTTP on loopback.
        "DEBUG": "0", "SECURE_SSL_REDIRECT": "0", "SESSION_COOKIE_SECURE": "0", "CSRF_COOKIE_SECURE": "0",
        "SECRET_KEY": "bench-only-" + "x" * 50,
        # Twenty visitors battle far more often than the per-visitor limit meant for people allows.
        "ARENA_PROMPTS_PER_MINUTE": "1000000",
    })
    return env


def manage(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True)


def start_server(tmp: Path, args: argparse.Namespace) -> tuple[subprocess.Popen, str]:
    env = server_env(tmp)
    manage(env, "migrate", "--noinput")
    manage(env, "shell", "-c", ROWS.format(words=args.words, models=args.models, tps=args.tps))
    port = free_port()
    process = subprocess.Popen(
        [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port), "--access-log", os.devnull,
         "arena.asgi:application"],
        cwd=ROOT, env=env, stdout=open(tmp / "daphne.log", "w"), stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return process, f"127.0.0.1:{port}"
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"daphne did not start; see {tmp / 'daphne.log'}")


def session_cookie(host: str) -> str:
    """The arena page sets the session the WebSocket identifies the visitor by."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(f"http://{host}/", timeout=30).read()
    return next(c.value for c in jar if c.name == "sessionid")


async def receive_until(ws: websockets.ClientConnection, kind: str, on_frame=None) -> dict:
    while True:
        frame = json.loads(await ws.recv())
        if on_frame is not None:
            on_frame(frame, time.perf_counter())
        if frame["type"] == "error":
            raise RuntimeError(f"{frame['code']}: {frame['message']}")
        if frame["type"] == kind:
            return frame


def answer_latencies(arrivals: list[float], tps: float) -> list[float]:
    """Per token: receive time minus due time, with the schedule's start estimated as in METHOD."""
    offsets = [t - (k / tps) for k, t in enumerate(arrivals, start=1)]
    start = min(offsets)
    return [(o - start) * 1000 for o in offsets]


async def battle(ws: websockets.ClientConnection, figures: Figures, args: argparse.Namespace, measure: bool) -> None:
    await ws.send(json.dumps({"type": "start", "mode": "anonymous"}))
    await receive_until(ws, "started")
    arrivals: dict[str, list[float]] = {}

    def on_frame(frame: dict, at: float) -> None:
        if frame["type"] == "token":
            arrivals.setdefault(frame["label"], []).append(at)
            figures.token_times.append(at)

    await ws.send(json.dumps({"type": "prompt", "text": "Tell me something, at length."}))
    await receive_until(ws, "turn_done", on_frame)
    sent = time.perf_counter()
    await ws.send(json.dumps({"type": "vote", "winner": "tie"}))
    await receive_until(ws, "reveal")
    if not measure:
        return
    figures.vote_ms.append((time.perf_counter() - sent) * 1000)
    figures.battles += 1
    for times in arrivals.values():
        figures.short_answers += len(times) != args.words
        figures.added_latency_ms.extend(answer_latencies(times, args.tps))


async def visitor(host: str, cookie: str, figures: Figures, args: argparse.Namespace,
                  window: tuple[float, float]) -> None:
    headers = {"Cookie": f"sessionid={cookie}", "Origin": f"http://{host}"}
    while time.perf_counter() < window[1]:
        try:
            async with websockets.connect(f"ws://{host}/ws/arena/", additional_headers=headers, compression=None,
                                          max_size=None) as ws:
                while time.perf_counter() < window[1]:
                    try:
                        # Only battles that start inside the window are measured.
                        await battle(ws, figures, args, measure=time.perf_counter() >= window[0])
                    except RuntimeError as exc:
                        figures.errors.append(str(exc))
        except websockets.ConnectionClosedError as exc:  # the server dropped the socket: a visitor reloads
            figures.errors.append(f"socket closed by the server: {exc}")


async def idle_round_trip_ms(host: str, rounds: int = 50) -> list[float]:
    """The floor: an unknown message answered at once by the consumer, on an otherwise idle server."""
    cookie = await asyncio.to_thread(session_cookie, host)
    headers = {"Cookie": f"sessionid={cookie}", "Origin": f"http://{host}"}
    times = []
    async with websockets.connect(f"ws://{host}/ws/arena/", additional_headers=headers, compression=None) as ws:
        for _ in range(rounds):
            sent = time.perf_counter()
            await ws.send('{"type": "ping"}')
            await ws.recv()
            times.append((time.perf_counter() - sent) * 1000)
    return times


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


def profiler(pid: int, args: argparse.Namespace) -> subprocess.Popen | None:
    """py-spy over daphne's threads (event loop and database thread) for the measuring window only."""
    if not args.profile:
        return None
    if not (BIN / "py-spy").exists():
        print("--profile needs py-spy: .venv/bin/pip install py-spy")
        return None
    return subprocess.Popen(
        [str(BIN / "py-spy"), "record", "--pid", str(pid), "--threads", "--format", "raw", "--rate", "200",
         "--duration", str(int(args.seconds)), "--output", args.profile],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


async def run(host: str, pid: int, args: argparse.Namespace) -> tuple[Figures, int, list[float]]:
    idle = await idle_round_trip_ms(host)  # also the first request, which imports the URLconf
    # Every visitor loads the page (which sets its session) before the battles begin.
    cookies = await asyncio.gather(*(asyncio.to_thread(session_cookie, host) for _ in range(args.visitors)))
    figures = Figures()
    begin = time.perf_counter()
    window = (begin + args.warmup, begin + args.warmup + args.seconds)
    spy = asyncio.get_running_loop().call_later(args.warmup, profiler, pid, args)
    await asyncio.gather(*(visitor(host, cookie, figures, args, window) for cookie in cookies))
    spy.cancel()
    relayed = sum(window[0] <= t < window[1] for t in figures.token_times)
    return figures, relayed, idle


def report(figures: Figures, relayed: int, idle: list[float], args: argparse.Namespace,
           cpu: tuple[float, float]) -> None:
    span = args.seconds
    print(f"{args.visitors} visitors, anonymous battles of 2 scripted answers x {args.words} words at {args.tps} tok/s,"
          f" {args.seconds} s measured after {args.warmup} s warm-up (websockets {websockets.__version__})")
    print(f"battles measured            {figures.battles}  (errors: {len(figures.errors)}, answers missing tokens: "
          f"{figures.short_answers})")
    print(f"tokens relayed per second   {relayed / span:,.0f}  ({relayed:,} token frames received in the {span:.0f} s "
          f"window; target >= 5,000)")
    print(f"added latency per token     p50 {percentile(figures.added_latency_ms, 50):.1f} ms, "
          f"p95 {percentile(figures.added_latency_ms, 95):.1f} ms, "
          f"max {max(figures.added_latency_ms, default=0):.1f} ms  (target p95 <= 20 ms)")
    print(f"vote round trip             p50 {percentile(figures.vote_ms, 50):.1f} ms, "
          f"p95 {percentile(figures.vote_ms, 95):.1f} ms  (target p95 <= 100 ms)")
    print(f"idle round trip (floor)     p50 {percentile(idle, 50):.2f} ms, p95 {percentile(idle, 95):.2f} ms")
    per_token = cpu[0] / len(figures.token_times) * 1e6 if figures.token_times else float("nan")
    print(f"CPU over the run            daphne {cpu[0]:.1f} s ({per_token:.0f} us per relayed token, battles "
          f"included), these visitors {cpu[1]:.1f} s (machine: {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.1f})")
    if figures.errors:
        print(f"first errors: {figures.errors[:3]}")
    print()
    print(METHOD)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visitors", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20.0, help="measuring window")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--tps", type=float, default=200.0, help="each scripted answer's tokens per second")
    parser.add_argument("--words", type=int, default=300, help="tokens per answer")
    parser.add_argument("--models", type=int, default=4, help="scripted rows in the anonymous pool")
    parser.add_argument("--profile", metavar="FILE", help="sample daphne with py-spy in the window, into FILE")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-arena-") as folder:
        process, host = start_server(Path(folder), args)
        try:
            before, client_before = cpu_seconds(process.pid), time.process_time()
            figures, relayed, idle = asyncio.run(run(host, process.pid, args))
            cpu = (cpu_seconds(process.pid) - before, time.process_time() - client_before)
            report(figures, relayed, idle, args, cpu)
        except BaseException:
            print("daphne log:\n" + (Path(folder) / "daphne.log").read_text()[-6000:])
            raise
        finally:
            process.terminate()
            process.wait(timeout=10)


if __name__ == "__main__":
    main()
