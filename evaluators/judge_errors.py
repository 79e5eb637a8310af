"""Typed errors of the judge: each says what went wrong and what to do about it."""


class JudgeError(Exception):
    """Base of every error raised by the judge modules."""


class UnknownTemplate(JudgeError, LookupError):
    """A judge template name that no file in judge_prompts/ defines."""


class TemplateError(JudgeError):
    """A judge template file that cannot be used as written."""


class PromptError(JudgeError, ValueError):
    """Arguments that cannot be turned into a judge prompt."""


class VerdictError(JudgeError, ValueError):
    """A verdict or verdict kind that the caller should not have passed."""
