"""Window strategies: what is kept, token counts, the budget, caching, the registry."""

import pytest

from prompts import Message, get_format
from prompts.counting import TokenCounter, counter_for
from prompts.windows import (
    TOKENS_PER_MESSAGE,
    InvalidWindow,
    PromptTooLong,
    UnknownWindow,
    Window,
    available_windows,
    full,
    get_window,
    last_n,
    token_budget,
)


def count_words(text: str) -> int:
    return len(text.split())


def conversation(turns: int, words: int = 10, system: bool = True) -> list[Message]:
    """user/assistant pairs then a final user message; every content has ``words`` words."""
    body = " ".join(["word"] * (words - 1))
    messages = [Message("system", f"system {body}")] if system else []
    for i in range(turns):
        messages += [Message("user", f"q{i} {body}"), Message("assistant", f"a{i} {body}")]
    return [*messages, Message("user", f"last {body}")]


CONV = conversation(3)  # system, u0, a0, u1, a1, u2, a2, last


def test_full_keeps_everything():
    window = full()(CONV)
    assert window == Window(CONV, list(range(8)), None)


def test_full_counts_when_given_a_counter():
    window = full()(CONV, count_tokens=count_words)
    assert window.token_count == 8 * (10 + TOKENS_PER_MESSAGE)


def test_last_n_keeps_system_and_last_exchanges():
    # exchanges start at user messages; the pending question is the newest exchange
    window = last_n(2)(CONV)
    assert window.kept == [0, 5, 6, 7]
    assert [m.role for m in window.messages] == ["system", "user", "assistant", "user"]
    assert window.messages == [CONV[i] for i in window.kept]
    assert window.token_count is None


def test_last_n_counts_whole_exchanges():
    assert last_n(1)(CONV).kept == [0, 7]
    assert last_n(3)(CONV).kept == [0, 3, 4, 5, 6, 7]


def test_last_n_without_system_and_larger_than_conversation():
    conv = conversation(2, system=False)
    assert last_n(2)(conv).kept == [2, 3, 4]
    assert last_n(100)(conv).kept == [0, 1, 2, 3, 4]


def test_windows_accept_dicts():
    assert last_n(1)([m.as_dict() for m in CONV]).messages == [CONV[0], CONV[-1]]


def test_token_budget_keeps_latest_that_fit():
    per_message = 10 + TOKENS_PER_MESSAGE
    # room for the system message and exactly 4 others
    strategy = token_budget(context_length=5 * per_message + 3 + 100, reserve_for_answer=100)
    window = strategy(CONV, count_tokens=count_words)
    # (a1, u2, a2, last) fit, but a1 would open the window without its question
    assert window.kept == [0, 5, 6, 7]
    assert window.token_count == 4 * per_message


def test_token_budget_keeps_all_when_room():
    window = token_budget(context_length=10_000)(CONV, count_tokens=count_words)
    assert window.kept == list(range(8))


def test_token_budget_too_long_names_both_numbers():
    strategy = token_budget(context_length=30, reserve_for_answer=10)
    with pytest.raises(PromptTooLong) as info:
        strategy(CONV, count_tokens=count_words)
    needed = 2 * (10 + TOKENS_PER_MESSAGE)
    assert (info.value.needed, info.value.available) == (needed, 20)
    assert str(needed) in str(info.value) and "20" in str(info.value)


def test_token_budget_measures_the_rendered_prompt_with_a_format():
    chatml = get_format("chatml")
    count_chars = TokenCounter(len)  # a "token" per character: markup is expensive here
    strategy = token_budget(context_length=400, reserve_for_answer=0)
    window = strategy(CONV, count_tokens=count_chars, fmt=chatml)
    prompt = chatml.render(window.messages)
    assert window.token_count == len(prompt) <= 400
    # one more turn pair would not fit
    wider = [CONV[0], *CONV[window.kept[1] - 2 :]]
    assert len(chatml.render(wider)) > 400


def test_token_budget_with_format_raises_when_even_the_last_turn_does_not_fit():
    strategy = token_budget(context_length=len("system ") + 120, tokens_per_message=0)
    with pytest.raises(PromptTooLong) as info:
        strategy(CONV, count_tokens=TokenCounter(len), fmt=get_format("chatml"))
    assert info.value.available == len("system ") + 120
    assert info.value.needed > info.value.available


def test_token_budget_with_chat_api_messages_reports_estimate():
    window = token_budget(10_000)(CONV, count_tokens=count_words, fmt=get_format("openai-messages"))
    assert window.token_count == 8 * (10 + TOKENS_PER_MESSAGE)


