"""Training a small LoRA adapter on {"instruction", "response"} JSONL, so users can enter their own model.

Plain Python (no Django): the `train_lora` management command is a thin shell around `train_lora()`.
Each example is rendered with a registered prompt format; the loss covers only the response.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from arena.backends.config import BackendConfig
from arena.backends.loading import ModelKey, load_model
from arena.backends.transformers_backend import encode

IGNORED_LABEL = -100  # what the loss skips: the prompt's tokens
METADATA_FILE = "arena-lora.json"


class TrainingDataError(ValueError):
    """The JSONL file cannot be used; the message names the file and line."""


@dataclass(frozen=True)
class Example:
    instruction: str
    response: str


@dataclass(frozen=True)
class TrainingOptions:
    steps: int = 30
    rank: int = 8
    lr: float = 2e-4
    prompt_format: str = "chatml"
    max_length: int = 512
    seed: int = 0


@dataclass(frozen=True)
class TrainingResult:
    out: Path
    steps: int
    first_loss: float
    last_loss: float
    seconds: float


def read_examples(path: Path) -> list[Example]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise TrainingDataError(f"cannot read {path}: {exc}") from exc
    examples = [_parse_line(path, number, line) for number, line in enumerate(lines, 1) if line.strip()]
    if not examples:
        raise TrainingDataError(f"{path} has no examples; write one JSON object per line")
    return examples


def _parse_line(path: Path, number: int, line: str) -> Example:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise TrainingDataError(f"{path}:{number}: not JSON ({exc.msg})") from None
    if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in ("instruction", "response")):
        raise TrainingDataError(f'{path}:{number}: need {{"instruction": "...", "response": "..."}} strings')
    return Example(data["instruction"], data["response"])


def render_example(prompt_format: str, example: Example, tokenizer: Any) -> tuple[str, str]:
    """(prompt, completion): the prompt as the arena would send it, the completion as the model should end."""
    from prompts import get_format

    fmt = (
        get_format(prompt_format, tokenizer=tokenizer)
        if prompt_format == "hf-chat-template"
        else get_format(prompt_format)
    )
    prompt = fmt.render([{"role": "user", "content": example.instruction}], add_generation_prompt=True)
    end = fmt.stop[0] if fmt.stop else (tokenizer.eos_token or "")
    return prompt, example.response + end


def train_lora(
    base: str,
    data: Path,
    out: Path,
    options: TrainingOptions | None = None,
    progress: Callable[[int, float], None] | None = None,
) -> TrainingResult:
    """Train on `data` for `options.steps` single-example steps and save the adapter in `out`."""
    import torch
    from peft import LoraConfig, get_peft_model

    options = options or TrainingOptions()
    examples = read_examples(data)
    config = BackendConfig(slug=f"train_lora:{base}", backend="transformers", source=base)
    model, tokenizer = load_model(config, ModelKey.for_config(config))
    torch.manual_seed(options.seed)
    lora = LoraConfig(r=options.rank, lora_alpha=2 * options.rank, lora_dropout=0.0, task_type="CAUSAL_LM")
    model = get_peft_model(model, lora)
    model.train()
    batches = [_tokenize(tokenizer, *render_example(options.prompt_format, e, tokenizer), options) for e in examples]
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=options.lr)
    started, losses = time.perf_counter(), []
    for step, (ids, labels) in enumerate(_cycle(batches, options.steps, options.seed), 1):
        loss = model(input_ids=ids.to(model.device), labels=labels.to(model.device)).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        losses.append(loss.detach().item())
        if progress:
            progress(step, losses[-1])
    _save(model, out, base, options, losses)
    return TrainingResult(out, options.steps, losses[0], losses[-1], time.perf_counter() - started)


def _tokenize(tokenizer: Any, prompt: str, completion: str, options: TrainingOptions) -> tuple[Any, Any]:
    import torch

    prompt_ids = encode(tokenizer, prompt)  # as served: with BOS where the tokenizer adds one
    completion_ids = tokenizer(completion, add_special_tokens=False)["input_ids"]
    ids = (prompt_ids + completion_ids)[: options.max_length]
    labels = ([IGNORED_LABEL] * len(prompt_ids) + completion_ids)[: options.max_length]
    return torch.tensor([ids]), torch.tensor([labels])


def _cycle(batches: list[Any], steps: int, seed: int) -> list[Any]:
    order: list[Any] = []
    shuffler = random.Random(seed)
    while len(order) < steps:
        epoch = batches[:]
        shuffler.shuffle(epoch)
        order.extend(epoch)
    return order[:steps]


def _save(model: Any, out: Path, base: str, options: TrainingOptions, losses: list[float]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    # Name the arena source as the base, not this machine's conversion cache folder.
    config_path = out / "adapter_config.json"
    adapter_config = json.loads(config_path.read_text())
    adapter_config["base_model_name_or_path"] = base
    config_path.write_text(json.dumps(adapter_config, indent=2))
    metadata = {
        "base": base,
        "prompt_format": options.prompt_format,
        "steps": options.steps,
        "rank": options.rank,
        "lr": options.lr,
        "losses": losses,
    }
    (out / METADATA_FILE).write_text(json.dumps(metadata, indent=2))
