"""Loading a transformers model with the row's dtype, device and bitsandbytes quantization."""

from __future__ import annotations

import ctypes
import importlib.util
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from arena.backends.config import BackendConfig
from arena.backends.errors import ModelLoadFailed
from arena.backends.sources import local_weights, resolve_source

_DTYPE_NAMES = {"bf16": "bfloat16", "fp16": "float16", "fp32": "float32"}


@dataclass(frozen=True)
class ModelKey:
    """What makes two rows able to share weights in memory (the adapter is not part of it)."""

    source: str
    gguf_file: str
    dtype: str
    device: str
    quantization: str

    @classmethod
    def for_config(cls, config: BackendConfig) -> ModelKey:
        device = resolve_device(config)
        dtype = resolve_dtype(config.dtype, device)
        return cls(
            source=config.source,
            gguf_file=config.gguf_file,
            dtype=dtype,
            device=device,
            quantization=_quantization_label(config, dtype),
        )


def resolve_device(config: BackendConfig) -> str:
    import torch

    if config.device == "cuda" and not torch.cuda.is_available():
        raise ModelLoadFailed(
            f"model {config.slug!r}: device=cuda but torch sees no CUDA GPU here; set device to auto or cpu"
        )
    if config.device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return config.device


def resolve_dtype(dtype: str, device: str) -> str:
    """Resolve "auto": bf16 where the hardware computes in it natively, else fp16 on a GPU, fp32 on a CPU.

    On a CPU with AVX512-BF16 or AMX, bf16 halves the bytes each decoding step reads and uses the
    native bf16 matmuls: the demo model decodes about twice as fast as in fp32 and batches better
    (4 streams: 3.6x one stream, against 2.5x in fp32). Without them bf16 is emulated and slower.
    """
    if dtype != "auto":
        return dtype
    import torch

    if device == "cpu":
        return "bf16" if cpu_has_native_bf16() else "fp32"
    return "bf16" if torch.cuda.is_bf16_supported() else "fp16"


def cpu_has_native_bf16() -> bool:
    import torch

    probes = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")  # torch's own CPU feature checks
    return any(getattr(torch.cpu, name, lambda: False)() for name in probes)


def _quantization_label(config: BackendConfig, dtype: str) -> str:
    if config.quantization != "4bit":
        return config.quantization
    return f"4bit-{config.bnb_4bit_quant_type}-{compute_dtype(config, dtype)}"


def compute_dtype(config: BackendConfig, dtype: str) -> str:
    """The 4-bit matmul dtype: "auto" computes in the model's own dtype."""
    return dtype if config.bnb_compute_dtype == "auto" else config.bnb_compute_dtype


def torch_dtype(name: str) -> Any:
    import torch

    return getattr(torch, _DTYPE_NAMES[name])


def load_model(config: BackendConfig, key: ModelKey) -> tuple[Any, Any]:
    """Load (model, tokenizer) for `key`; every failure becomes ModelLoadFailed saying what to change."""
    import transformers

    weights = local_weights(config.slug, resolve_source(config.slug, config.source, config.gguf_file))
    options = _load_options(config, key)
    try:
        model = transformers.AutoModelForCausalLM.from_pretrained(weights, **options)
        tokenizer = _tokenizer_at(weights)
    except OSError as exc:
        raise ModelLoadFailed(
            f"model {config.slug!r}: could not load {config.source!r} ({exc}); check the path, "
            "or that the hub id exists and this machine is online"
        ) from exc
    except (ImportError, ValueError, RuntimeError, TypeError) as exc:
        raise ModelLoadFailed(f"model {config.slug!r}: loading with {describe(key)} failed: {exc}") from exc
    model.eval()
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    _release_freed_memory()
    return model, tokenizer


def _release_freed_memory() -> None:
    # Converting or quantizing weights frees hundreds of MB that glibc keeps for reuse; give it back
    # so a process holding several models within its memory budget really is that small.
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass  # not glibc: nothing to trim this way


def load_tokenizer(config: BackendConfig) -> Any:
    weights = local_weights(config.slug, resolve_source(config.slug, config.source, config.gguf_file))
    try:
        return _tokenizer_at(weights)
    except OSError as exc:
        raise ModelLoadFailed(f"model {config.slug!r}: could not load its tokenizer ({exc})") from exc


@lru_cache(maxsize=32)
def _tokenizer_at(weights: Any) -> Any:
    """One tokenizer per weights folder and process, shared by the model, token counting and chat templates."""
    import transformers

    return transformers.AutoTokenizer.from_pretrained(weights)


def describe(key: ModelKey) -> str:
    return f"dtype={key.dtype}, device={key.device}, quantization={key.quantization}"


def _load_options(config: BackendConfig, key: ModelKey) -> dict[str, Any]:
    options: dict[str, Any] = {"dtype": torch_dtype(key.dtype)}
    if config.quantization != "none":
        options["quantization_config"] = _bnb_config(config, key)
    if key.device != "cpu" or config.quantization != "none":
        # Loads straight onto the device; for a plain CPU model the accelerate path only adds time.
        options["device_map"] = {"": key.device}
    return options


def _bnb_config(config: BackendConfig, key: ModelKey) -> Any:
    if importlib.util.find_spec("bitsandbytes") is None:
        raise ModelLoadFailed(
            f"model {config.slug!r}: quantization={config.quantization} needs the bitsandbytes package; "
            "pip install bitsandbytes, or set quantization to none"
        )
    from transformers import BitsAndBytesConfig

    if config.quantization == "8bit":
        return BitsAndBytesConfig(load_in_8bit=True)
    return BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type=config.bnb_4bit_quant_type,
        bnb_4bit_compute_dtype=torch_dtype(compute_dtype(config, key.dtype)),
    )
