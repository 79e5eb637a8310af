"""BackendConfig: what a registry row tells a backend, checked when it is built."""

from __future__ import annotations

from dataclasses import dataclass

from arena.backends.errors import InvalidConfig

_CHOICES: dict[str, tuple[str, ...]] = {
    "api_mode": ("chat", "completion"),
    "quantization": ("none", "8bit", "4bit"),
    "bnb_4bit_quant_type": ("nf4", "fp4"),
    "bnb_compute_dtype": ("auto", "bf16", "fp16", "fp32"),
    "device": ("auto", "cpu", "cuda"),
    "dtype": ("auto", "bf16", "fp16", "fp32"),
}


@dataclass(frozen=True)
class BackendConfig:
    slug: str
    backend: str
    source: str = ""
    gguf_file: str = ""
    api_mode: str = "chat"
    base_url: str = ""
    remote_model: str = ""
    api_key_env: str = ""
    quantization: str = "none"
    bnb_4bit_quant_type: str = "nf4"
    bnb_compute_dtype: str = "auto"
    adapter_path: str = ""
    device: str = "auto"
    dtype: str = "auto"
    context_length: int = 2048
    timeout_s: float = 60.0
    max_retries: int = 3
    script: str = ""

    def __post_init__(self) -> None:
        for name, allowed in _CHOICES.items():
            value = getattr(self, name)
            if value not in allowed:
                raise InvalidConfig(f"model {self.slug!r}: {name}={value!r} is not one of {', '.join(allowed)}")
        self._check_numbers()

    def _check_numbers(self) -> None:
        if self.context_length < 1:
            raise InvalidConfig(f"model {self.slug!r}: context_length must be >= 1")
        if self.timeout_s <= 0:
            raise InvalidConfig(f"model {self.slug!r}: timeout_s must be > 0 seconds")
        if self.max_retries < 0:
            raise InvalidConfig(f"model {self.slug!r}: max_retries must be >= 0")
