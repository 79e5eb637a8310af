"""Question sets: read MT-bench and arena-hard ``question.jsonl`` files into one Question type.

MT-bench lines:      {"question_id": 81, "category": "writing", "turns": ["...", "..."],
                      "reference": ["...", "..."]}           (reference optional)
arena-hard v0.1:     {"question_id": "...", "category": "...", "cluster": "...",
                      "turns": [{"content": "..."}]}
arena-hard v2.0:     {"uid": "...", "category": "...", "subcategory": "...", "prompt": "..."}

A file is read whole or not at all: every bad line is reported, with its number, in one error.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

STARTER_QUESTIONS = Path(__file__).parent / "data" / "starter_questions.jsonl"
REFERENCE_CATEGORIES = ("math", "reasoning", "coding")


@dataclass(frozen=True)
class Question:
    qid: str
    category: str
    turns: list[str]
    reference: list[str] | None = None


class QuestionFileError(ValueError):
    """A question file with bad lines; ``problems`` holds (line number, message) for each."""

    def __init__(self, source: str, problems: list[tuple[int, str]]) -> None:
        self.source = source
        self.problems = problems
        shown = "\n".join(f"  line {number}: {message}" for number, message in problems[:20])
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(f"{source}: {len(problems)} bad line(s), nothing was loaded:\n{shown}{more}")


class _BadLine(ValueError):
    pass


def read_questions(path: str | Path) -> list[Question]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise QuestionFileError(str(path), [(0, f"cannot read the file: {error}")]) from error
    return parse_questions(text, source=str(path))


def load_starter_questions() -> list[Question]:
    return read_questions(STARTER_QUESTIONS)


def parse_questions(text: str, source: str = "<questions>") -> list[Question]:
    """Parse JSON Lines text (blank lines allowed); each line may be MT-bench or arena-hard."""
    questions: list[Question] = []
    problems: list[tuple[int, str]] = []
    first_line: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            question = parse_question_line(line)
        except _BadLine as error:
            problems.append((number, str(error)))
            continue
        if question.qid in first_line:
            problems.append((number, f"question id {question.qid!r} repeats line {first_line[question.qid]}"))
            continue
        first_line[question.qid] = number
        questions.append(question)
    if not questions and not problems:
        problems.append((0, "the file holds no questions"))
    if problems:
        raise QuestionFileError(source, problems)
    return questions


def parse_question_line(line: str) -> Question:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        raise _BadLine(f"not valid JSON ({error.msg} at column {error.colno})") from None
    if not isinstance(record, dict):
        raise _BadLine("expected a JSON object")
    turns = _turns(record)
    return Question(qid=_qid(record), category=_category(record), turns=turns, reference=_reference(record, len(turns)))


def _qid(record: dict) -> str:
    value = record.get("question_id", record.get("uid"))
    if isinstance(value, bool) or not isinstance(value, int | str) or str(value).strip() == "":
        raise _BadLine("needs an id: 'question_id' (MT-bench, arena-hard v0.1) or 'uid' (arena-hard v2.0)")
    return str(value)


def _category(record: dict) -> str:
    for key in ("category", "cluster", "subcategory"):
        value = record.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    raise _BadLine("needs a non-empty 'category' (or arena-hard 'cluster')")


def _turns(record: dict) -> list[str]:
    if "turns" in record:
        return _turn_texts(record["turns"], "turns")
    if isinstance(record.get("prompt"), str) and record["prompt"].strip():
        return [record["prompt"]]
    raise _BadLine("needs 'turns' (a list of texts, or of {\"content\": text}) or a 'prompt' text")


def _turn_texts(value: object, key: str) -> list[str]:
    if not isinstance(value, list) or not value:
        raise _BadLine(f"'{key}' must be a non-empty list")
    texts = [item.get("content") if isinstance(item, dict) else item for item in value]
    for index, text in enumerate(texts):
        if not isinstance(text, str) or not text.strip():
            raise _BadLine(f"'{key}'[{index}] must be non-empty text or {{\"content\": text}}")
    return texts


def _reference(record: dict, turns: int) -> list[str] | None:
    if record.get("reference") is None:
        return None
    reference = _turn_texts(record["reference"], "reference")
    if len(reference) > turns:
        raise _BadLine(f"'reference' has {len(reference)} entries but there are only {turns} turns")
    return reference
