"""bitsandbytes 8-bit and 4-bit loads of the demo model, and load failures that say what to change."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from backend_cases import DEMO_SOURCE, FRANCE

from arena.backends import BackendConfig, GenerationParams, GenerationRequest, ModelLoadFailed, get_backend
from arena.backends.loading import ModelKey, _bnb_config

SHORT = GenerationRequest(prompt=FRANCE, params=GenerationParams(temperature=0, max_new_tokens=6))


@pytest.mark.slow
@pytest.mark.parametrize(
    "quantization",
    [
        {"quantization": "8bit"},
        {"quantization": "4bit", "bnb_4bit_quant_type": "nf4"},
        {"quantization": "4bit", "bnb_4bit_quant_type": "fp4", "bnb_compute_dtype": "bf16"},
    ],
    ids=["8bit", "4bit-nf4", "4bit-fp4-bf16"],
)
async def test_quantized_loads_generate(quantization: dict[str, str]) -> None:
    config = BackendConfig(
        slug=f"demo-{quantization['quantization']}", backend="transformers", source=DEMO_SOURCE, **quantization
    )
    backend = get_backend(config)
    completion = await backend.generate(SHORT)
    assert completion.text.strip() and completion.stats.completion_tokens > 0
    local = backend.loaded_model()
    assert local is not None and local.size_mb < 400  # the fp32 model takes 513 MB
    assert getattr(local.model, "is_quantized", False)


def test_4bit_options_reach_bitsandbytes() -> None:
    config = BackendConfig(
        slug="q",
        backend="transformers",
        source=DEMO_SOURCE,
        quantization="4bit",
        bnb_4bit_quant_type="fp4",
        bnb_compute_dtype="bf16",
    )
    key = ModelKey.for_config(config)
    assert key.quantization == "4bit-fp4-bf16"
    bnb = _bnb_config(config, key)
    assert bnb.load_in_4bit and bnb.bnb_4bit_quant_type == "fp4" and bnb.bnb_4bit_compute_dtype == torch.bfloat16


async def test_missing_folder_is_a_load_failure_naming_it() -> None:
    config = BackendConfig(slug="ghost", backend="transformers", source="/nonexistent/weights")
    with pytest.raises(ModelLoadFailed, match=r"'ghost'.*'/nonexistent/weights'.*neither an existing folder") as caught:
        await get_backend(config).load()
    assert caught.value.permanent


async def test_folder_without_weights_is_a_load_failure(tmp_path: Path) -> None:
    config = BackendConfig(slug="empty", backend="transformers", source=str(tmp_path))
    with pytest.raises(ModelLoadFailed, match=r"'empty': .* has no config.json; point source at"):
        await get_backend(config).load()


async def test_missing_package_is_a_load_failure_saying_what_to_install() -> None:
    config = BackendConfig(slug="ghost", backend="transformers", source="pkg:no_such_model_pkg/x.gguf")
    with pytest.raises(ModelLoadFailed, match="package 'no_such_model_pkg' is not installed; pip install"):
        await get_backend(config).load()


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message on machines without a GPU")
async def test_cuda_without_a_gpu_says_so() -> None:
    config = BackendConfig(slug="gpu-only", backend="transformers", source=DEMO_SOURCE, device="cuda")
    with pytest.raises(ModelLoadFailed, match="device=cuda but torch sees no CUDA GPU here; set device to auto or cpu"):
        await get_backend(config).load()
