"""Converters between messages and the JSON shapes other tools exchange."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from prompts.errors import ParseError, UnknownRole
from prompts.messages import ASSISTANT, SYSTEM, USER, Message, MessageLike, to_messages

SHAREGPT_FROM = {SYSTEM: "system", USER: "human", ASSISTANT: "gpt"}
# ShareGPT dumps in the wild also say "user" and "assistant", and "chatgpt" for the answers
_SHAREGPT_ROLE = {"system": SYSTEM, "human": USER, "user": USER, "gpt": ASSISTANT,
                  "assistant": ASSISTANT, "chatgpt": ASSISTANT}


def to_openai_messages(messages: Iterable[MessageLike]) -> list[dict[str, str]]:
    return [m.as_dict() for m in to_messages(messages)]


def to_sharegpt(messages: Iterable[MessageLike]) -> dict[str, list[dict[str, str]]]:
    """{"conversations": [{"from": "system"|"human"|"gpt", "value": ...}, ...]}"""
    turns = [{"from": SHAREGPT_FROM[m.role], "value": m.content} for m in to_messages(messages)]
    return {"conversations": turns}


def from_sharegpt(data: Mapping[str, Any] | str) -> list[Message]:
    """Messages from a ShareGPT record (a mapping, or its JSON text)."""
    record = _load(data) if isinstance(data, str) else data
    turns = record.get("conversations") if isinstance(record, Mapping) else None
    if not isinstance(turns, list):
        raise ParseError('a ShareGPT record is {"conversations": [{"from": ..., "value": ...}]}')
    return [_sharegpt_turn(turn) for turn in turns]


def _load(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(f"not ShareGPT JSON: {exc}") from exc


def _sharegpt_turn(turn: Any) -> Message:
    if not isinstance(turn, Mapping) or "from" not in turn or "value" not in turn:
        raise ParseError(f'a ShareGPT turn has "from" and "value", got {turn!r:.80}')
    role = _SHAREGPT_ROLE.get(turn["from"])
    if role is None:
        raise UnknownRole(turn["from"], _SHAREGPT_ROLE)
    return Message(role, turn["value"])
