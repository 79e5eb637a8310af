"""Prompt formats, chat templates, conversation windows and transcript parsing.

Pure Python: nothing here imports Django or the arena app.
"""

from prompts.errors import (
    DuplicateFormat,
    DuplicateSystemMessage,
    EmptyConversation,
    InvalidFormatOptions,
    InvalidMessage,
    InvalidWindow,
    NotEndingWithUser,
    ParseError,
    PromptError,
    PromptTooLong,
    RolesNotAlternating,
    SystemNotFirst,
    SystemNotSupported,
    TemplateFailed,
    UnknownFormat,
    UnknownRole,
    UnknownWindow,
)
from prompts.messages import ROLES, Message
from prompts.registry import Format, available_formats, detect, get_format

__all__ = [
    "ROLES",
    "DuplicateFormat",
    "DuplicateSystemMessage",
    "EmptyConversation",
    "Format",
    "InvalidFormatOptions",
    "InvalidMessage",
    "InvalidWindow",
    "Message",
    "NotEndingWithUser",
    "ParseError",
    "PromptError",
    "PromptTooLong",
    "RolesNotAlternating",
    "SystemNotFirst",
    "SystemNotSupported",
    "TemplateFailed",
    "UnknownFormat",
    "UnknownRole",
    "UnknownWindow",
    "available_formats",
    "detect",
    "get_format",
]
