"""Fixtures for the prompts tests: the demo model's tokenizer (tokenizer only, loaded once)."""

import pytest

from arena.demo import demo_gguf_path


@pytest.fixture(scope="session")
def demo_tokenizer():
    from transformers import AutoTokenizer

    gguf = demo_gguf_path()
    return AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
