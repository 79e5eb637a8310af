"""The "hf-chat-template" format: a model's own chat template rendered by transformers."""

import pytest
from prompt_cases import CLOSED, MULTI, SINGLE, TURNS, WITH_SYSTEM

from prompts import (
    InvalidFormatOptions,
    Message,
    NotEndingWithUser,
    ParseError,
    TemplateFailed,
    detect,
    get_format,
)
from prompts.counting import counter_for_tokenizer

# What SmolLM2's embedded template writes when the conversation has no system message.
SMOLLM2_DEFAULT_SYSTEM = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"


@pytest.fixture(scope="module")
def smollm2(demo_tokenizer):
    return get_format("hf-chat-template", tokenizer=demo_tokenizer)


def test_demo_template_is_embedded_in_the_gguf(demo_tokenizer):
    assert "<|im_start|>" in demo_tokenizer.chat_template


@pytest.mark.parametrize(
    ("messages", "gen"), [(WITH_SYSTEM, True), (MULTI, True), (CLOSED, False)],
    ids=["system", "multi", "closed"],
)
def test_chatml_equals_the_demo_models_template_with_a_system_message(smollm2, messages, gen):
    chatml = get_format("chatml").render(messages, add_generation_prompt=gen)
    assert smollm2.render(messages, add_generation_prompt=gen) == chatml


@pytest.mark.parametrize("messages", [SINGLE, TURNS], ids=["single", "turns"])
def test_without_system_message_the_demo_template_adds_its_default(smollm2, messages):
    # SmolLM2's template writes its own system prompt when none is given; plain ChatML
    # writes none. Equal once that default is made explicit.
    with_default = [Message("system", SMOLLM2_DEFAULT_SYSTEM), *messages]
    assert smollm2.render(messages) == get_format("chatml").render(with_default)
    assert smollm2.render(messages) != get_format("chatml").render(messages)


def test_demo_template_output_parses_and_detects_as_chatml(smollm2):
    text = smollm2.render(MULTI)
    assert smollm2.parse(text) == MULTI
    assert detect(text) == "chatml"


def test_a_closed_transcript_parses_too(smollm2):
    # Ends with the answer: rendering it as an open prompt fails, and that must not hide the closed reading.
    closed = [Message("system", "Be brief."), Message("user", "hi"), Message("assistant", "hello")]
    text = smollm2.render(closed, add_generation_prompt=False)
    assert smollm2.parse(text) == closed
    assert smollm2.recognizes(text)


def test_demo_template_stop_and_bos(smollm2):
    assert smollm2.stop == ("<|im_end|>",)
    assert smollm2.bos_token == ""  # the template writes no BOS; the text starts with a turn


def test_validation_happens_before_the_template(smollm2):
    with pytest.raises(NotEndingWithUser):
        smollm2.render(CLOSED)


def test_token_counter_counts_special_tokens_as_written(demo_tokenizer):
    count = counter_for_tokenizer(demo_tokenizer)
    assert count("<|im_start|>") == 1
    assert count("<|im_start|>user\nHi<|im_end|>\n") < len("<|im_start|>user\nHi<|im_end|>\n") // 3
    assert counter_for_tokenizer(demo_tokenizer) is count


# A small template written for these tests: system turns are refused through raise_exception,
# the way several official templates refuse them.
TAGGED = (
    "{{ bos_token }}{% for m in messages %}"
    "{% if m['role'] == 'system' %}{{ raise_exception('no system turns here') }}{% endif %}"
    "<{{ m['role'] }}>{{ m['content'] }}</{{ m['role'] }}>{{ eos_token }}"
    "{% endfor %}{% if add_generation_prompt %}<assistant>{% endif %}"
)


def test_template_string_renders_with_given_tokens():
    fmt = get_format("hf-chat-template", template=TAGGED, bos_token="[B]", eos_token="[E]")
    assert fmt.render(TURNS) == (
        "[B]<user>Hi!</user>[E]<assistant>Hello! How can I help?</assistant>[E]"
        "<user>Name a prime number.</user>[E]<assistant>"
    )
    assert fmt.stop == ("[E]",)
    assert fmt.bos_token == "[B]"


def test_template_raise_exception_becomes_template_failed():
    fmt = get_format("hf-chat-template", template=TAGGED)
    with pytest.raises(TemplateFailed, match="no system turns here"):
        fmt.render(WITH_SYSTEM)


def test_broken_template_becomes_template_failed():
    fmt = get_format("hf-chat-template", template="{% for m in messages %}unclosed")
    with pytest.raises(TemplateFailed):
        fmt.render(SINGLE)


def test_unknown_output_cannot_be_parsed():
    fmt = get_format("hf-chat-template", template=TAGGED)
    with pytest.raises(ParseError, match="does not match any known format"):
        fmt.parse(fmt.render(TURNS))


@pytest.mark.parametrize(
    "options",
    [{}, {"tokenizer": object(), "template": TAGGED}],
    ids=["neither", "both"],
)
def test_needs_exactly_one_of_tokenizer_or_template(options):
    with pytest.raises(InvalidFormatOptions, match="exactly one of"):
        get_format("hf-chat-template", **options)


def test_tokenizer_without_template_is_refused():
    class NoTemplate:
        chat_template = None

    with pytest.raises(InvalidFormatOptions, match="no chat template"):
        get_format("hf-chat-template", tokenizer=NoTemplate())


# The arena's demo rows (arena/demo.py) also serve SmolLM2 through the "alpaca" and "vicuna"
# formats; the conversation is the one the admin's prompt preview shows.
PREVIEW = [Message("user", "What is the capital of France?"),
           Message("assistant", "The capital of France is Paris."),
           Message("user", "And of Italy?")]


@pytest.mark.parametrize(("name", "ends"), [("alpaca", "\n\n### Response:"), ("vicuna", " ASSISTANT:")])
def test_demo_rows_render_plain_text_for_smollm2(demo_tokenizer, name, ends):
    prompt = get_format(name).render(PREVIEW)
    ids = demo_tokenizer(prompt, add_special_tokens=False)["input_ids"]
    assert demo_tokenizer.decode(ids) == prompt  # nothing lost to SmolLM2's tokenizer
    assert not set(ids) & set(demo_tokenizer.all_special_ids)  # no ChatML turn is faked
    assert prompt.endswith(ends) and "The capital of France is Paris.</s>" in prompt
    assert len(ids) < 100
