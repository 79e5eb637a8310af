"""A prompt format as data (``FormatSpec``) and the one renderer/parser that reads it.

Every text format in the catalog is a role -> (prefix, suffix) table plus a few switches
(BOS, where the system prompt goes, whether turns must alternate). ``TemplateFormat``
renders any spec and parses its output back, so a new format is a new spec, not new code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal

from prompts.errors import (
    ParseError,
    PromptError,
    RolesNotAlternating,
    SystemNotSupported,
)
from prompts.messages import (
    ASSISTANT,
    SYSTEM,
    USER,
    Message,
    MessageLike,
    check_conversation,
    split_system,
    to_messages,
)

SystemPlacement = Literal["message", "first_user", "none"]


@dataclass(frozen=True)
class FormatSpec:
    name: str
    # role -> (text before the content, text after it); roles missing here cannot be written
    wrap: Mapping[str, tuple[str, str]]
    # written after the last message when the model is to answer next
    generation_prompt: str
    stop: tuple[str, ...]
    # written once before the first message (usually the BOS token)
    lead: str = ""
    # written after the last message when no generation prompt follows
    closing: str = ""
    # the BOS token the rendered text already carries ("" if none): tokenize it without adding one
    bos_token: str = ""
    # "message": its own turn; "first_user": folded into the first user turn; "none": rejected
    system: SystemPlacement = "message"
    # (before, after) the system text when folded into the first user turn
    system_in_user: tuple[str, str] = ("", "")
    # system prompt written when the conversation has none (the format's authors' default)
    default_system: str | None = None
    # roles whose content the template strips of surrounding whitespace (parse returns it stripped)
    strip_roles: frozenset[str] = frozenset()
    # the template rejects anything but user/assistant/user/... after the system message
    alternating: bool = False
    # the template writes nothing for a system message with empty content
    omit_empty_system: bool = False
    # where the format is defined (the official chat template or the original repository)
    source: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if USER not in self.wrap or ASSISTANT not in self.wrap:
            raise PromptError(f"format {self.name!r} must wrap both user and assistant turns")
        if (self.system == "message") != (SYSTEM in self.wrap):
            raise PromptError(f"format {self.name!r}: a system wrap exactly when system='message'")
        if self.system == "first_user" and not self.alternating:
            raise PromptError(f"format {self.name!r}: folding the system needs alternating turns")


def check_alternating(format_name: str, turns: list[Message], offset: int) -> None:
    for i, message in enumerate(turns):
        expected = USER if i % 2 == 0 else ASSISTANT
        if message.role != expected:
            raise RolesNotAlternating(format_name, i + offset, message.role)


class TemplateFormat:
    """Renders and parses one ``FormatSpec``; holds no conversation state."""

    def __init__(self, spec: FormatSpec) -> None:
        self.spec = spec
        self.name = spec.name
        self.stop = spec.stop
        self.bos_token = spec.bos_token
        self._patterns = _piece_patterns(spec)
        self._markers = _markers(spec)
        self._default_system = Message(SYSTEM, spec.default_system) if spec.default_system is not None else None

    def __repr__(self) -> str:
        return f"<TemplateFormat {self.name}>"

    def render(self, messages: Iterable[MessageLike], add_generation_prompt: bool = True) -> str:
        turns = self._turns(self.prepare(messages, add_generation_prompt))
        body = "".join(self._piece(role, content) for role, content in turns)
        end = self.spec.generation_prompt if add_generation_prompt else self.spec.closing
        return self.spec.lead + body + end

    def prepare(self, messages: Iterable[MessageLike], add_generation_prompt: bool) -> list[Message]:
        """Validated messages, with the format's default system prompt where it has one."""
        spec = self.spec
        msgs = to_messages(messages)
        check_conversation(msgs, add_generation_prompt)
        system, turns = split_system(msgs)
        if system is not None and spec.system == "none":
            raise SystemNotSupported(spec.name)
        if system is None:
            system = self._default_system
        if spec.alternating:
            check_alternating(spec.name, turns, offset=len(msgs) - len(turns))
        return ([system] if system else []) + turns

    def parse(self, text: str) -> list[Message]:
        body = self._body(text)
        messages: list[Message] = []
        pos = 0
        while pos < len(body):
            role, content, pos = self._next_piece(body, pos, first=not messages)
            messages.append(Message(role, content))
        if all(m.role == SYSTEM for m in messages):
            raise ParseError(f"no user or assistant turn found in this {self.name} transcript")
        return self._unfold_system(messages)

    def recognizes(self, text: str) -> bool:
        """True when ``text`` is exactly what this format renders for a conversation whose
        contents hold none of the format's own markers (which would make the reading a guess:
        a whole Mistral conversation also reads as one long Llama 2 user turn). The format's
        default system prompt may name its markers (Baize's does)."""
        if self.spec.wrap[USER][0] not in text:
            return False
        try:
            messages = self.parse(text)
        except PromptError:
            return False
        contents = [m.content for m in messages if m != self._default_system]
        if any(marker in content for content in contents for marker in self._markers):
            return False
        return renders_back(self, messages, text)

    def turn_text(self, message: Message) -> str:
        """The text one message adds to a prompt (for token estimates; a system prompt folded
        into the first user turn counts with the markers around it)."""
        if message.role == SYSTEM and self.spec.system != "message":
            before, after = self.spec.system_in_user
            return before + message.content + after
        return self._piece(message.role, message.content)

    def frame_text(self) -> str:
        """The text a prompt has besides its turns: the lead and the generation prompt."""
        return self.spec.lead + self.spec.generation_prompt

    def _turns(self, messages: list[Message]) -> Iterator[tuple[str, str]]:
        system, turns = split_system(messages)
        if system is not None and self.spec.omit_empty_system and not system.content:
            system = None
        if system is not None and self.spec.system == "first_user":
            before, after = self.spec.system_in_user
            first = turns[0]
            turns = [Message(USER, before + system.content + after + first.content), *turns[1:]]
        elif system is not None:
            yield SYSTEM, system.content
        for message in turns:
            yield message.role, message.content

    def _piece(self, role: str, content: str) -> str:
        prefix, suffix = self.spec.wrap[role]
        return prefix + (content.strip() if role in self.spec.strip_roles else content) + suffix

    def _body(self, text: str) -> str:
        spec = self.spec
        if not text.startswith(spec.lead):
            raise ParseError(f"a {self.name} transcript starts with {spec.lead!r}")
        end = len(text)
        for tail in (spec.generation_prompt, spec.closing):
            if tail and text.endswith(tail) and end - len(tail) >= len(spec.lead):
                end -= len(tail)
                break
        return text[len(spec.lead) : end]

    def _next_piece(self, body: str, pos: int, first: bool) -> tuple[str, str, int]:
        for role, pattern in self._patterns:
            if role == SYSTEM and not first:
                continue
            match = pattern.match(body, pos)
            if match:
                return role, match.group(1), match.end()
        raise ParseError(
            f"not a {self.name} transcript: no turn starts at offset {pos} ({body[pos:pos + 40]!r})"
        )

    def _unfold_system(self, messages: list[Message]) -> list[Message]:
        before, after = self.spec.system_in_user
        first = messages[0]
        if self.spec.system != "first_user" or first.role != USER:
            return messages
        if not first.content.startswith(before) or after not in first.content:
            return messages
        system, user = first.content[len(before) :].split(after, 1)
        return [Message(SYSTEM, system), Message(USER, user), *messages[1:]]


