"""The text prompt formats, as data. Each cites the template it reproduces character for character.

Golden strings for each live in tests/prompts/test_golden.py.
"""

from __future__ import annotations

from prompts.messages import ASSISTANT, ROLES, SYSTEM, USER
from prompts.spec import FormatSpec

ALL_ROLES = frozenset(ROLES)


def _headed(header: str, end: str, names: dict[str, str] | None = None) -> dict[str, tuple[str, str]]:
    """role -> (header with the role's name in it, end) for formats that name each turn's role."""
    names = names or {SYSTEM: SYSTEM, USER: USER, ASSISTANT: ASSISTANT}
    return {role: (header.format(role=name), end) for role, name in names.items()}


CHATML = FormatSpec(
    name="chatml",
    wrap=_headed("<|im_start|>{role}\n", "<|im_end|>\n"),
    generation_prompt="<|im_start|>assistant\n",
    stop=("<|im_end|>",),
    source="ChatML chat template of teknium/OpenHermes-2.5-Mistral-7B (tokenizer_config.json); "
    "HuggingFaceTB/SmolLM2-*-Instruct use the same turns",
)

LLAMA_2 = FormatSpec(
    name="llama-2",
    wrap={USER: ("<s>[INST] ", " [/INST]"), ASSISTANT: (" ", " </s>")},
    generation_prompt="",
    stop=("</s>",),
    bos_token="<s>",
    system="first_user",
    system_in_user=("<<SYS>>\n", "\n<</SYS>>\n\n"),
    strip_roles=ALL_ROLES,
    alternating=True,
    source="chat template of meta-llama/Llama-2-7b-chat-hf (tokenizer_config.json)",
)

LLAMA_3 = FormatSpec(
    name="llama-3",
    wrap=_headed("<|start_header_id|>{role}<|end_header_id|>\n\n", "<|eot_id|>"),
    generation_prompt="<|start_header_id|>assistant<|end_header_id|>\n\n",
    stop=("<|eot_id|>", "<|end_of_text|>"),
    lead="<|begin_of_text|>",
    bos_token="<|begin_of_text|>",
    strip_roles=ALL_ROLES,
    source="chat template of meta-llama/Meta-Llama-3-8B-Instruct (tokenizer_config.json)",
)

MISTRAL = FormatSpec(
    name="mistral",
    wrap={USER: ("[INST] ", " [/INST]"), ASSISTANT: ("", "</s>")},
    generation_prompt="",
    stop=("</s>",),
    lead="<s>",
    bos_token="<s>",
    system="none",
    alternating=True,
    source="chat template of mistralai/Mixtral-8x7B-Instruct-v0.1 (tokenizer_config.json), "
    "the [INST] format of Mistral-7B-Instruct-v0.1",
)

GEMMA = FormatSpec(
    name="gemma",
    wrap=_headed("<start_of_turn>{role}\n", "<end_of_turn>\n", {USER: "user", ASSISTANT: "model"}),
    generation_prompt="<start_of_turn>model\n",
    stop=("<end_of_turn>", "<eos>"),
    lead="<bos>",
    bos_token="<bos>",
    system="none",
    strip_roles=ALL_ROLES,
    alternating=True,
    source="chat template of google/gemma-7b-it (tokenizer_config.json); gemma-2-*-it is the same",
)

ZEPHYR = FormatSpec(
    name="zephyr",
    wrap=_headed("<|{role}|>\n", "</s>\n"),
    generation_prompt="<|assistant|>\n",
    stop=("</s>",),
    source="chat template of HuggingFaceH4/zephyr-7b-beta (tokenizer_config.json)",
)

PHI_3 = FormatSpec(
    name="phi-3",
    wrap=_headed("<|{role}|>\n", "<|end|>\n"),
    generation_prompt="<|assistant|>\n",
    closing="<|endoftext|>",
    stop=("<|end|>", "<|endoftext|>"),
    omit_empty_system=True,
    source="chat template of microsoft/Phi-3.5-mini-instruct (tokenizer_config.json)",
)

VICUNA = FormatSpec(
    name="vicuna",
    wrap={SYSTEM: ("", " "), USER: ("USER: ", " "), ASSISTANT: ("ASSISTANT: ", "</s>")},
    generation_prompt="ASSISTANT:",
    stop=("</s>",),
    default_system="A chat between a curious user and an artificial intelligence assistant. "
    "The assistant gives helpful, detailed, and polite answers to the user's questions.",
    source='lm-sys/FastChat fastchat/conversation.py, template "vicuna_v1.1" '
    "(SeparatorStyle.ADD_COLON_TWO, sep=' ', sep2='</s>')",
)

# Order matters for detect(): a transcript two formats render identically (a single Mistral
# turn is also a Llama 2 turn) is reported as the earlier one.
SPECS: tuple[FormatSpec, ...] = (CHATML, LLAMA_3, GEMMA, PHI_3, ZEPHYR, LLAMA_2, MISTRAL, VICUNA)
