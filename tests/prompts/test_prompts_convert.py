"""Converters (OpenAI messages, ShareGPT) and the "openai-messages" format."""

import json

import pytest
from prompt_cases import CLOSED, MULTI

from prompts import (
    Message,
    NotEndingWithUser,
    ParseError,
    UnknownRole,
    detect,
    get_format,
)
from prompts.convert import from_sharegpt, to_openai_messages, to_sharegpt

MULTI_DICTS = [
    {"role": "system", "content": "You are a concise assistant."},
    {"role": "user", "content": "Hi!"},
    {"role": "assistant", "content": "Hello! How can I help?"},
    {"role": "user", "content": "Name a prime number."},
]
MULTI_SHAREGPT = {
    "conversations": [
        {"from": "system", "value": "You are a concise assistant."},
        {"from": "human", "value": "Hi!"},
        {"from": "gpt", "value": "Hello! How can I help?"},
        {"from": "human", "value": "Name a prime number."},
    ]
}


def test_to_openai_messages():
    assert to_openai_messages(MULTI) == MULTI_DICTS
    assert to_openai_messages(MULTI_DICTS) == MULTI_DICTS


def test_openai_messages_format_renders_what_a_chat_api_receives():
    fmt = get_format("openai-messages")
    assert fmt.render(MULTI) == MULTI_DICTS
    assert fmt.stop == ()
    with pytest.raises(NotEndingWithUser):
        fmt.render(CLOSED)
    assert fmt.render(CLOSED, add_generation_prompt=False)[-1] == {"role": "assistant", "content": "7"}


def test_openai_messages_parse_and_detect_json():
    text = json.dumps(MULTI_DICTS)
    assert get_format("openai-messages").parse(text) == MULTI
    assert get_format("openai-messages").parse(json.dumps({"messages": MULTI_DICTS})) == MULTI
    assert detect(text) == "openai-messages"


def test_sharegpt_both_ways():
    assert to_sharegpt(MULTI) == MULTI_SHAREGPT
    assert from_sharegpt(MULTI_SHAREGPT) == MULTI
    assert from_sharegpt(json.dumps(to_sharegpt(CLOSED))) == CLOSED


def test_from_sharegpt_reads_common_role_spellings():
    record = {"conversations": [{"from": "user", "value": "q"}, {"from": "chatgpt", "value": "a"},
                                {"from": "assistant", "value": "b"}]}
    assert from_sharegpt(record) == [Message("user", "q"), Message("assistant", "a"),
                                     Message("assistant", "b")]


@pytest.mark.parametrize(
    "record",
    ["not json", [], {"turns": []}, {"conversations": [{"from": "human"}]},
     {"conversations": ["hello"]}],
)
def test_from_sharegpt_rejects_other_shapes(record):
    with pytest.raises(ParseError):
        from_sharegpt(record)


def test_from_sharegpt_unknown_speaker():
    with pytest.raises(UnknownRole, match="'bard'"):
        from_sharegpt({"conversations": [{"from": "bard", "value": "x"}]})
