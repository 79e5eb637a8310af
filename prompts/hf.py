"""The "hf-chat-template" format: a model's own Jinja chat template, rendered by transformers.

transformers is imported only when such a format is built, so the rest of the package stays
light to import.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from prompts.catalog import SPECS
from prompts.errors import InvalidFormatOptions, ParseError, PromptError, TemplateFailed
from prompts.messages import Message, MessageLike, check_conversation, to_messages
from prompts.spec import renders_back

Renderer = Callable[[list[dict[str, str]], bool], str]


class HFChatTemplateFormat:
    name = "hf-chat-template"

    def __init__(
        self,
        tokenizer: Any = None,
        template: str | None = None,
        bos_token: str = "",
        eos_token: str = "",
    ) -> None:
        if (tokenizer is None) == (template is None):
            raise InvalidFormatOptions(
                "hf-chat-template needs exactly one of tokenizer= (a transformers tokenizer "
                "with a chat template) or template= (the Jinja template text)"
            )
        if tokenizer is not None:
            self._render, bos_token, eos_token = _tokenizer_renderer(tokenizer)
            template = tokenizer.chat_template
        else:
            self._render = _template_renderer(template or "", bos_token, eos_token)
        # the template writes the BOS itself only where it names it
        self.bos_token = bos_token if "bos_token" in (template or "") else ""
        self.stop: tuple[str, ...] = (eos_token,) if eos_token else ()

    def __repr__(self) -> str:
        return f"<HFChatTemplateFormat {self.name}>"

    def render(self, messages: Iterable[MessageLike], add_generation_prompt: bool = True) -> str:
        msgs = to_messages(messages)
        check_conversation(msgs, add_generation_prompt)
        from jinja2 import TemplateError  # raise_exception() in a template raises this

        try:
            return self._render([m.as_dict() for m in msgs], add_generation_prompt)
        except (TemplateError, ValueError) as exc:
            raise TemplateFailed(f"the chat template failed on these messages: {exc}") from exc

    def parse(self, text: str) -> list[Message]:
        """Messages from ``text`` when a known text format reads it and this template
        renders those messages back to exactly ``text``."""
        from prompts.registry import get_format  # the registry imports this module

        for spec in SPECS:
            try:
                messages = get_format(spec.name).parse(text)
            except PromptError:
                continue
            if renders_back(self, messages, text):
                return messages
        raise ParseError("this chat template's output does not match any known format")

    def recognizes(self, text: str) -> bool:
        try:
            self.parse(text)
        except PromptError:
            return False
        return True


def _tokenizer_renderer(tokenizer: Any) -> tuple[Renderer, str, str]:
    if not getattr(tokenizer, "chat_template", None):
        raise InvalidFormatOptions(
            "this tokenizer has no chat template; pick a registered prompt format instead"
        )

    def render(messages: list[dict[str, str]], add_generation_prompt: bool) -> str:
        return tokenizer.apply_chat_template(
            messages, tokenize=False, add_generation_prompt=add_generation_prompt
        )

    return render, tokenizer.bos_token or "", tokenizer.eos_token or ""


def _template_renderer(template: str, bos_token: str, eos_token: str) -> Renderer:
    from transformers.utils.chat_template_utils import render_jinja_template

    def render(messages: list[dict[str, str]], add_generation_prompt: bool) -> str:
        rendered, _ = render_jinja_template(
            conversations=[messages],
            chat_template=template,
            add_generation_prompt=add_generation_prompt,
            bos_token=bos_token,
            eos_token=eos_token,
        )
        return rendered[0]

    return render
