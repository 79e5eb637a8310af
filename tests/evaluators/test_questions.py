import json
from collections import Counter

import pytest

from evaluators.questions import (
    REFERENCE_CATEGORIES,
    Question,
    QuestionFileError,
    load_starter_questions,
    parse_questions,
    read_questions,
)

MT_BENCH = [
    {"question_id": 81, "category": "writing", "turns": ["Write a blog post.", "Rewrite it as a limerick."]},
    {"question_id": 111, "category": "math", "turns": ["What is 2 + 3?"], "reference": ["5"]},
    {"question_id": 130, "category": "coding", "turns": ["Write f.", "Make it fast."], "reference": ["f", "g"]},
]
ARENA_HARD_V01 = {
    "question_id": "328c149ed45a41c0b9d6f14659e63599",
    "category": "arena-hard-v0.1",
    "cluster": "ABC Sequence Puzzles & Groups",
    "turns": [{"content": "Use ABC notation to write a melody."}],
}
ARENA_HARD_V2 = {"uid": "bfd1c7a2", "category": "hard_prompt", "subcategory": "coding", "prompt": "Fix this bug."}


def write_lines(tmp_path, lines):
    path = tmp_path / "question.jsonl"
    path.write_text("\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n")
    return path


def test_mt_bench_file(tmp_path):
    questions = read_questions(write_lines(tmp_path, MT_BENCH))
    assert questions == [
        Question(qid="81", category="writing", turns=["Write a blog post.", "Rewrite it as a limerick."]),
        Question(qid="111", category="math", turns=["What is 2 + 3?"], reference=["5"]),
        Question(qid="130", category="coding", turns=["Write f.", "Make it fast."], reference=["f", "g"]),
    ]


def test_arena_hard_v01_line():
    [question] = parse_questions(json.dumps(ARENA_HARD_V01))
    assert question == Question(
        qid="328c149ed45a41c0b9d6f14659e63599",
        category="arena-hard-v0.1",
        turns=["Use ABC notation to write a melody."],
        reference=None,
    )


def test_arena_hard_cluster_stands_in_for_a_missing_category():
    record = {key: value for key, value in ARENA_HARD_V01.items() if key != "category"}
    [question] = parse_questions(json.dumps(record))
    assert question.category == "ABC Sequence Puzzles & Groups"


def test_arena_hard_v2_line_with_uid_and_prompt():
    [question] = parse_questions(json.dumps(ARENA_HARD_V2))
    assert question == Question(qid="bfd1c7a2", category="hard_prompt", turns=["Fix this bug."], reference=None)


def test_formats_are_detected_per_line_and_blank_lines_skipped(tmp_path):
    path = write_lines(tmp_path, [MT_BENCH[0], "", "   ", ARENA_HARD_V01, ARENA_HARD_V2])
    assert [q.qid for q in read_questions(path)] == ["81", "328c149ed45a41c0b9d6f14659e63599", "bfd1c7a2"]


def test_bad_lines_are_all_reported_with_numbers_and_nothing_is_loaded(tmp_path):
    path = write_lines(
        tmp_path,
        [
            MT_BENCH[0],
            "{not json",
            {"category": "math", "turns": ["no id"]},
            {"question_id": 5, "turns": ["no category"]},
            {"question_id": 6, "category": "math", "turns": []},
            {"question_id": 7, "category": "math", "turns": ["q"], "reference": ["r1", "r2"]},
            {"question_id": 8, "category": "math", "turns": [{"text": "wrong key"}]},
            {"question_id": 81, "category": "writing", "turns": ["again"]},
            [1, 2],
            MT_BENCH[1],
        ],
    )
    with pytest.raises(QuestionFileError) as info:
        read_questions(path)
    problems = dict(info.value.problems)
    assert sorted(problems) == [2, 3, 4, 5, 6, 7, 8, 9]
    assert "not valid JSON" in problems[2]
    assert "'question_id'" in problems[3]
    assert "'uid'" in problems[3]
    assert "'category'" in problems[4]
    assert "'turns' must be a non-empty list" in problems[5]
    assert "2 entries but there are only 1 turns" in problems[6]
    assert "'turns'[0]" in problems[7]
    assert "repeats line 1" in problems[8]
    assert "JSON object" in problems[9]
    assert str(path) in str(info.value)
    assert "line 6:" in str(info.value)


@pytest.mark.parametrize(
    "record",
    [
        {"question_id": True, "category": "math", "turns": ["q"]},
        {"question_id": "", "category": "math", "turns": ["q"]},
        {"question_id": 1, "category": "  ", "turns": ["q"]},
        {"question_id": 1, "category": "math", "turns": ["  "]},
        {"question_id": 1, "category": "math", "turns": "just a string"},
        {"question_id": 1, "category": "math", "turns": ["q"], "reference": "not a list"},
        {"uid": "x", "category": "hard_prompt", "prompt": ""},
        {"uid": "x", "category": "hard_prompt", "turns": [{"content": ["text", ["image.png"]]}]},
    ],
)
def test_malformed_records_are_refused(record):
    with pytest.raises(QuestionFileError, match="line 1:"):
        parse_questions(json.dumps(record))


def test_null_reference_means_none():
    [question] = parse_questions(json.dumps({"question_id": 1, "category": "math", "turns": ["q"], "reference": None}))
    assert question.reference is None


def test_empty_file_is_an_error(tmp_path):
    with pytest.raises(QuestionFileError, match="no questions"):
        read_questions(write_lines(tmp_path, [""]))


def test_missing_file_is_a_question_file_error(tmp_path):
    with pytest.raises(QuestionFileError, match="cannot read"):
        read_questions(tmp_path / "absent.jsonl")


def test_long_error_lists_are_cut_but_kept_whole_on_the_error():
    with pytest.raises(QuestionFileError) as info:
        parse_questions("\n".join(["{bad"] * 30))
    assert len(info.value.problems) == 30
    assert "and 10 more" in str(info.value)


def test_starter_set_covers_eight_categories_three_each():
    questions = load_starter_questions()
    assert len(questions) == 24
    assert Counter(q.category for q in questions) == {
        category: 3
        for category in ("writing", "roleplay", "reasoning", "math", "coding", "extraction", "stem", "humanities")
    }
    assert len({q.qid for q in questions}) == 24


def test_starter_set_has_two_turn_questions_and_references_where_they_belong():
    questions = load_starter_questions()
    assert sum(len(q.turns) == 2 for q in questions) >= 6
    for question in questions:
        assert len(question.turns) in (1, 2)
        if question.category in REFERENCE_CATEGORIES:
            assert question.reference is not None, question.qid
            assert len(question.reference) == len(question.turns), question.qid
        else:
            assert question.reference is None, question.qid
