"""Leaderboard fixtures: registry rows, voted turns, battle files, and a recorder for refresh requests."""

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from arena.models import LLM, Answer, Conversation, PairCount, Participant, Turn

TODAY_STAMP = 1_767_225_600.0  # 2026-01-01T00:00:00Z


@pytest.fixture(autouse=True)
def _isolated_refresh(settings, monkeypatch):
    """A private cache for the debounce key, and no Celery broker: queued refreshes are recorded instead."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.ARENA_LEADERBOARD_DEBOUNCE_S = 3600
    from django.core.cache import cache

    cache.clear()  # local-memory caches share their store across settings changes
    queued: list[dict] = []
    from arena import tasks

    monkeypatch.setattr(tasks.refresh_leaderboards, "apply_async", lambda **kwargs: queued.append(kwargs))
    return queued


@pytest.fixture
def queued_refreshes(_isolated_refresh: list[dict]) -> list[dict]:
    return _isolated_refresh


def make_llm(slug: str, license: str = "", commercial: bool = False) -> LLM:
    return LLM.objects.create(
        slug=slug, name=f"Model {slug}", backend="scripted", prompt_format="chatml", license=license,
        commercial_use=commercial, script=json.dumps({"text": "hi"}),
    )


@pytest.fixture
def llm(db) -> Callable[..., LLM]:
    return make_llm


@pytest.fixture
def licensed_models(db) -> None:
    """Two models open for commercial use and one research-only model."""
    make_llm("open-a", license="apache-2.0", commercial=True)
    make_llm("open-b", license="mit", commercial=True)
    make_llm("research-c", license="cc-by-nc-4.0")


def voted_conversation(
    slugs: list[str], mode: str = Conversation.Mode.ANONYMOUS, replies: list[list[str]] | None = None
) -> tuple[Conversation, list[Turn]]:
    """A finished conversation among registered models: one turn per entry of ``replies`` (text per side)."""
    conversation = Conversation.objects.create(mode=mode, visitor="tester")
    participants = [
        Participant.objects.create(conversation=conversation, llm=LLM.objects.get(slug=slug), position=i)
        for i, slug in enumerate(slugs)
    ]
    turns = []
    for index, texts in enumerate(replies or [[f"answer of {s}" for s in slugs]]):
        turn = Turn.objects.create(conversation=conversation, index=index, user_message=f"question {index}")
        for participant, text in zip(participants, texts, strict=True):
            status = Answer.Status.FAILED if text is None else Answer.Status.DONE
            Answer.objects.create(turn=turn, participant=participant, text=text or "", status=status)
        turns.append(turn)
    return conversation, turns


def add_counts(source: str, day: date, first: str, second: str, **outcomes: int) -> None:
    """Stored counts, as votes, verdicts and imports leave them: outcomes as model_a=3, tie=1, bothbad=1."""
    names = {"model_a": "model_a", "model_b": "model_b", "tie": "tie", "bothbad": "tie (bothbad)"}
    for key, count in outcomes.items():
        PairCount.objects.create(
            source=source, day=day, model_a=first, model_b=second, outcome=names[key], count=count
        )


@pytest.fixture
def battle_file(tmp_path: Path) -> Callable[[str, str], Path]:
    def write(text: str, name: str = "battles.csv") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def counted(db) -> Callable[..., None]:
    """``counted(source, day, model_a, model_b, model_a=3, tie=1, bothbad=1)`` stores counts."""
    return add_counts


@pytest.fixture
def voted(db) -> Callable[..., tuple[Conversation, list[Turn]]]:
    return voted_conversation