def test_token_counts_are_cached_per_counting_function():
    calls = []

    def counting(text):
        calls.append(text)
        return len(text.split())

    conv = conversation(50)
    strategy = token_budget(context_length=300)
    first = strategy(conv, count_tokens=counting)
    assert len(calls) == len(conv)
    second = strategy(conv, count_tokens=counting)
    assert len(calls) == len(conv)  # nothing counted again
    assert first == second
    strategy([*conv, Message("assistant", "new answer"), Message("user", "new question")],
             count_tokens=counting)
    assert calls[len(conv):] == ["new answer", "new question"]


def test_counter_is_shared_by_bound_methods_of_one_object():
    class Tokenizer:
        def count(self, text):
            return len(text)

    tok = Tokenizer()
    assert counter_for(tok.count) is counter_for(tok.count)
    assert counter_for(tok.count) is not counter_for(Tokenizer().count)


def test_token_cache_is_bounded():
    counter = TokenCounter(len, max_entries=3)
    for text in ["a", "bb", "ccc", "dddd"]:
        counter.cached(text)
    assert len(counter) == 3
    assert counter.cached("dddd") == 4


def test_get_window_builds_each_strategy():
    assert available_windows() == ["full", "last_n", "token_budget"]
    assert get_window("full") == full()
    assert get_window("last_n", n=3) == last_n(3)
    assert get_window("token_budget", context_length=2048, reserve_for_answer=256) == token_budget(
        2048, 256
    )


def test_get_window_unknown_name_lists_known():
    with pytest.raises(UnknownWindow, match=r"last_n.*token_budget"):
        get_window("sliding")


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("last_n", {}),
        ("last_n", {"count": 3}),
        ("full", {"n": 3}),
        ("token_budget", {"reserve_for_answer": 1}),
    ],
)
def test_get_window_wrong_params(name, params):
    with pytest.raises(InvalidWindow, match=name):
        get_window(name, **params)


@pytest.mark.parametrize(
    "make",
    [
        lambda: last_n(0),
        lambda: last_n("3"),
        lambda: token_budget(context_length=100, reserve_for_answer=100),
        lambda: token_budget(context_length=-5),
    ],
)
def test_invalid_strategy_settings(make):
    with pytest.raises(InvalidWindow):
        make()


def test_token_budget_needs_a_counter():
    with pytest.raises(InvalidWindow, match="count_tokens"):
        token_budget(100)(CONV)


class HeavyMarkup:
    """A format that writes a lot of markup per turn and says nothing about it in advance."""

    def render(self, messages, add_generation_prompt=True):
        turns = "".join(f"[ {m.role} turn begins ] {m.content} [ turn ends ]\n" for m in messages)
        return turns + ("[ assistant turn begins ]" if add_generation_prompt else "")


def test_token_budget_drops_turns_until_the_rendered_prompt_fits():
    fmt = HeavyMarkup()
    strategy = token_budget(context_length=60)
    window = strategy(CONV, count_tokens=count_words, fmt=fmt)
    assert window.token_count == count_words(fmt.render(window.messages)) <= 60
    # the estimate alone (content + 5 per message) would have kept more
    assert len(strategy(CONV, count_tokens=count_words).kept) > len(window.kept)
    # and one more turn pair would not fit
    wider = [CONV[0], *CONV[window.kept[1] - 2 :]]
    assert count_words(fmt.render(wider)) > 60
    assert window.messages[1].role == "user"


def test_with_a_text_format_only_the_final_prompt_is_counted_again():
    calls = []

    def counting(text):
        calls.append(text)
        return len(text)

    chatml = get_format("chatml")
    strategy = token_budget(context_length=300)
    strategy(CONV, count_tokens=counting, fmt=chatml)
    calls.clear()
    window = strategy(CONV, count_tokens=counting, fmt=chatml)
    assert calls == [chatml.render(window.messages)]


def test_token_budget_drops_all_turns_worth_the_excess_at_once():
    class HeavierMarkup:
        def render(self, messages, add_generation_prompt=True):
            tag = " ".join(["tag"] * 10)
            return "".join(f"{tag} {m.content} {tag}\n" for m in messages)

    prompts_counted = []

    def counting(text):
        if text.startswith("tag"):
            prompts_counted.append(text)
        return count_words(text)

    window = token_budget(context_length=100)(CONV, count_tokens=counting, fmt=HeavierMarkup())
    assert window.kept == [0, 7]
    assert window.token_count == 60
    # the estimate kept 6 messages (180 tokens rendered): one re-render, not one per turn
    assert len(prompts_counted) == 2


def test_phi3_writes_nothing_for_an_empty_system_message():
    phi3 = get_format("phi-3")
    user = Message("user", "Hi")
    assert phi3.render([Message("system", ""), user]) == phi3.render([user])
    assert get_format("chatml").render([Message("system", ""), user]).startswith(
        "<|im_start|>system\n<|im_end|>\n"
    )
