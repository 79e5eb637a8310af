"""Where a local model's weights come from, and the one-time GGUF -> safetensors conversion.

A source is a local folder, a hub id, a path to a .gguf file, or "pkg:<python_pkg>/<file.gguf>"
(a file shipped inside an installed package, so registry rows stay portable across machines).
Parsing a GGUF takes seconds, so it is converted once into the model cache and loaded from there.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from arena.backends.conf import model_cache_dir
from arena.backends.errors import ModelLoadFailed

CONVERTED_MARKER = "arena-source.json"


@dataclass(frozen=True)
class Source:
    """A resolved source: `location` is a folder or hub id; `gguf_file` names a GGUF inside it."""

    location: str
    gguf_file: str = ""


def resolve_source(slug: str, source: str, gguf_file: str = "") -> Source:
    if not source:
        raise ModelLoadFailed(f"model {slug!r}: no source set; give a folder, a hub id or a .gguf path")
    if source.startswith("pkg:"):
        return _package_source(slug, source.removeprefix("pkg:"))
    if source.endswith(".gguf"):
        if not os.path.isfile(source):
            raise ModelLoadFailed(f"model {slug!r}: GGUF file {source} does not exist")
        return Source(os.path.dirname(os.path.abspath(source)), os.path.basename(source))
    if os.path.isdir(source):
        return _folder_source(slug, Path(source).resolve(), gguf_file)
    if source.startswith(("/", ".", "~")) or source.count("/") != 1:
        raise ModelLoadFailed(
            f"model {slug!r}: source {source!r} is neither an existing folder nor a hub id (owner/name)"
        )
    return Source(source, gguf_file)


def _folder_source(slug: str, folder: Path, gguf_file: str) -> Source:
    if gguf_file:
        if not (folder / gguf_file).is_file():
            raise ModelLoadFailed(f"model {slug!r}: {gguf_file} is not in {folder}")
        return Source(str(folder), gguf_file)
    if not (folder / "config.json").is_file():
        raise ModelLoadFailed(
            f"model {slug!r}: {folder} has no config.json; point source at a transformers model folder "
            "(config.json and weights) or set gguf_file to a .gguf inside it"
        )
    return Source(str(folder))


def _package_source(slug: str, spec: str) -> Source:
    package, _, filename = spec.partition("/")
    found = importlib.util.find_spec(package)
    if found is None or not found.submodule_search_locations:
        raise ModelLoadFailed(f"model {slug!r}: package {package!r} is not installed; pip install {package}")
    folder = Path(next(iter(found.submodule_search_locations)))
    if not filename:
        ggufs = sorted(folder.glob("*.gguf"))
        if len(ggufs) != 1:
            raise ModelLoadFailed(f"model {slug!r}: name the .gguf file in {folder}: pkg:{package}/<file.gguf>")
        filename = ggufs[0].name
    if not (folder / filename).is_file():
        raise ModelLoadFailed(f"model {slug!r}: {filename} is not in package {package} ({folder})")
    return Source(str(folder), filename)


def local_weights(slug: str, source: Source) -> str:
    """A folder or hub id that `from_pretrained` loads quickly, converting a GGUF first if needed."""
    if not source.gguf_file:
        return source.location
    target = model_cache_dir() / _conversion_name(source)
    if not (target / CONVERTED_MARKER).is_file():
        _convert_gguf(slug, source, target)
    return str(target)


def _conversion_name(source: Source) -> str:
    path = os.path.join(source.location, source.gguf_file)
    identity = source.location + "/" + source.gguf_file
    if os.path.isfile(path):
        stat = os.stat(path)
        identity = f"{os.path.abspath(path)}:{stat.st_size}:{int(stat.st_mtime)}"
    digest = hashlib.sha256(identity.encode()).hexdigest()[:12]
    return f"{Path(source.gguf_file).stem}-{digest}"


def _convert_gguf(slug: str, source: Source, target: Path) -> None:
    # Written to a private temporary folder then renamed, so two processes converting at once
    # never see a half-written model: the loser's rename fails and it uses the winner's copy.
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        _write_conversion(slug, source, scratch)
        scratch.chmod(0o755)  # mkdtemp made it private; the web server may run as another user
        try:
            os.rename(scratch, target)
        except OSError:
            if not (target / CONVERTED_MARKER).is_file():
                raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _write_conversion(slug: str, source: Source, folder: Path) -> None:
    import transformers

    options: dict[str, object] = {"gguf_file": source.gguf_file}
    if hasattr(transformers, "GgufConfig"):
        # Dense weights: the packed GGUF form could not be saved as safetensors.
        options["quantization_config"] = transformers.GgufConfig(dequantize=True)
    try:
        model = transformers.AutoModelForCausalLM.from_pretrained(source.location, **options)
        tokenizer = transformers.AutoTokenizer.from_pretrained(source.location, gguf_file=source.gguf_file)
    except (OSError, ValueError) as exc:
        raise ModelLoadFailed(f"model {slug!r}: could not read GGUF {source.gguf_file}: {exc}") from exc
    _forget_quantization(model)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    marker = {"location": source.location, "gguf_file": source.gguf_file}
    (folder / CONVERTED_MARKER).write_text(json.dumps(marker))


def _forget_quantization(model: object) -> None:
    # The weights are dense now; a leftover GGUF quantization config would make the copy reload as GGUF.
    config = model.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    if getattr(model, "hf_quantizer", None) is not None:
        model.hf_quantizer = None
    if hasattr(model, "is_quantized"):
        model.is_quantized = False
