"""Build the chat messages sent to a judge model from a template and the texts to judge."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from evaluators.judge_errors import PromptError
from evaluators.judge_templates import JudgeTemplate
from prompts.delimiters import neutralize  # every inserted text goes through it

Message = dict[str, str]

_ROLE_HEADERS = {"user": "### User:", "assistant": "### Assistant:"}


def build_pair_prompt(
    template: JudgeTemplate,
    conversation: Sequence[Mapping[str, str]],
    answer_a: str,
    answer_b: str,
    reference: str | None = None,
) -> list[Message]:
    _require_kind(template, ("pair", "five"))
    fields = {
        "conversation": render_conversation(conversation),
        "answer_a": _answer_text(answer_a, "answer_a"),
        "answer_b": _answer_text(answer_b, "answer_b"),
    }
    return _messages(template, fields | _reference_field(template, reference))


def build_swapped_pair_prompts(
    template: JudgeTemplate,
    conversation: Sequence[Mapping[str, str]],
    answer_a: str,
    answer_b: str,
    reference: str | None = None,
) -> tuple[list[Message], list[Message]]:
    """Both orders: the second prompt shows answer_b as Assistant A (feed its verdict to combine_swapped)."""
    first = build_pair_prompt(template, conversation, answer_a, answer_b, reference)
    return first, build_pair_prompt(template, conversation, answer_b, answer_a, reference)


def build_single_prompt(
    template: JudgeTemplate,
    conversation: Sequence[Mapping[str, str]],
    answer: str,
    reference: str | None = None,
) -> list[Message]:
    _require_kind(template, ("single",))
    fields = {"conversation": render_conversation(conversation), "answer": _answer_text(answer, "answer")}
    return _messages(template, fields | _reference_field(template, reference))


def render_conversation(conversation: Sequence[Mapping[str, str]]) -> str:
    _check_conversation(conversation)
    return "\n\n".join(f"{_ROLE_HEADERS[turn['role']]}\n{neutralize(turn['content'])}" for turn in conversation)


def _check_conversation(conversation: Sequence[Mapping[str, str]]) -> None:
    if not conversation:
        raise PromptError("conversation is empty; pass at least the user message being answered")
    for index, turn in enumerate(conversation):
        if not isinstance(turn, Mapping) or turn.get("role") not in _ROLE_HEADERS:
            raise PromptError(f"conversation[{index}] needs a role of 'user' or 'assistant', got {turn!r}")
        if not isinstance(turn.get("content"), str):
            raise PromptError(f"conversation[{index}] needs its text as a string under 'content'")
    if conversation[-1]["role"] != "user":
        raise PromptError("conversation must end with the user message that the judged answers reply to")


def _answer_text(answer: str, name: str) -> str:
    if not isinstance(answer, str):
        raise PromptError(f"{name} must be a string, got {type(answer).__name__}")
    return neutralize(answer)


def _reference_field(template: JudgeTemplate, reference: str | None) -> dict[str, str]:
    if template.needs_reference:
        if not isinstance(reference, str) or not reference.strip():
            raise PromptError(f"template {template.name!r} needs a reference answer; pass reference=...")
        return {"reference": neutralize(reference)}
    if reference is not None:
        raise PromptError(
            f"template {template.name!r} does not show a reference answer; "
            "use a reference-guided template (e.g. 'pair-ref-v1') or pass reference=None"
        )
    return {}


def _require_kind(template: JudgeTemplate, kinds: tuple[str, ...]) -> None:
    if template.kind not in kinds:
        raise PromptError(f"template {template.name!r} is a {template.kind} template; this builder needs {kinds}")


def _messages(template: JudgeTemplate, fields: dict[str, str]) -> list[Message]:
    return [
        {"role": "system", "content": template.system},
        {"role": "user", "content": template.user.format(**fields)},
    ]
