"""The message type and the structural rules every format shares."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from prompts.errors import (
    DuplicateSystemMessage,
    EmptyConversation,
    InvalidMessage,
    NotEndingWithUser,
    SystemNotFirst,
    UnknownRole,
)

SYSTEM, USER, ASSISTANT = "system", "user", "assistant"
ROLES = (SYSTEM, USER, ASSISTANT)


@dataclass(frozen=True, slots=True)
class Message:
    role: str
    content: str

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise UnknownRole(self.role, ROLES)
        if not isinstance(self.content, str):
            raise InvalidMessage(
                f"message content must be a string, got {type(self.content).__name__}"
            )

    def as_dict(self) -> dict[str, str]:
        return {"role": self.role, "content": self.content}


MessageLike = Message | Mapping[str, str]


def to_message(item: MessageLike) -> Message:
    """A Message from a Message or a {"role", "content"} mapping (extra keys are ignored)."""
    if isinstance(item, Message):
        return item
    if not isinstance(item, Mapping) or "role" not in item or "content" not in item:
        raise InvalidMessage(
            f"expected a Message or a mapping with 'role' and 'content', got {item!r:.80}"
        )
    return Message(item["role"], item["content"])


def to_messages(items: Iterable[MessageLike]) -> list[Message]:
    return [to_message(item) for item in items]


def check_structure(messages: list[Message]) -> None:
    """Rules for every conversation: not empty, at most one system message, and it comes first."""
    if not messages:
        raise EmptyConversation()
    system_at = [i for i, m in enumerate(messages) if m.role == SYSTEM]
    if len(system_at) > 1:
        raise DuplicateSystemMessage(len(system_at))
    if system_at and system_at[0] != 0:
        raise SystemNotFirst(system_at[0])
    if len(messages) == len(system_at):
        raise EmptyConversation("the conversation has only a system message")


def check_conversation(messages: list[Message], add_generation_prompt: bool) -> None:
    """``check_structure`` plus: a generation prompt answers a user message."""
    check_structure(messages)
    if add_generation_prompt and messages[-1].role != USER:
        raise NotEndingWithUser(messages[-1].role)


def split_system(messages: list[Message]) -> tuple[Message | None, list[Message]]:
    if messages and messages[0].role == SYSTEM:
        return messages[0], messages[1:]
    return None, messages
