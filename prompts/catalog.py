"""The text prompt formats, as data. Each cites the template it reproduces character for character.

A format with an official Hugging Face chat template follows that template; the others follow
their authors' repository (or FastChat's conversation.py where the authors never wrote a
multi-turn layout). Golden strings for each live in tests/prompts/golden_*.py.
"""

from __future__ import annotations

from prompts.messages import ASSISTANT, ROLES, SYSTEM, USER
from prompts.spec import FormatSpec

ALL_ROLES = frozenset(ROLES)


def _headed(header: str, end: str, names: dict[str, str] | None = None) -> dict[str, tuple[str, str]]:
    """role -> (header with the role's name in it, end) for formats that name each turn's role."""
    names = names or {SYSTEM: SYSTEM, USER: USER, ASSISTANT: ASSISTANT}
    return {role: (header.format(role=name), end) for role, name in names.items()}


# --- formats defined by an official chat template (tokenizer_config.json) --------------------

CHATML = FormatSpec(
    name="chatml",
    wrap=_headed("<|im_start|>{role}\n", "<|im_end|>\n"),
    generation_prompt="<|im_start|>assistant\n",
    stop=("<|im_end|>",),
    source="ChatML chat template of teknium/OpenHermes-2.5-Mistral-7B (tokenizer_config.json); "
    "HuggingFaceTB/SmolLM2-*-Instruct, Qwen and Yi chat models use the same turns",
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

# Tulu 2's template writes no system turn (it silently drops one); its authors' open-instruct
# code writes "<|system|>\n...\n", which is what we write rather than losing the text.
TULU = FormatSpec(
    name="tulu",
    wrap={SYSTEM: ("<|system|>\n", "\n"), USER: ("<|user|>\n", "\n"), ASSISTANT: ("<|assistant|>\n", "</s>\n")},
    generation_prompt="<|assistant|>\n",
    stop=("</s>",),
    source="chat template of allenai/tulu-2-dpo-7b (tokenizer_config.json); the system turn from "
    "allenai/open-instruct create_prompt_with_tulu_chat_format",
)

# The official template titles the role, so a system message becomes "GPT4 Correct System:".
OPENCHAT = FormatSpec(
    name="openchat",
    wrap=_headed("GPT4 Correct {role}: ", "<|end_of_turn|>", {SYSTEM: "System", USER: "User", ASSISTANT: "Assistant"}),
    generation_prompt="GPT4 Correct Assistant:",
    stop=("<|end_of_turn|>",),
    lead="<s>",
    bos_token="<s>",
    source="chat template of openchat/openchat-3.5-0106 (tokenizer_config.json)",
)

DEEPSEEK_BOS, DEEPSEEK_EOS = "<\uff5cbegin\u2581of\u2581sentence\uff5c>", "<\uff5cend\u2581of\u2581sentence\uff5c>"

DEEPSEEK = FormatSpec(
    name="deepseek",
    wrap={SYSTEM: ("", "\n\n"), USER: ("User: ", "\n\n"), ASSISTANT: ("Assistant: ", DEEPSEEK_EOS)},
    generation_prompt="Assistant:",
    stop=(DEEPSEEK_EOS,),
    lead=DEEPSEEK_BOS,
    bos_token=DEEPSEEK_BOS,
    source="DeepSeek-LLM-Chat: chat template of deepseek-ai/deepseek-llm-7b-chat "
    "(tokenizer_config.json); 67b-chat is the same. Not DeepSeek-Coder-instruct",
)

# The template names a default preamble ("You are Command-R, ...") behind `elif false == true`,
# so it never writes it: without a system message there is no system turn.
COMMAND_R = FormatSpec(
    name="command-r",
    wrap={
        SYSTEM: ("<|START_OF_TURN_TOKEN|><|SYSTEM_TOKEN|>", "<|END_OF_TURN_TOKEN|>"),
        USER: ("<|START_OF_TURN_TOKEN|><|USER_TOKEN|>", "<|END_OF_TURN_TOKEN|>"),
        ASSISTANT: ("<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>", "<|END_OF_TURN_TOKEN|>"),
    },
    generation_prompt="<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>",
    stop=("<|END_OF_TURN_TOKEN|>",),
    lead="<BOS_TOKEN>",
    bos_token="<BOS_TOKEN>",
    strip_roles=frozenset({USER, ASSISTANT}),
    alternating=True,
    source="default chat template of CohereForAI/c4ai-command-r-v01 (tokenizer_config.json)",
)

# --- formats defined by their authors' repository or FastChat's conversation.py ----------------

# A given system message replaces the default one, as FastChat's set_system_message does.
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

KOALA = FormatSpec(
    name="koala",
    wrap={SYSTEM: ("", " "), USER: ("USER: ", " "), ASSISTANT: ("GPT: ", "</s>")},
    generation_prompt="GPT:",
    stop=("</s>",),
    default_system="BEGINNING OF CONVERSATION:",
    source='lm-sys/FastChat fastchat/conversation.py, template "koala_v1" '
    "(SeparatorStyle.ADD_COLON_TWO, sep=' ', sep2='</s>')",
)

ALPACA_PREAMBLE = (
    "Below is an instruction that describes a task. Write a response that appropriately completes the request."
)

# One turn is Stanford Alpaca's training text, prompt_no_input + output + EOS, character for
# character ("### Instruction:\n", nothing between "### Response:" and the answer). Further turns
# follow FastChat's "alpaca" template: the next instruction comes right after the answer's
# "</s>". FastChat writes "### Instruction: " with a space; we keep the newline Alpaca learned.
# "### Instruction:" also stops: a model that skips the EOS goes on to write the next instruction.
ALPACA = FormatSpec(
    name="alpaca",
    wrap={SYSTEM: ("", "\n\n"), USER: ("### Instruction:\n", "\n\n"), ASSISTANT: ("### Response:", "</s>")},
    generation_prompt="### Response:",
    stop=("</s>", "### Instruction:"),
    default_system=ALPACA_PREAMBLE,
    source="tatsu-lab/stanford_alpaca train.py (PROMPT_DICT['prompt_no_input'], target = output + "
    'eos_token); multi-turn as lm-sys/FastChat conversation.py template "alpaca"',
)

# One turn is databrickslabs/dolly's training format (training/consts.py): the answer is closed
# by a blank line and "### End". Further turns are joined by a blank line, as FastChat's
# "dolly_v2" template joins them (FastChat drops the blank line before "### End"; dolly has it).
DOLLY = FormatSpec(
    name="dolly",
    wrap={
        SYSTEM: ("", ""),
        USER: ("\n\n### Instruction:\n", "\n\n"),
        ASSISTANT: ("### Response:\n", "\n\n### End"),
    },
    generation_prompt="### Response:\n",
    stop=("### End", "### Instruction:"),
    default_system=ALPACA_PREAMBLE,
    source="databrickslabs/dolly training/consts.py (PROMPT_NO_INPUT_FORMAT, "
    "PROMPT_FOR_GENERATION_FORMAT) for databricks/dolly-v2-*",
)

# OpenAssistant/oasst-sft-4-pythia-12b-epoch-3.5's model card: <|prompter|> and <|assistant|> open
# the turns, <|endoftext|> ends each. The system turn is Open-Assistant's format_system_prefix
# (model/model_training/custom_datasets/formatting.py).
OASST = FormatSpec(
    name="oasst",
    wrap={
        SYSTEM: ("<|system|>", "<|endoftext|>"),
        USER: ("<|prompter|>", "<|endoftext|>"),
        ASSISTANT: ("<|assistant|>", "<|endoftext|>"),
    },
    generation_prompt="<|assistant|>",
    stop=("<|endoftext|>",),
    source="model card of OpenAssistant/oasst-sft-4-pythia-12b-epoch-3.5; lm-sys/FastChat "
    'template "oasst_pythia"',
)

STABLELM_SYSTEM = (
    "# StableLM Tuned (Alpha version)\n"
    "- StableLM is a helpful and harmless open-source AI language model developed by StabilityAI.\n"
    "- StableLM is excited to be able to help the user, but will refuse to do anything that could be "
    "considered harmful to the user.\n"
    "- StableLM is more than just an information source, StableLM is also able to write poetry, short "
    "stories, and make jokes.\n"
    "- StableLM will refuse to participate in anything that could harm a human.\n"
)

# Turns have no end marker: the model ends its answer by writing the next turn's token, so the
# README stops on <|USER|>, <|ASSISTANT|>, <|SYSTEM|>, <|padding|> and <|endoftext|>.
STABLELM = FormatSpec(
    name="stablelm",
    wrap={SYSTEM: ("<|SYSTEM|>", ""), USER: ("<|USER|>", ""), ASSISTANT: ("<|ASSISTANT|>", "")},
    generation_prompt="<|ASSISTANT|>",
    stop=("<|USER|>", "<|ASSISTANT|>", "<|SYSTEM|>", "<|padding|>", "<|endoftext|>"),
    default_system=STABLELM_SYSTEM,
    source="README of Stability-AI/StableLM and stabilityai/stablelm-tuned-alpha-7b (system_prompt, "
    'StopOnTokens); lm-sys/FastChat template "stablelm"',
)

BAIZE_SYSTEM = (
    "The following is a conversation between a human and an AI assistant named Baize (named after a "
    "mythical creature in Chinese folklore). Baize is an open-source AI assistant developed by UCSD and "
    "Sun Yat-Sen University. The human and the AI assistant take turns chatting. Human statements start "
    "with [|Human|] and AI assistant statements start with [|AI|]. The AI assistant always provides "
    "responses in as much detail as possible, and in Markdown format. The AI assistant always declines "
    "to engage with topics, questions and instructions related to unethical, controversial, or "
    "sensitive issues. Complete the transcript in exactly that format."
)

# The preamble is always followed by a fixed one-shot exchange ("Hello!" / "Hi!"); a given system
# message replaces the preamble only, as in FastChat. Each turn starts on a new line.
BAIZE = FormatSpec(
    name="baize",
    wrap={SYSTEM: ("", "\n[|Human|]Hello!\n[|AI|]Hi!"), USER: ("\n[|Human|]", ""), ASSISTANT: ("\n[|AI|]", "")},
    generation_prompt="\n[|AI|]",
    stop=("[|Human|]", "[|AI|]"),
    default_system=BAIZE_SYSTEM,
    source="project-baize/baize-chatbot demo/app.py generate_prompt_with_history; lm-sys/FastChat "
    'template "baize"',
)

# Order matters for detect(): a transcript two formats render identically (a single Mistral
# turn is also a Llama 2 turn) is reported as the earlier one.
SPECS: tuple[FormatSpec, ...] = (
    CHATML, LLAMA_3, GEMMA, PHI_3, ZEPHYR, TULU, LLAMA_2, MISTRAL, COMMAND_R, OPENCHAT, DEEPSEEK,
    VICUNA, KOALA, ALPACA, DOLLY, OASST, STABLELM, BAIZE,
)
