"""Every bad input raises its own PromptError subclass, with a message a person can act on."""

import pytest
from prompt_cases import CLOSED, MULTI, TURNS, WITH_SYSTEM

import prompts
from prompts import (
    DuplicateFormat,
    DuplicateSystemMessage,
    EmptyConversation,
    InvalidFormatOptions,
    InvalidMessage,
    Message,
    NotEndingWithUser,
    ParseError,
    PromptError,
    RolesNotAlternating,
    SystemNotFirst,
    SystemNotSupported,
    UnknownFormat,
    UnknownRole,
    available_formats,
    get_format,
)
from prompts.registry import register_format
from prompts.spec import FormatSpec

OPTIONLESS = [n for n in available_formats() if n != "hf-chat-template"]
# formats whose text marks who speaks ("raw" does not: any text is a raw prompt)
MARKED_FORMATS = [n for n in OPTIONLESS if n not in ("openai-messages", "raw")]
ALTERNATING = [n for n in MARKED_FORMATS if get_format(n).spec.alternating]


def test_every_error_is_a_prompt_error_and_a_value_error():
    errors = [getattr(prompts, name) for name in prompts.__all__]
    subclasses = [e for e in errors if isinstance(e, type) and issubclass(e, Exception)]
    assert len(subclasses) >= 15
    assert all(issubclass(e, PromptError) for e in subclasses)
    assert issubclass(PromptError, ValueError)


def test_unknown_format_lists_known_names():
    with pytest.raises(UnknownFormat) as info:
        get_format("llama-9")
    assert "llama-9" in str(info.value)
    assert "chatml" in str(info.value) and "hf-chat-template" in str(info.value)


def test_formats_without_options_refuse_options():
    with pytest.raises(InvalidFormatOptions, match="takes no options"):
        get_format("chatml", template="{{ messages }}")


def test_registering_a_taken_name_fails():
    with pytest.raises(DuplicateFormat, match="chatml"):
        register_format(get_format("chatml"))


def test_unknown_role():
    with pytest.raises(UnknownRole, match=r"'tool'.*assistant, system, user"):
        Message("tool", "42")
    with pytest.raises(UnknownRole):
        get_format("chatml").render([{"role": "function", "content": "x"}])


@pytest.mark.parametrize("item", [42, "hello", {"role": "user"}, {"content": "x"}])
def test_invalid_message_shapes(item):
    with pytest.raises(InvalidMessage):
        get_format("chatml").render([item])


def test_content_must_be_a_string():
    with pytest.raises(InvalidMessage, match="string"):
        Message("user", None)


@pytest.mark.parametrize("name", OPTIONLESS)
def test_empty_conversation(name):
    with pytest.raises(EmptyConversation, match="add a user message"):
        get_format(name).render([])


@pytest.mark.parametrize("name", OPTIONLESS)
def test_system_message_alone_is_empty(name):
    with pytest.raises(EmptyConversation):
        get_format(name).render([Message("system", "Be brief.")], add_generation_prompt=False)


@pytest.mark.parametrize("name", OPTIONLESS)
def test_generation_prompt_needs_a_final_user_message(name):
    with pytest.raises(NotEndingWithUser, match="last message is from 'assistant'"):
        get_format(name).render(CLOSED if name not in ("mistral", "gemma") else CLOSED[1:])


@pytest.mark.parametrize("name", OPTIONLESS)
def test_duplicate_system_message(name):
    messages = [Message("system", "a"), Message("system", "b"), Message("user", "hi")]
    with pytest.raises(DuplicateSystemMessage, match="2 system messages"):
        get_format(name).render(messages)


@pytest.mark.parametrize("name", OPTIONLESS)
def test_system_message_must_come_first(name):
    messages = [Message("user", "hi"), Message("system", "late"), Message("user", "again")]
    with pytest.raises(SystemNotFirst, match="position 1"):
        get_format(name).render(messages)


@pytest.mark.parametrize("name", ["mistral", "gemma"])
def test_formats_without_system_role(name):
    for messages in (WITH_SYSTEM, MULTI):
        with pytest.raises(SystemNotSupported, match=name):
            get_format(name).render(messages)


def test_alternating_formats_are_those_whose_templates_enforce_it():
    assert ALTERNATING == ["command-r", "gemma", "llama-2", "mistral"]


@pytest.mark.parametrize("name", ALTERNATING)
@pytest.mark.parametrize(
    ("messages", "bad_index"),
    [
        ([Message("user", "a"), Message("user", "b")], 1),
        ([Message("assistant", "a"), Message("user", "b")], 0),
        ([*TURNS, Message("assistant", "x"), Message("assistant", "y"), Message("user", "z")], 4),
    ],
)
def test_alternating_formats_reject_other_orders(name, messages, bad_index):
    with pytest.raises(RolesNotAlternating, match=f"message {bad_index} is from"):
        get_format(name).render(messages)


@pytest.mark.parametrize("name", [n for n in MARKED_FORMATS if n not in ALTERNATING])
def test_other_formats_accept_consecutive_user_messages(name):
    fmt = get_format(name)
    messages = [Message("user", "a"), Message("user", "b")]
    assert fmt.parse(fmt.render(messages))[-2:] == messages


@pytest.mark.parametrize("name", MARKED_FORMATS)
@pytest.mark.parametrize("text", ["", "plain words, no markup", "<|im_start|>user\nunclosed"])
def test_parse_rejects_other_text(name, text):
    if name == "chatml" and text.startswith("<|im_start|>"):
        text = text + "<|im_end|>\nstray"
    with pytest.raises(ParseError):
        get_format(name).parse(text)


def test_raw_reads_any_text_as_one_user_message_but_not_an_empty_one():
    raw = get_format("raw")
    assert raw.parse("plain words, no markup") == [Message("user", "plain words, no markup")]
    with pytest.raises(ParseError, match="empty"):
        raw.parse("")


def test_a_transcript_of_only_a_system_turn_is_not_a_conversation():
    # dolly's system turn has no markers of its own, so any text would read as one
    with pytest.raises(ParseError, match="no user or assistant turn"):
        get_format("dolly").parse("plain words, no markup")


def test_parse_error_names_the_offset():
    with pytest.raises(ParseError, match="offset 0"):
        get_format("chatml").parse("<|im_start|>user\nno end marker")


@pytest.mark.parametrize("text", ["not json", "{}", "[]", '"a string"', '[{"role": "user"}]'])
def test_openai_messages_parse_rejects_bad_json(text):
    with pytest.raises(PromptError):
        get_format("openai-messages").parse(text)


def test_a_spec_must_be_consistent():
    with pytest.raises(PromptError, match="user and assistant"):
        FormatSpec(name="x", wrap={"user": ("", "")}, generation_prompt="", stop=())
    with pytest.raises(PromptError, match="system wrap"):
        FormatSpec(name="x", wrap={"user": ("", ""), "assistant": ("", "")},
                   generation_prompt="", stop=())
