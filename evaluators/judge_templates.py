"""Judge prompt templates, read from the plain-text files in judge_prompts/.

A template file is a header of ``key: value`` lines followed by two sections, each introduced
by a line ``=== system`` or ``=== user``. The user section is a ``str.format`` template whose
placeholders depend on the kind (see ``PLACEHOLDERS``); literal braces are written doubled.
"""

from __future__ import annotations

import functools
import string
from dataclasses import dataclass
from pathlib import Path

from evaluators.judge_errors import TemplateError, UnknownTemplate

PROMPTS_DIR = Path(__file__).parent / "judge_prompts"
KINDS = ("pair", "five", "single")
PLACEHOLDERS = {
    "pair": frozenset({"conversation", "answer_a", "answer_b"}),
    "five": frozenset({"conversation", "answer_a", "answer_b"}),
    "single": frozenset({"conversation", "answer"}),
}
_HEADER_KEYS = frozenset({"name", "kind", "needs_reference", "temperature"})
_SECTIONS = ("system", "user")


@dataclass(frozen=True)
class JudgeTemplate:
    name: str
    kind: str
    system: str
    user: str
    needs_reference: bool
    temperature: float = 0.0


def get_template(name: str) -> JudgeTemplate:
    templates = _registry()
    if name not in templates:
        known = ", ".join(sorted(templates))
        raise UnknownTemplate(f"no judge template named {name!r}; known templates: {known}")
    return templates[name]


def available_templates() -> list[str]:
    return sorted(_registry())


@functools.cache
def _registry() -> dict[str, JudgeTemplate]:
    templates = {}
    for path in sorted(PROMPTS_DIR.glob("*.prompt")):
        template = load_template_file(path)
        if template.name != path.stem:
            raise TemplateError(f"{path}: name {template.name!r} must match the file name {path.stem!r}")
        templates[template.name] = template
    return templates


def load_template_file(path: Path) -> JudgeTemplate:
    return parse_template(path.read_text(encoding="utf-8"), source=str(path))


def parse_template(text: str, source: str = "<template>") -> JudgeTemplate:
    header, sections = _split(text, source)
    template = JudgeTemplate(
        name=_require(header, "name", source),
        kind=_parse_kind(_require(header, "kind", source), source),
        system=sections["system"],
        user=sections["user"],
        needs_reference=_parse_bool(_require(header, "needs_reference", source), source),
        temperature=_parse_temperature(header.get("temperature", "0"), source),
    )
    _check_placeholders(template, source)
    return template


def _split(text: str, source: str) -> tuple[dict[str, str], dict[str, str]]:
    header: dict[str, str] = {}
    bodies: dict[str, list[str]] = {}
    current: list[str] | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("=== "):
            current = _open_section(line[4:].strip(), bodies, f"{source}:{number}")
        elif current is not None:
            current.append(line)
        elif line.strip():
            key, value = _header_line(line, f"{source}:{number}")
            header[key] = value
    missing = [name for name in _SECTIONS if name not in bodies]
    if missing:
        raise TemplateError(f"{source}: missing section(s) {missing}; add a line '=== <name>' before each")
    return header, {name: "\n".join(lines).strip() for name, lines in bodies.items()}


def _open_section(name: str, bodies: dict[str, list[str]], where: str) -> list[str]:
    if name not in _SECTIONS:
        raise TemplateError(f"{where}: unknown section {name!r}; sections are {', '.join(_SECTIONS)}")
    if name in bodies:
        raise TemplateError(f"{where}: section {name!r} appears twice")
    bodies[name] = []
    return bodies[name]


def _header_line(line: str, where: str) -> tuple[str, str]:
    key, sep, value = line.partition(":")
    key = key.strip()
    if not sep or key not in _HEADER_KEYS:
        raise TemplateError(f"{where}: expected 'key: value' with key in {sorted(_HEADER_KEYS)}, got {line!r}")
    return key, value.strip()


def _require(header: dict[str, str], key: str, source: str) -> str:
    if not header.get(key):
        raise TemplateError(f"{source}: header line '{key}: ...' is missing")
    return header[key]


def _parse_kind(value: str, source: str) -> str:
    if value not in KINDS:
        raise TemplateError(f"{source}: kind {value!r} is not one of {', '.join(KINDS)}")
    return value


def _parse_bool(value: str, source: str) -> bool:
    if value not in ("true", "false"):
        raise TemplateError(f"{source}: needs_reference must be 'true' or 'false', got {value!r}")
    return value == "true"


def _parse_temperature(value: str, source: str) -> float:
    try:
        temperature = float(value)
    except ValueError:
        raise TemplateError(f"{source}: temperature must be a number, got {value!r}") from None
    if not 0 <= temperature <= 2:
        raise TemplateError(f"{source}: temperature {temperature} is outside 0..2")
    return temperature


def _check_placeholders(template: JudgeTemplate, source: str) -> None:
    expected = PLACEHOLDERS[template.kind] | ({"reference"} if template.needs_reference else set())
    try:
        fields = [(name, conv, spec) for _, name, spec, conv in string.Formatter().parse(template.user)]
    except ValueError as error:
        raise TemplateError(
            f"{source}: user section is not a valid template ({error}); write literal braces doubled"
        ) from None
    used = {name for name, _, _ in fields if name is not None}
    if used != expected:
        raise TemplateError(
            f"{source}: a {template.kind} template with needs_reference={template.needs_reference} "
            f"must use exactly the placeholders {sorted(expected)}, found {sorted(used)}"
        )
    if any(conv or spec for name, conv, spec in fields if name is not None):
        raise TemplateError(f"{source}: placeholders take no conversion or format spec, write plain {{name}}")