def _markers(spec: FormatSpec) -> set[str]:
    """The format's structural strings, stripped of the whitespace around them."""
    pieces = [p for pair in spec.wrap.values() for p in pair]
    pieces += [spec.lead, spec.generation_prompt, spec.closing, *spec.system_in_user]
    return {piece.strip() for piece in pieces} - {""}


def _piece_patterns(spec: FormatSpec) -> list[tuple[str, re.Pattern[str]]]:
    """One regex per role; roles with a longer prefix are tried first.

    A content ends at the first suffix followed by the prefix of a turn or by the end; so a
    content may contain the suffix text itself (Vicuna's user suffix is a single space).
    """
    ordered = sorted(spec.wrap.items(), key=lambda item: -len(item[1][0]))
    following = _lookahead(spec)
    return [
        (role, re.compile(re.escape(prefix) + "(.*?)" + re.escape(suffix) + following, re.DOTALL))
        for role, (prefix, suffix) in ordered
    ]


def _lookahead(spec: FormatSpec) -> str:
    """Any turn but a system one may come next (a system message only comes first)."""
    prefixes = [prefix for role, (prefix, _) in spec.wrap.items() if role != SYSTEM]
    if "" in prefixes:  # a turn with no prefix could start anywhere
        return ""
    return "(?=" + "|".join(re.escape(p) for p in prefixes) + r"|\Z)"


def renders_back(fmt: object, messages: list[Message], text: str) -> bool:
    """Does `fmt` render `messages` to exactly `text`, as an open prompt or as a closed transcript?
    Each way is tried on its own: a transcript ending with an answer cannot be rendered open."""
    for add_generation_prompt in (True, False):
        try:
            if fmt.render(messages, add_generation_prompt) == text:
                return True
        except PromptError:
            continue
    return False
