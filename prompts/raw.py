"""The "raw" format: plain text for base models, which know no chat markup.

Layout: the message contents in order (the system message first), separated by one blank line
("\\n\\n"); nothing before the first, nothing after the last, and no generation prompt, so a
single user message is sent exactly as typed and the model continues it. No stop strings: a
base model runs to its own end-of-text token or the length limit.

Roles leave no trace in the text, so parsing reads any text back as one user message and
detect() never names "raw" (every text would qualify).
"""

from __future__ import annotations

from collections.abc import Iterable

from prompts.errors import ParseError
from prompts.messages import USER, Message, MessageLike, check_conversation, to_messages

SEPARATOR = "\n\n"


class RawFormat:
    name = "raw"
    stop: tuple[str, ...] = ()
    bos_token = ""

    def __repr__(self) -> str:
        return f"<RawFormat {self.name}>"

    def render(self, messages: Iterable[MessageLike], add_generation_prompt: bool = True) -> str:
        msgs = to_messages(messages)
        check_conversation(msgs, add_generation_prompt)
        return SEPARATOR.join(m.content for m in msgs)

    def parse(self, text: str) -> list[Message]:
        if not text:
            raise ParseError("an empty text holds no raw prompt")
        return [Message(USER, text)]

    def recognizes(self, text: str) -> bool:
        return False

    def turn_text(self, message: Message) -> str:
        """The text one message adds to a prompt (for token estimates)."""
        return message.content + SEPARATOR

    def frame_text(self) -> str:
        return ""
