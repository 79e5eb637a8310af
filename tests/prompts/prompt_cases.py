"""Conversations shared by the prompts tests."""

from prompts import Message

SYS = "You are a concise assistant."
QUESTION = "What is the capital of France?"

SINGLE = [Message("user", QUESTION)]
WITH_SYSTEM = [Message("system", SYS), Message("user", QUESTION)]
TURNS = [
    Message("user", "Hi!"),
    Message("assistant", "Hello! How can I help?"),
    Message("user", "Name a prime number."),
]
MULTI = [Message("system", SYS), *TURNS]
# a finished exchange: rendered without a generation prompt
CLOSED = [*MULTI, Message("assistant", "7")]
