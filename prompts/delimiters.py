"""Defusing text that imitates the delimiter lines prompts put around untrusted text.

Judge templates and the collaboration prompt delimit answers with lines such as
"[The Start of Assistant A's Answer]". An answer that imitated such a line could close its own block
and open a fake one, so the square brackets of any lookalike, whatever its case and spacing, become
parentheses.
"""

import re

_DELIMITER_LOOKALIKE = re.compile(r"\[(\s*the\s+(?:start|end)\s+of[^\[\]\n]*)(\]?)", re.IGNORECASE)


def neutralize(text: str) -> str:
    """Return text with anything that imitates a delimiter line defused."""
    return _DELIMITER_LOOKALIKE.sub(_defuse, text)


def _defuse(match: re.Match[str]) -> str:
    return "(" + match.group(1) + (")" if match.group(2) else "")
