"""parse(render(m)) == m for every text format and every conversation it can express."""

import pytest
from prompt_cases import CLOSED, MULTI, SINGLE, TURNS, WITH_SYSTEM

from prompts import Message, available_formats, detect, get_format

TEXT_FORMATS = [n for n in available_formats() if n not in ("hf-chat-template", "openai-messages")]

AWKWARD = [
    Message("system", "Rules:\n1. Be brief.\n2. Use French words."),
    Message("user", "Line one\nline two\n\nand a blank line before this one"),
    Message("assistant", "Réponse: «bonjour» 👋 — done"),
    Message("user", "Spaces inside  the   text, a colon: here, and </ tags >"),
]
PADDED = [Message("user", "  padded question  "), Message("assistant", "\n padded answer \n"),
          Message("user", "last")]

CONVERSATIONS = {
    "single": (SINGLE, True),
    "system": (WITH_SYSTEM, True),
    "turns": (TURNS, True),
    "multi": (MULTI, True),
    "closed": (CLOSED, False),
    "closed-no-system": (CLOSED[1:], False),
    "awkward": (AWKWARD, True),
    "awkward-no-system": (AWKWARD[1:], True),
    "padded": (PADDED, True),
}


NO_SYSTEM_ROLE = {"mistral", "gemma"}  # their templates reject a system message


def expressible(name, messages):
    """Raw text keeps no roles: it can only give back a conversation of one user message."""
    if name == "raw":
        return len(messages) == 1 and messages[0].role == "user"
    return not (name in NO_SYSTEM_ROLE and messages[0].role == "system")


CASES = [
    pytest.param(name, case, id=f"{name}-{case}")
    for name in TEXT_FORMATS
    for case, (messages, _) in CONVERSATIONS.items()
    if expressible(name, messages)
]


def expected_after_parse(name, messages):
    """What parse() gives back: stripped contents where the template strips them, and the
    format's default system prompt where it writes one."""
    spec = getattr(get_format(name), "spec", None)
    if spec is None:  # raw: the text as it stands
        return messages
    messages = [Message(m.role, m.content.strip() if m.role in spec.strip_roles else m.content)
                for m in messages]
    if spec.default_system is not None and messages[0].role != "system":
        messages = [Message("system", spec.default_system), *messages]
    return messages


@pytest.mark.parametrize(("name", "case"), CASES)
def test_round_trip(name, case):
    messages, add_generation_prompt = CONVERSATIONS[case]
    fmt = get_format(name)
    text = fmt.render(messages, add_generation_prompt=add_generation_prompt)
    assert fmt.parse(text) == expected_after_parse(name, messages)


@pytest.mark.parametrize(("name", "case"), [c for c in CASES if c.values[0] != "raw"])
def test_detect_finds_a_format_rendering_the_same_text(name, case):
    messages, add_generation_prompt = CONVERSATIONS[case]
    text = get_format(name).render(messages, add_generation_prompt=add_generation_prompt)
    detected = detect(text)
    assert detected is not None
    if detected != name:  # only when both formats write this very text
        other = get_format(detected)
        assert other.render(other.parse(text), add_generation_prompt) == text


def test_every_format_has_round_trip_cases():
    assert {name for name, _ in (p.values for p in CASES)} == set(TEXT_FORMATS)


def test_padded_contents_are_stripped_only_where_the_template_strips():
    messages, _ = CONVERSATIONS["padded"]
    assert get_format("chatml").parse(get_format("chatml").render(messages)) == messages
    stripped = get_format("llama-3").parse(get_format("llama-3").render(messages))
    assert [m.content for m in stripped] == ["padded question", "padded answer", "last"]


@pytest.mark.parametrize("case", CONVERSATIONS)
def test_detect_never_names_raw(case):
    messages, add_generation_prompt = CONVERSATIONS[case]
    assert detect(get_format("raw").render(messages, add_generation_prompt)) is None


def test_command_r_strips_turns_but_not_the_system_preamble():
    messages = [Message("system", " preamble\n"), *PADDED]
    parsed = get_format("command-r").parse(get_format("command-r").render(messages))
    assert [m.content for m in parsed] == [" preamble\n", "padded question", "padded answer", "last"]


def test_detect_returns_none_for_plain_text():
    assert detect("Just a question without any chat markup?") is None
    assert detect("") is None
