"""The judge's public API: templates, prompt building and verdicts (pure Python, no Django)."""

from evaluators.judge_errors import (
    JudgeError,
    PromptError,
    TemplateError,
    UnknownTemplate,
    VerdictError,
)
from evaluators.judge_prompt import (
    build_pair_prompt,
    build_single_prompt,
    build_swapped_pair_prompts,
    neutralize,
    render_conversation,
)
from evaluators.judge_templates import JudgeTemplate, available_templates, get_template
from evaluators.judge_verdicts import (
    FIVE_VERDICTS,
    PAIR_VERDICTS,
    combine_swapped,
    parse_verdict,
    verdict_to_battles,
)

__all__ = [
    "FIVE_VERDICTS",
    "PAIR_VERDICTS",
    "JudgeError",
    "JudgeTemplate",
    "PromptError",
    "TemplateError",
    "UnknownTemplate",
    "VerdictError",
    "available_templates",
    "build_pair_prompt",
    "build_single_prompt",
    "build_swapped_pair_prompts",
    "combine_swapped",
    "get_template",
    "neutralize",
    "parse_verdict",
    "render_conversation",
    "verdict_to_battles",
]
