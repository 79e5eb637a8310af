"""The collaboration prompt: one user message asking a model to combine several answers into one.

The wording is data (prompts/data/aggregate-v1.txt); this module only fills it in.
"""

from functools import lru_cache
from pathlib import Path

from prompts.delimiters import neutralize

DATA = Path(__file__).parent / "data"


@lru_cache(maxsize=4)
def aggregation_template(name: str = "aggregate-v1") -> str:
    return (DATA / f"{name}.txt").read_text()


def aggregation_prompt(question: str, answers: list[str], left_out: int = 0, template: str = "aggregate-v1") -> str:
    """The user message for the aggregator; answers are numbered in the order given."""
    blocks = [
        f"[The Start of Answer {i}]\n{neutralize(text)}\n[The End of Answer {i}]\n"
        for i, text in enumerate(answers, start=1)
    ]
    note = ""
    if left_out:
        note = f"\n({left_out} other assistant(s) gave no answer in time and are left out.)\n"
    return aggregation_template(template).format(
        question=neutralize(question), answers="\n".join(blocks), left_out=note
    )
