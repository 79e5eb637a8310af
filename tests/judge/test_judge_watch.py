"""The watch over unfinished runs: it queues again only what made no progress in a whole period."""

import pytest
from django.core.cache import cache

from arena import tasks
from arena.models import JudgeRun
from arena.services import judging
from tests.judge.conftest import remote_judge, voted_battle

pytestmark = pytest.mark.django_db


@pytest.fixture
def recorded(monkeypatch) -> dict[str, list]:
    calls: dict[str, list] = {"resumed": [], "scheduled": []}
    monkeypatch.setattr(tasks, "resume_judge_run", calls["resumed"].append)
    monkeypatch.setattr(tasks.watch_unfinished, "apply_async", lambda **kw: calls["scheduled"].append(kw))
    return calls


def running_run(contestants, judge) -> JudgeRun:
    voted_battle(*contestants, "Paris.", "Rome.", winner="A")
    run = judging.create_run(judge)
    judging.start(run.pk)
    return run


def test_only_a_run_without_progress_is_queued_again(contestants, stub_judge, recorded):
    judge = remote_judge(stub_judge.base_url)
    stuck, moving = running_run(contestants, judge), running_run(contestants, judge)
    JudgeRun.objects.filter(pk=moving.pk).update(done=1)
    cache.set(tasks.WATCH_KEY, "current")

    tasks.watch_unfinished("current", seen={f"judge:{stuck.pk}": 0, f"judge:{moving.pk}": 0})

    assert recorded["resumed"] == [stuck.pk]
    (next_look,) = recorded["scheduled"]
    assert next_look["kwargs"] == {"token": "current", "seen": {f"judge:{stuck.pk}": 0, f"judge:{moving.pk}": 1}}
    assert next_look["countdown"] == tasks.stall_check_s()


def test_a_run_seen_for_the_first_time_is_left_alone(contestants, stub_judge, recorded):
    running_run(contestants, remote_judge(stub_judge.base_url))
    cache.set(tasks.WATCH_KEY, "current")
    tasks.watch_unfinished("current", seen={})
    assert recorded["resumed"] == [] and len(recorded["scheduled"]) == 1


def test_a_superseded_watch_stops(contestants, stub_judge, recorded):
    run = running_run(contestants, remote_judge(stub_judge.base_url))
    cache.set(tasks.WATCH_KEY, "newer")
    tasks.watch_unfinished("older", seen={f"judge:{run.pk}": 0})
    assert recorded == {"resumed": [], "scheduled": []}


def test_the_watch_ends_when_nothing_is_unfinished(db, recorded):
    cache.set(tasks.WATCH_KEY, "current")
    tasks.watch_unfinished("current", seen={})
    assert recorded["scheduled"] == [] and cache.get(tasks.WATCH_KEY) is None
