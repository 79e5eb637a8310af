"""Every error the prompts package raises; all are ``PromptError`` (a ``ValueError``)."""

from __future__ import annotations

from collections.abc import Iterable


class PromptError(ValueError):
    """Base class: the conversation, transcript or configuration cannot be used as given."""


def _names(known: Iterable[str]) -> str:
    return ", ".join(sorted(known))


class UnknownFormat(PromptError):
    def __init__(self, name: str, known: Iterable[str]) -> None:
        self.name = name
        super().__init__(f"unknown prompt format {name!r}; known formats: {_names(known)}")


class DuplicateFormat(PromptError):
    def __init__(self, name: str) -> None:
        super().__init__(f"prompt format {name!r} is already registered")


class InvalidFormatOptions(PromptError):
    """Options passed to ``get_format`` that the format does not take or misses."""


class UnknownRole(PromptError):
    def __init__(self, role: object, known: Iterable[str]) -> None:
        self.role = role
        super().__init__(f"unknown role {role!r}; use one of: {_names(known)}")


class InvalidMessage(PromptError):
    """Something that is neither a Message nor a {"role", "content"} mapping of strings."""


class EmptyConversation(PromptError):
    def __init__(self, detail: str = "the conversation has no messages") -> None:
        super().__init__(f"{detail}; add a user message")


class NotEndingWithUser(PromptError):
    def __init__(self, last_role: str) -> None:
        self.last_role = last_role
        super().__init__(
            f"a generation prompt needs the conversation to end with a user message, "
            f"but the last message is from {last_role!r}; append the user's turn or pass "
            f"add_generation_prompt=False"
        )


class DuplicateSystemMessage(PromptError):
    def __init__(self, count: int) -> None:
        super().__init__(
            f"the conversation has {count} system messages; merge them into one first message"
        )


class SystemNotFirst(PromptError):
    def __init__(self, index: int) -> None:
        super().__init__(
            f"the system message is at position {index}; it must be the first message"
        )


class SystemNotSupported(PromptError):
    def __init__(self, format_name: str) -> None:
        self.format_name = format_name
        super().__init__(
            f"format {format_name!r} has no system role (its authors' template rejects one); "
            f"remove the system message or fold its text into the first user message"
        )


class RolesNotAlternating(PromptError):
    def __init__(self, format_name: str, index: int, role: str) -> None:
        self.format_name = format_name
        super().__init__(
            f"format {format_name!r} needs turns alternating user/assistant starting with "
            f"user, but message {index} is from {role!r}"
        )


class ParseError(PromptError):
    """A transcript (prompt text, JSON) that cannot be read back into messages."""


class TemplateFailed(PromptError):
    """A chat template (Jinja) raised while rendering, e.g. through ``raise_exception``."""


class PromptTooLong(PromptError):
    def __init__(self, needed: int, available: int) -> None:
        self.needed = needed
        self.available = available
        super().__init__(
            f"the prompt needs {needed} tokens but only {available} are available "
            f"(context length minus the tokens reserved for the answer); shorten the "
            f"system prompt or the last message, or reserve fewer tokens for the answer"
        )


class UnknownWindow(PromptError):
    def __init__(self, name: str, known: Iterable[str]) -> None:
        self.name = name
        super().__init__(f"unknown window strategy {name!r}; known strategies: {_names(known)}")


class InvalidWindow(PromptError):
    """A window strategy configured with parameters it cannot work with."""
