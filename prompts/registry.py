"""The one registry of prompt formats: names to ready formats or to factories taking options."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol

from prompts.catalog import SPECS
from prompts.chat_api import OpenAIMessagesFormat
from prompts.errors import DuplicateFormat, InvalidFormatOptions, UnknownFormat
from prompts.hf import HFChatTemplateFormat
from prompts.messages import Message, MessageLike
from prompts.raw import RawFormat
from prompts.spec import TemplateFormat


class Format(Protocol):
    name: str
    stop: tuple[str, ...]
    bos_token: str  # the BOS the rendered text already carries, "" when it carries none

    def render(
        self, messages: Iterable[MessageLike], add_generation_prompt: bool = True
    ) -> str | list[dict[str, str]]: ...

    def parse(self, text: str) -> list[Message]: ...

    def recognizes(self, text: str) -> bool: ...


# Formats that take no options, in the order detect() tries them.
_READY: dict[str, Format] = {}
# Formats built per use from options (a tokenizer, a template).
_FACTORIES: dict[str, Callable[..., Format]] = {}


def register_format(fmt: Format) -> Format:
    _check_new(fmt.name)
    _READY[fmt.name] = fmt
    return fmt


def register_factory(name: str, factory: Callable[..., Format]) -> None:
    _check_new(name)
    _FACTORIES[name] = factory


def _check_new(name: str) -> None:
    if name in _READY or name in _FACTORIES:
        raise DuplicateFormat(name)


def get_format(name: str, **options: Any) -> Format:
    if name in _FACTORIES:
        return _FACTORIES[name](**options)
    if name not in _READY:
        raise UnknownFormat(name, available_formats())
    if options:
        raise InvalidFormatOptions(f"format {name!r} takes no options, got {sorted(options)}")
    return _READY[name]


def available_formats() -> list[str]:
    return sorted([*_READY, *_FACTORIES])


def detect(text: str) -> str | None:
    """The name of the format that renders exactly ``text``, or None.

    Only formats that need no options take part (not "hf-chat-template"), and "raw" never
    answers (any text is a raw prompt). When two formats render the same text (a single
    Mistral turn is also a Llama 2 turn) the first registered one wins; see catalog.SPECS.
    """
    for name, fmt in _READY.items():
        if fmt.recognizes(text):
            return name
    return None


for _spec in SPECS:
    register_format(TemplateFormat(_spec))
register_format(RawFormat())
register_format(OpenAIMessagesFormat())
register_factory(HFChatTemplateFormat.name, HFChatTemplateFormat)
