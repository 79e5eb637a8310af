import pytest

from evaluators.judge import (
    JudgeTemplate,
    TemplateError,
    UnknownTemplate,
    available_templates,
    get_template,
    neutralize,
)
from evaluators.judge_templates import parse_template

REQUIRED = {"pair-v1", "pair-ref-v1", "five-v1", "single-v1", "single-ref-v1"}


def test_required_templates_are_available():
    assert set(available_templates()) >= REQUIRED


@pytest.mark.parametrize(
    ("name", "kind", "needs_reference"),
    [
        ("pair-v1", "pair", False),
        ("pair-ref-v1", "pair", True),
        ("five-v1", "five", False),
        ("five-ref-v1", "five", True),
        ("single-v1", "single", False),
        ("single-ref-v1", "single", True),
    ],
)
def test_template_metadata(name, kind, needs_reference):
    template = get_template(name)
    assert isinstance(template, JudgeTemplate)
    assert (template.name, template.kind, template.needs_reference) == (name, kind, needs_reference)


@pytest.mark.parametrize("name", sorted(REQUIRED | {"five-ref-v1"}))
def test_judges_run_at_temperature_zero(name):
    assert get_template(name).temperature == 0.0


@pytest.mark.parametrize("name", sorted(REQUIRED | {"five-ref-v1"}))
def test_every_delimiter_line_of_every_template_can_be_defused(name):
    # If a template used a delimiter that neutralize() does not recognise, an answer could fake it.
    lines = [line for line in get_template(name).user.splitlines() if line.startswith("[")]
    assert lines
    for line in lines:
        assert "[" not in neutralize(line), line


@pytest.mark.parametrize(
    ("name", "marker"),
    [("pair-v1", "[[C]]"), ("five-v1", "[[A=B]]"), ("single-v1", "Rating: [[")],
)
def test_system_prompt_asks_for_the_marker_the_parser_reads(name, marker):
    assert marker in get_template(name).system


def test_unknown_template_lists_the_known_names():
    with pytest.raises(UnknownTemplate) as info:
        get_template("pair-v9")
    assert "pair-v9" in str(info.value)
    for name in REQUIRED:
        assert name in str(info.value)


GOOD = """name: t
kind: single
needs_reference: false
temperature: 0

=== system
Grade it.

=== user
{conversation}
{answer}
"""


def test_parse_template_reads_header_and_sections():
    template = parse_template(GOOD)
    assert template == JudgeTemplate(
        name="t", kind="single", system="Grade it.", user="{conversation}\n{answer}", needs_reference=False
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (GOOD.replace("kind: single", "kind: triple"), "kind 'triple'"),
        (GOOD.replace("needs_reference: false", "needs_reference: no"), "'true' or 'false'"),
        (GOOD.replace("temperature: 0", "temperature: hot"), "temperature must be a number"),
        (GOOD.replace("name: t\n", ""), "'name: ...' is missing"),
        (GOOD.replace("=== user", "=== users"), "unknown section 'users'"),
        (GOOD.replace("=== user\n", ""), "missing section"),
        (GOOD.replace("kind: single", "flavour: single"), "expected 'key: value'"),
        (GOOD.replace("{answer}", ""), "exactly the placeholders"),
        (GOOD.replace("{answer}", "{answer} {reference}"), "exactly the placeholders"),
        (GOOD.replace("{answer}", "{answer} {"), "literal braces doubled"),
        (GOOD.replace("{answer}", "{answer!r}"), "no conversion"),
    ],
)
def test_bad_template_files_are_explained(text, message):
    with pytest.raises(TemplateError, match=message):
        parse_template(text, source="bad.prompt")
