"""Exact prompts for every text format, each checked against the source it cites.

The expected strings live in golden_templates.py (formats with an official chat template) and
golden_repos.py (formats defined by their authors' repository or FastChat).
"""

import golden_repos
import golden_templates
import pytest
from prompt_cases import CLOSED, SINGLE

from prompts import Message, available_formats, detect, get_format

GOLDEN = golden_templates.GOLDEN + golden_repos.GOLDEN
GOLDEN_CLOSED = golden_templates.GOLDEN_CLOSED + golden_repos.GOLDEN_CLOSED

# What detect() names when it cannot name the format itself:
# - a single user turn renders the same in Llama 2 and Mistral; the first registered of the two
#   wins (see prompts.catalog.SPECS);
# - raw text carries no markup, so any text is a raw prompt: detect() never names "raw".
DETECTED = {("mistral", "single"): "llama-2"} | {("raw", case): None for case in ("single", "system", "multi")}

NO_SYSTEM_ROLE = ("mistral", "gemma")  # their templates reject a system message
TEXT_FORMATS = sorted({row[0] for row in GOLDEN})

_ids = [f"{name}-{case}" for name, case, _, _ in GOLDEN]


def expected_parse(name, messages, text):
    """What parse() reads back: the default system prompt is part of the text, so it is part of
    the conversation; raw text keeps no roles, so it reads back as one user message."""
    if name == "raw":
        return [Message("user", text)]
    default = get_format(name).spec.default_system
    if default is not None and messages[0].role != "system":
        return [Message("system", default), *messages]
    return messages


@pytest.mark.parametrize(("name", "case", "messages", "expected"), GOLDEN, ids=_ids)
def test_render_matches_golden(name, case, messages, expected):
    assert get_format(name).render(messages) == expected


@pytest.mark.parametrize(("name", "case", "messages", "expected"), GOLDEN, ids=_ids)
def test_parse_reads_golden_back(name, case, messages, expected):
    assert get_format(name).parse(expected) == expected_parse(name, messages, expected)


@pytest.mark.parametrize(("name", "case", "messages", "expected"), GOLDEN, ids=_ids)
def test_detect_names_golden_format(name, case, messages, expected):
    assert detect(expected) == DETECTED.get((name, case), name)


@pytest.mark.parametrize(
    ("name", "messages", "expected"), GOLDEN_CLOSED, ids=[row[0] for row in GOLDEN_CLOSED]
)
def test_closed_conversation_golden_round_trip_and_detect(name, messages, expected):
    fmt = get_format(name)
    assert fmt.render(messages, add_generation_prompt=False) == expected
    assert fmt.parse(expected) == messages
    assert detect(expected) == name


def test_every_format_has_golden_cases():
    cases = {(name, case) for name, case, _, _ in GOLDEN}
    for name in TEXT_FORMATS:
        wanted = {"single", "multi"} if name in NO_SYSTEM_ROLE else {"single", "system", "multi"}
        assert {case for n, case in cases if n == name} == wanted, name
    closed = {row[0] for row in GOLDEN_CLOSED}
    assert closed >= set(TEXT_FORMATS) - {"raw", "gemma", "llama-3", "zephyr"}


def test_available_formats_are_sorted_and_complete():
    assert available_formats() == sorted([*TEXT_FORMATS, "hf-chat-template", "openai-messages"])


def test_the_issue_lists_canonical_names():
    required = {"raw", "alpaca", "vicuna", "llama-2", "llama-3", "mistral", "chatml", "zephyr", "gemma",
                "phi-3", "dolly", "koala", "oasst", "stablelm", "openchat", "deepseek", "command-r",
                "baize", "tulu"}
    assert required <= set(available_formats())


@pytest.mark.parametrize("name", [n for n in TEXT_FORMATS if n != "raw"])
def test_stop_comes_between_an_answer_and_the_next_question(name):
    """The format's first stop string is what the model was trained to write after an answer
    (its end-of-turn marker, or for StableLM and Baize the next turn's marker)."""
    fmt = get_format(name)
    messages = CLOSED if name not in NO_SYSTEM_ROLE else CLOSED[1:]
    text = fmt.render([*messages, Message("user", "Go on.")])
    between = text[text.rindex("7") + 1 : text.rindex("Go on.")]
    assert fmt.stop[0] in between


KNOWN_BOS = ("<s>", "<bos>", "<|begin_of_text|>", "<｜begin▁of▁sentence｜>", "<BOS_TOKEN>")


@pytest.mark.parametrize("name", TEXT_FORMATS)
def test_bos_token_is_declared_when_the_text_carries_it(name):
    fmt = get_format(name)
    text = fmt.render(SINGLE)
    assert fmt.bos_token == next((b for b in KNOWN_BOS if text.startswith(b)), "")
