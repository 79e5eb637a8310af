"""Validation of registry rows, with messages that say what to change."""

import importlib.util
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from arena.models import LLM

ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
CHAT_ONLY_FORMATS = {"openai-messages"}


def known_formats() -> list[str]:
    from prompts import available_formats

    return available_formats()


def validate_llm(llm: "LLM") -> dict[str, str]:
    """Field name -> message for every problem found; empty when the row is usable."""
    errors: dict[str, str] = {}
    for check in (_check_format, _check_connection, _check_key_variable, _check_local, _check_stop, _check_script):
        errors.update(check(llm))
    return errors


def _check_format(llm: "LLM") -> dict[str, str]:
    known = known_formats()
    if llm.prompt_format not in known:
        return {"prompt_format": f"Unknown prompt format {llm.prompt_format!r}. Known formats: {', '.join(known)}."}
    is_chat = llm.backend == "openai" and llm.api_mode == "chat"
    if is_chat and llm.prompt_format not in CHAT_ONLY_FORMATS:
        return {
            "prompt_format": "Chat mode sends a messages list: choose openai-messages, "
            "or switch the API mode to completion to send this rendered format."
        }
    if not is_chat and llm.prompt_format in CHAT_ONLY_FORMATS:
        return {"prompt_format": "openai-messages only fits remote models in chat mode: pick a text format."}
    return {}


def _check_connection(llm: "LLM") -> dict[str, str]:
    errors = {}
    if llm.backend == "openai":
        if not llm.base_url:
            errors["base_url"] = "A remote model needs the base URL of its OpenAI-compatible endpoint."
        if not llm.remote_model:
            errors["remote_model"] = "Give the model name the endpoint expects (e.g. gpt-4o-mini)."
    elif llm.backend == "transformers" and not llm.source:
        errors["source"] = "A local model needs a source: a folder, a hub id, a .gguf path or pkg:<package>/<file>."
    return errors


def _check_key_variable(llm: "LLM") -> dict[str, str]:
    name = llm.api_key_env
    if not name:
        return {}
    if name.startswith(("sk-", "sk_")) or not ENV_NAME.match(name):
        return {"api_key_env": "Give the NAME of an environment variable (e.g. OPENAI_API_KEY), never the key itself."}
    return {}


def _check_local(llm: "LLM") -> dict[str, str]:
    if llm.backend != "transformers":
        if llm.quantization != "none" or llm.adapter_path:
            return {"quantization": "Quantization and LoRA adapters apply to local (transformers) models only."}
        return {}
    errors = {}
    if llm.quantization != "none":
        problem = quantization_problem(llm.quantization, llm.device)
        if problem:
            errors["quantization"] = problem
    if llm.device == "cuda" and not cuda_available():
        errors["device"] = "device is cuda but this machine has no CUDA device: choose cpu or auto."
    if llm.adapter_path and not (Path(llm.adapter_path) / "adapter_config.json").is_file():
        errors["adapter_path"] = f"No LoRA adapter at {llm.adapter_path}: the folder must hold adapter_config.json."
    return errors


def quantization_problem(quantization: str, device: str) -> str:
    """Why this machine cannot load a model with this quantization, or '' when it can."""
    if importlib.util.find_spec("bitsandbytes") is None:
        return f"{quantization} quantization needs the bitsandbytes package, which is not installed here."
    if device == "cuda" and not cuda_available():
        return f"{quantization} on cuda needs a CUDA device; this machine has none (bitsandbytes also runs on cpu)."
    return ""


def cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()


def _check_stop(llm: "LLM") -> dict[str, str]:
    stop = llm.stop or []
    if not isinstance(stop, list) or not all(isinstance(s, str) and s for s in stop):
        return {"stop": 'Stop must be a JSON list of non-empty strings, e.g. ["###", "</s>"].'}
    return {}


def _check_script(llm: "LLM") -> dict[str, str]:
    if llm.backend != "scripted":
        return {}
    try:
        script = json.loads(llm.script or "{}")
    except json.JSONDecodeError as exc:
        return {"script": f"The script is not valid JSON: {exc}."}
    if not isinstance(script, dict):
        return {"script": 'The script must be a JSON object, e.g. {"text": "Hello", "tokens_per_second": 50}.'}
    return {}
