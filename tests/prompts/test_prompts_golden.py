"""Exact prompts for every text format, each checked against the template it cites.

Each expected string is what the cited template renders for the same messages (checked with
transformers' chat template renderer, or FastChat's Conversation.get_prompt() for Vicuna).
"""

import pytest
from prompt_cases import CLOSED, MULTI, SINGLE, TURNS, WITH_SYSTEM

from prompts import Message, available_formats, detect, get_format

GOLDEN = [
    # ChatML, from the chat template of teknium/OpenHermes-2.5-Mistral-7B
    ("chatml", "single", SINGLE,
     ("<|im_start|>user\nWhat is the capital of France?<|im_end|>\n"
      "<|im_start|>assistant\n")),
    ("chatml", "system", WITH_SYSTEM,
     ("<|im_start|>system\nYou are a concise assistant.<|im_end|>\n"
      "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n"
      "<|im_start|>assistant\n")),
    ("chatml", "multi", MULTI,
     ("<|im_start|>system\nYou are a concise assistant.<|im_end|>\n"
      "<|im_start|>user\nHi!<|im_end|>\n"
      "<|im_start|>assistant\nHello! How can I help?<|im_end|>\n"
      "<|im_start|>user\nName a prime number.<|im_end|>\n"
      "<|im_start|>assistant\n")),
    # Llama 2, from the chat template of meta-llama/Llama-2-7b-chat-hf
    ("llama-2", "single", SINGLE,
     "<s>[INST] What is the capital of France? [/INST]"),
    ("llama-2", "system", WITH_SYSTEM,
     ("<s>[INST] <<SYS>>\nYou are a concise assistant.\n<</SYS>>\n\n"
      "What is the capital of France? [/INST]")),
    ("llama-2", "multi", MULTI,
     ("<s>[INST] <<SYS>>\nYou are a concise assistant.\n<</SYS>>\n\nHi! [/INST]"
      " Hello! How can I help? </s>"
      "<s>[INST] Name a prime number. [/INST]")),
    # Llama 3, from the chat template of meta-llama/Meta-Llama-3-8B-Instruct
    ("llama-3", "single", SINGLE,
     ("<|begin_of_text|>"
      "<|start_header_id|>user<|end_header_id|>\n\nWhat is the capital of France?<|eot_id|>"
      "<|start_header_id|>assistant<|end_header_id|>\n\n")),
    ("llama-3", "system", WITH_SYSTEM,
     ("<|begin_of_text|>"
      "<|start_header_id|>system<|end_header_id|>\n\nYou are a concise assistant.<|eot_id|>"
      "<|start_header_id|>user<|end_header_id|>\n\nWhat is the capital of France?<|eot_id|>"
      "<|start_header_id|>assistant<|end_header_id|>\n\n")),
    ("llama-3", "multi", MULTI,
     ("<|begin_of_text|>"
      "<|start_header_id|>system<|end_header_id|>\n\nYou are a concise assistant.<|eot_id|>"
      "<|start_header_id|>user<|end_header_id|>\n\nHi!<|eot_id|>"
      "<|start_header_id|>assistant<|end_header_id|>\n\nHello! How can I help?<|eot_id|>"
      "<|start_header_id|>user<|end_header_id|>\n\nName a prime number.<|eot_id|>"
      "<|start_header_id|>assistant<|end_header_id|>\n\n")),
    # Mistral [INST], from the chat template of mistralai/Mixtral-8x7B-Instruct-v0.1
    # (no system role: see test_prompts_errors.py)
    ("mistral", "single", SINGLE,
     "<s>[INST] What is the capital of France? [/INST]"),
    ("mistral", "multi", TURNS,
     "<s>[INST] Hi! [/INST]Hello! How can I help?</s>[INST] Name a prime number. [/INST]"),
    # Gemma, from the chat template of google/gemma-7b-it (no system role)
    ("gemma", "single", SINGLE,
     ("<bos><start_of_turn>user\nWhat is the capital of France?<end_of_turn>\n"
      "<start_of_turn>model\n")),
    ("gemma", "multi", TURNS,
     ("<bos><start_of_turn>user\nHi!<end_of_turn>\n"
      "<start_of_turn>model\nHello! How can I help?<end_of_turn>\n"
      "<start_of_turn>user\nName a prime number.<end_of_turn>\n"
      "<start_of_turn>model\n")),
    # Zephyr, from the chat template of HuggingFaceH4/zephyr-7b-beta
    ("zephyr", "single", SINGLE,
     "<|user|>\nWhat is the capital of France?</s>\n<|assistant|>\n"),
    ("zephyr", "system", WITH_SYSTEM,
     ("<|system|>\nYou are a concise assistant.</s>\n"
      "<|user|>\nWhat is the capital of France?</s>\n<|assistant|>\n")),
    ("zephyr", "multi", MULTI,
     ("<|system|>\nYou are a concise assistant.</s>\n"
      "<|user|>\nHi!</s>\n"
      "<|assistant|>\nHello! How can I help?</s>\n"
      "<|user|>\nName a prime number.</s>\n"
      "<|assistant|>\n")),
    # Phi-3, from the chat template of microsoft/Phi-3.5-mini-instruct
    ("phi-3", "single", SINGLE,
     "<|user|>\nWhat is the capital of France?<|end|>\n<|assistant|>\n"),
    ("phi-3", "system", WITH_SYSTEM,
     ("<|system|>\nYou are a concise assistant.<|end|>\n"
      "<|user|>\nWhat is the capital of France?<|end|>\n<|assistant|>\n")),
    ("phi-3", "multi", MULTI,
     ("<|system|>\nYou are a concise assistant.<|end|>\n"
      "<|user|>\nHi!<|end|>\n"
      "<|assistant|>\nHello! How can I help?<|end|>\n"
      "<|user|>\nName a prime number.<|end|>\n"
      "<|assistant|>\n")),
    # Vicuna v1.1, from lm-sys/FastChat fastchat/conversation.py ("vicuna_v1.1"); with no
    # system message FastChat writes its default one
    ("vicuna", "single", SINGLE,
     ("A chat between a curious user and an artificial intelligence assistant. The assistant "
      "gives helpful, detailed, and polite answers to the user's questions. "
      "USER: What is the capital of France? ASSISTANT:")),
    ("vicuna", "system", WITH_SYSTEM,
     "You are a concise assistant. USER: What is the capital of France? ASSISTANT:"),
    ("vicuna", "multi", MULTI,
     ("You are a concise assistant. USER: Hi! ASSISTANT: Hello! How can I help?</s>"
      "USER: Name a prime number. ASSISTANT:")),
]

