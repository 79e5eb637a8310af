"""The "openai-messages" format: what a chat-completions API receives, a list of role/content dicts."""

from __future__ import annotations

import json
from collections.abc import Iterable

from prompts.errors import ParseError, PromptError
from prompts.messages import Message, MessageLike, check_conversation, to_messages


class OpenAIMessagesFormat:
    name = "openai-messages"
    stop: tuple[str, ...] = ()
    bos_token = ""

    def __repr__(self) -> str:
        return f"<OpenAIMessagesFormat {self.name}>"

    def render(
        self, messages: Iterable[MessageLike], add_generation_prompt: bool = True
    ) -> list[dict[str, str]]:
        """The request's ``messages``; the server applies the model's template itself."""
        msgs = to_messages(messages)
        check_conversation(msgs, add_generation_prompt)
        return [m.as_dict() for m in msgs]

    def parse(self, text: str) -> list[Message]:
        """Messages from a JSON list of {"role", "content"} objects (or {"messages": [...]})."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ParseError(f"not JSON chat messages: {exc}") from exc
        if isinstance(data, dict) and "messages" in data:
            data = data["messages"]
        if not isinstance(data, list) or not data:
            raise ParseError('expected a non-empty JSON list of {"role", "content"} objects')
        return to_messages(data)

    def recognizes(self, text: str) -> bool:
        if not text.lstrip().startswith(("[", "{")):
            return False
        try:
            self.parse(text)
        except PromptError:
            return False
        return True
