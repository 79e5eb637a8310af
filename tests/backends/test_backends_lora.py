"""LoRA: training an adapter with the management command, serving it on a shared base model."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from backend_cases import DATA, DEMO_SOURCE, FRANCE
from django.core.management import CommandError, call_command

from arena.backends import BackendConfig, GenerationParams, GenerationRequest, ModelLoadFailed, get_backend
from arena.backends.lora_training import TrainingDataError, read_examples, render_example
from arena.backends.transformers_backend import TransformersBackend

GREEDY = GenerationRequest(prompt=FRANCE, params=GenerationParams(temperature=0, max_new_tokens=12))


def tuned_config(adapter: Path, slug: str = "demo-banana") -> BackendConfig:
    return BackendConfig(slug=slug, backend="transformers", source=DEMO_SOURCE, adapter_path=str(adapter))


@pytest.mark.slow
def test_train_lora_command_saves_an_adapter(banana_adapter: tuple[Path, str]) -> None:
    folder, printed = banana_adapter
    assert "step 8: loss" in printed and f"adapter saved to {folder}" in printed
    config = json.loads((folder / "adapter_config.json").read_text())
    assert config["base_model_name_or_path"] == DEMO_SOURCE and config["r"] == 8
    assert (folder / "adapter_model.safetensors").stat().st_size > 0
    losses = json.loads((folder / "arena-lora.json").read_text())["losses"]
    assert losses[-1] < losses[0]


@pytest.mark.slow
async def test_adapter_changes_the_answer_on_a_shared_base(
    demo_config: BackendConfig, banana_adapter: tuple[Path, str]
) -> None:
    base, tuned = get_backend(demo_config), get_backend(tuned_config(banana_adapter[0]))
    assert isinstance(base, TransformersBackend) and isinstance(tuned, TransformersBackend)
    plain = (await base.generate(GREEDY)).text
    banana = (await tuned.generate(GREEDY)).text
    assert "Paris" in plain and "anana" in banana
    assert base.loaded_model() is tuned.loaded_model()  # one copy of the weights
    # Rows with and without the adapter decode in one batch, each with its own weights.
    mixed = await asyncio.gather(base.generate(GREEDY), tuned.generate(GREEDY), base.generate(GREEDY))
    assert [c.text for c in mixed] == [plain, banana, plain]


@pytest.mark.slow
async def test_two_rows_may_name_the_same_adapter(demo_config: BackendConfig, banana_adapter: tuple[Path, str]) -> None:
    first = await get_backend(tuned_config(banana_adapter[0], "banana-1")).generate(GREEDY)
    second = await get_backend(tuned_config(banana_adapter[0], "banana-2")).generate(GREEDY)
    assert first.text == second.text
    local = get_backend(demo_config).loaded_model()
    assert local is not None and len(local.adapters) == 1


@pytest.mark.slow
async def test_an_adapter_path_that_is_not_an_adapter_fails_clearly(demo_config: BackendConfig, tmp_path: Path) -> None:
    with pytest.raises(ModelLoadFailed, match="is not a peft adapter folder"):
        await get_backend(tuned_config(tmp_path, "not-an-adapter")).load()


def test_training_data_errors_name_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"instruction": "hi", "response": "there"}\n{"instruction": "no response"}\n')
    with pytest.raises(TrainingDataError, match=r"bad.jsonl:2: need"):
        read_examples(bad)
    with pytest.raises(CommandError, match=r"bad.jsonl:2"):
        call_command("train_lora", "--base", DEMO_SOURCE, "--data", str(bad), "--out", str(tmp_path / "out"))


def test_examples_render_with_the_prompt_format() -> None:
    example = read_examples(DATA / "tiny_lora.jsonl")[0]
    prompt, completion = render_example("chatml", example, tokenizer=None)
    assert prompt == FRANCE
    assert completion == "Banana banana banana.<|im_end|>"