# Finished conversations (no generation prompt), from the same sources.
GOLDEN_CLOSED = [
    ("chatml", CLOSED,
     ("<|im_start|>system\nYou are a concise assistant.<|im_end|>\n"
      "<|im_start|>user\nHi!<|im_end|>\n"
      "<|im_start|>assistant\nHello! How can I help?<|im_end|>\n"
      "<|im_start|>user\nName a prime number.<|im_end|>\n"
      "<|im_start|>assistant\n7<|im_end|>\n")),
    ("llama-2", CLOSED,
     ("<s>[INST] <<SYS>>\nYou are a concise assistant.\n<</SYS>>\n\nHi! [/INST]"
      " Hello! How can I help? </s><s>[INST] Name a prime number. [/INST] 7 </s>")),
    ("mistral", CLOSED[1:],
     "<s>[INST] Hi! [/INST]Hello! How can I help?</s>[INST] Name a prime number. [/INST]7</s>"),
    ("phi-3", CLOSED,
     ("<|system|>\nYou are a concise assistant.<|end|>\n"
      "<|user|>\nHi!<|end|>\n"
      "<|assistant|>\nHello! How can I help?<|end|>\n"
      "<|user|>\nName a prime number.<|end|>\n"
      "<|assistant|>\n7<|end|>\n<|endoftext|>")),
    ("vicuna", CLOSED,
     ("You are a concise assistant. USER: Hi! ASSISTANT: Hello! How can I help?</s>"
      "USER: Name a prime number. ASSISTANT: 7</s>")),
]

# A single user turn renders the same in Llama 2 and Mistral; detect() names the first
# registered of the two (see prompts.catalog.SPECS).
SAME_TEXT = {("mistral", "single"): "llama-2"}

_ids = [f"{name}-{case}" for name, case, _, _ in GOLDEN]


@pytest.mark.parametrize(("name", "case", "messages", "expected"), GOLDEN, ids=_ids)
def test_render_matches_golden(name, case, messages, expected):
    assert get_format(name).render(messages) == expected


@pytest.mark.parametrize(("name", "case", "messages", "expected"), GOLDEN, ids=_ids)
def test_parse_reads_golden_back(name, case, messages, expected):
    parsed = get_format(name).parse(expected)
    if name == "vicuna" and messages[0].role != "system":
        # the default system prompt is part of the text, so it is part of the conversation
        messages = [Message("system", get_format("vicuna").spec.default_system), *messages]
    assert parsed == messages


@pytest.mark.parametrize(("name", "case", "messages", "expected"), GOLDEN, ids=_ids)
def test_detect_names_golden_format(name, case, messages, expected):
    assert detect(expected) == SAME_TEXT.get((name, case), name)


@pytest.mark.parametrize(
    ("name", "messages", "expected"), GOLDEN_CLOSED, ids=[row[0] for row in GOLDEN_CLOSED]
)
def test_closed_conversation_golden_round_trip_and_detect(name, messages, expected):
    fmt = get_format(name)
    assert fmt.render(messages, add_generation_prompt=False) == expected
    assert fmt.parse(expected) == messages
    assert detect(expected) == name


TEXT_FORMATS = sorted({row[0] for row in GOLDEN})


def test_available_formats_are_sorted_and_complete():
    assert available_formats() == sorted([*TEXT_FORMATS, "hf-chat-template", "openai-messages"])


@pytest.mark.parametrize("name", TEXT_FORMATS)
def test_stop_ends_an_answer_in_that_format(name):
    fmt = get_format(name)
    messages = CLOSED if name not in ("mistral", "gemma") else CLOSED[1:]
    closed = fmt.render(messages, add_generation_prompt=False)
    # the answer "7" is followed by the format's end-of-turn marker, which stops generation
    after_answer = closed[closed.rindex("7") + 1 :]
    assert after_answer.lstrip(" ").startswith(fmt.stop[0])


@pytest.mark.parametrize("name", TEXT_FORMATS)
def test_bos_token_is_declared_when_the_text_carries_it(name):
    fmt = get_format(name)
    text = fmt.render(SINGLE)
    known_bos = ("<s>", "<bos>", "<|begin_of_text|>")
    assert fmt.bos_token == next((b for b in known_bos if text.startswith(b)), "")
