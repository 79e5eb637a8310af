"""LLM-as-judge runs: what to judge, one judgment at a time, progress, and what the verdicts add up to.

Every judgment is a Verdict row keyed by (run, item, order), created before any task runs. A verdict
is stored only while it is still pending, so a task that runs twice (a worker killed before it
acknowledged, a run resumed while its messages were still queued) finds its row finished and stores
nothing, and a pair is counted on the leaderboard once, by whoever stores its second order. The
database, not the broker, says what is left: `resume` queues whatever is still pending.
"""

import asyncio
import os
import threading
import time
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from itertools import combinations
from typing import Any, TypeVar

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Prefetch, Q, QuerySet
from django.utils import timezone

from arena.models import LLM, Answer, BatchRun, Conversation, JudgeRun, PairCount, Participant, Turn, Verdict
from arena.services.judge_reports import agreement_summary as agreement_summary
from arena.services.judge_reports import collaboration_summary as collaboration_summary
from arena.services.judge_reports import progress as progress
from arena.services.judge_reports import run_summary as run_summary
from arena.services.llms import backend_for, build_request
from arena.services.votes import count_battles
from evaluators.judge import (
    JudgeError,
    build_pair_prompt,
    build_single_prompt,
    combine_swapped,
    get_template,
    parse_verdict,
    verdict_to_battles,
)
from prompts import Message, PromptError

FINISHED = (Verdict.Parse.OK, Verdict.Parse.ERROR, Verdict.Parse.FAILED)
VERDICT_RELATED = ("run", "answer_a__turn__conversation__question", "answer_a__participant__llm",
                   "answer_b__participant__llm")
ACTIVE = (JudgeRun.Status.PENDING, JudgeRun.Status.RUNNING)
PROGRESS_EVERY_S = 1.0
DEFAULT_TEMPLATES = {"pair": "pair-v1", "five": "five-v1", "single": "single-v1"}
OPENAI_JUDGE_SLUG = "openai-judge"
OPENAI_KEY_ENV = "OPENAI_API_KEY"


class JudgeRunError(ValueError):
    """A run that cannot be created, started or continued as asked; the message says what to change."""


# --- creating and checking runs ---------------------------------------------------------------
def create_run(judge: LLM, method: str = "pair", template: str = "", **fields: Any) -> JudgeRun:
    """A checked, saved, pending run (fields: target, batch_run, pairing, baseline)."""
    run = JudgeRun(judge=judge, method=method, template=template or DEFAULT_TEMPLATES.get(method, ""), **fields)
    check_run(run)
    run.save()
    return run


def check_run(run: JudgeRun) -> None:
    problems = [p for p in (_method_problem(run), _target_problem(run), _pairing_problem(run)) if p]
    if not run.judge.enabled:
        problems.append(f"the judge {run.judge.slug!r} is disabled; enable it in the admin or pick another")
    if problems:
        raise JudgeRunError("; ".join(problems) + ".")


def _method_problem(run: JudgeRun) -> str:
    if run.method not in JudgeRun.Method.values:
        return f"unknown method {run.method!r}; choose {', '.join(JudgeRun.Method.values)}"
    try:
        kind = get_template(run.template).kind
    except JudgeError as exc:
        return str(exc)
    if kind != run.method:
        return f"template {run.template!r} is a {kind} template and the method is {run.method}"
    return ""


def _target_problem(run: JudgeRun) -> str:
    if run.target == JudgeRun.Target.BATCH and run.batch_run_id is None:
        return "a batch target needs its batch run"
    if run.target == JudgeRun.Target.COLLABORATION and run.method == JudgeRun.Method.SINGLE:
        return "collaboration runs compare the combined answer with each participant: use method pair or five"
    return ""


def _pairing_problem(run: JudgeRun) -> str:
    if run.pairing == JudgeRun.Pairing.BASELINE and run.baseline_id is None:
        return "pairing 'baseline' needs a baseline model"
    return ""


def default_judge() -> LLM:
    """The registered OpenAI judge when OPENAI_API_KEY is set; otherwise say how to name one."""
    if not os.environ.get(OPENAI_KEY_ENV):
        raise JudgeRunError(
            f"No judge given: name a registered model as the judge, or set {OPENAI_KEY_ENV} to use {OPENAI_JUDGE_SLUG}."
        )
    return ensure_openai_judge()


def ensure_openai_judge(model: str = "") -> LLM:
    """Register (or update) the GPT-4-class judge row; the key stays in the environment."""
    llm, _ = LLM.objects.update_or_create(
        slug=OPENAI_JUDGE_SLUG,
        defaults={
            "name": f"OpenAI judge ({model or settings.ARENA_DEFAULT_JUDGE_MODEL})",
            "backend": LLM.Backend.OPENAI,
            "api_mode": LLM.ApiMode.CHAT,
            "prompt_format": "openai-messages",
            "base_url": "https://api.openai.com/v1",
            "remote_model": model or settings.ARENA_DEFAULT_JUDGE_MODEL,
            "api_key_env": OPENAI_KEY_ENV,
            "temperature": 0.0,
            "max_new_tokens": 1024,
            "context_length": 128000,
            "timeout_s": 120.0,
            "in_anonymous_pool": False,
        },
    )
    return llm


# --- choosing what to judge -------------------------------------------------------------------
def _done_answers(turn: Turn, role: str) -> list[Answer]:
    """The turn's finished answers by participants of this role, in position order (answers prefetched)."""
    answers = sorted(turn.answers.all(), key=lambda a: a.participant.position)
    return [a for a in answers if a.participant.role == role and a.status == Answer.Status.DONE]


def _pairs(run: JudgeRun, turn: Turn) -> list[tuple[Answer, Answer]]:
    answers = _done_answers(turn, Participant.Role.CONTESTANT)
    if run.target == JudgeRun.Target.COLLABORATION:
        combined = _done_answers(turn, Participant.Role.AGGREGATOR)
        return [(combined[0], a) for a in answers] if combined else []
    if run.pairing == JudgeRun.Pairing.BASELINE:
        base = next((a for a in answers if a.participant.llm_id == run.baseline_id), None)
        return [(a, base) for a in answers if base is not None and a != base]
    return list(combinations(answers, 2))


def _turns(run: JudgeRun) -> QuerySet:
    if run.target == JudgeRun.Target.VOTED_TURNS:
        modes = [Conversation.Mode.ANONYMOUS, Conversation.Mode.NAMED]
        return Turn.objects.filter(vote__isnull=False, conversation__mode__in=modes)
    if run.target == JudgeRun.Target.BATCH:
        return Turn.objects.filter(conversation__batch_run=run.batch_run_id)
    return Turn.objects.filter(conversation__mode=Conversation.Mode.COLLABORATE)


def _verdict_rows(run: JudgeRun) -> Iterator[Verdict]:
    answers = Prefetch("answers", queryset=Answer.objects.select_related("participant"))
    for turn in _turns(run).order_by("pk").prefetch_related(answers):
        if run.method == JudgeRun.Method.SINGLE:
            for a in _done_answers(turn, Participant.Role.CONTESTANT):
                yield Verdict(run=run, item=f"answer:{a.pk}", order=0, answer_a=a)
            continue
        for a, b in _pairs(run, turn):
            for order in (0, 1):
                yield Verdict(run=run, item=f"turn:{turn.pk}:{a.pk}:{b.pk}", order=order, answer_a=a, answer_b=b)


def plan(run: JudgeRun) -> int:
    """Create one pending Verdict per judgment (both orders for pairwise methods); returns the total."""
    Verdict.objects.bulk_create(list(_verdict_rows(run)), ignore_conflicts=True, batch_size=500)
    run.total = run.verdicts.count()
    JudgeRun.objects.filter(pk=run.pk).update(total=run.total)
    return run.total


# --- starting, resuming, cancelling -----------------------------------------------------------
def start(run_id: int) -> list[int]:
    """Plan a pending run and mark it running; returns the verdict ids to queue (none if already started)."""
    run = JudgeRun.objects.select_related("judge", "batch_run").get(pk=run_id)
    check_run(run)
    if run.target == JudgeRun.Target.BATCH and run.batch_run.status != run.batch_run.Status.DONE:
        raise JudgeRunError(f"Judge run {run.pk} waits for batch run {run.batch_run_id} to finish its answers.")
    with transaction.atomic():
        # The claim is the transaction's first statement, so it takes the write lock before any read.
        if not JudgeRun.objects.filter(pk=run_id, status=JudgeRun.Status.PENDING).update(
            status=JudgeRun.Status.RUNNING
        ):
            return []
        plan(run)
    update_progress(run_id)
    return pending_ids(run_id)


def resume(run_id: int, retry_failed: bool = False) -> list[int]:
    """Continue a run from what the database says is left; returns the verdict ids to queue.

    Safe to call on a run that is still running: a queued duplicate finds its verdict finished.
    """
    run = JudgeRun.objects.get(pk=run_id)
    if not run.verdicts.exists():  # never planned: it was cancelled while it waited
        JudgeRun.objects.filter(pk=run_id).update(status=JudgeRun.Status.PENDING, finished=None)
        return start(run_id)
    if retry_failed:
        _reopen_failed(run)
    JudgeRun.objects.filter(pk=run_id).update(status=JudgeRun.Status.RUNNING, finished=None)
    for item in _unsettled_items(run_id):
        settle_pair(run_id, item)
    update_progress(run_id)
    return pending_ids(run_id)


def _reopen_failed(run: JudgeRun) -> None:
    """Make failed calls pending again; their pairs (settled with nothing counted) are settled anew later."""
    failed = run.verdicts.filter(parse_status=Verdict.Parse.FAILED)
    with transaction.atomic():
        run.verdicts.filter(order=0, final="", item__in=failed.values("item")).update(counted=False)
        failed.update(parse_status=Verdict.Parse.PENDING, error="")


def cancel(run_id: int) -> bool:
    """Stop a run: queued judgments find it cancelled and do nothing; `resume` picks it up again."""
    cancelled = JudgeRun.objects.filter(pk=run_id, status__in=ACTIVE).update(
        status=JudgeRun.Status.CANCELLED, finished=timezone.now()
    )
    return bool(cancelled)


def pending_ids(run_id: int) -> list[int]:
    pending = Verdict.objects.filter(run_id=run_id).exclude(parse_status__in=FINISHED)
    return list(pending.order_by("pk").values_list("pk", flat=True))


def progress_snapshot() -> dict[int, int]:
    """Finished judgments per unfinished run: running ones, and batch ones whose answers are all in."""
    waiting, done = JudgeRun.Status.PENDING, BatchRun.Status.DONE
    batch_ready = Q(status=waiting, target=JudgeRun.Target.BATCH, batch_run__status=done)
    runs = JudgeRun.objects.filter(Q(status=JudgeRun.Status.RUNNING) | batch_ready)
    return {pk: done + failed for pk, done, failed in runs.values_list("pk", "done", "failed")}


# --- one judgment -----------------------------------------------------------------------------
_thread_state = threading.local()
T = TypeVar("T")


def run_on_thread_loop(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine on this thread's own long-lived event loop.

    The openai backend keeps one AsyncOpenAI client (an httpx pool) per event loop, and a client must
    never cross loops. async_to_sync makes a fresh loop per call, so a fresh client, TLS context and
    connection per judgment; one loop per worker thread reuses them safely.
    """
    runner = getattr(_thread_state, "runner", None)
    if runner is None:
        runner = _thread_state.runner = asyncio.Runner()
    return runner.run(coroutine)


def _conversation(turn: Turn) -> list[dict]:
    """The question, with earlier user turns as context (each answer has its own history)."""
    earlier = list(turn.conversation.turns.filter(index__lt=turn.index).order_by("index")) if turn.index else []
    if not earlier:
        return [{"role": "user", "content": turn.user_message}]
    context = "\n\n".join(f"(Earlier user message {t.index + 1}) {t.user_message}" for t in earlier)
    return [{"role": "user", "content": f"{context}\n\n(The question being answered) {turn.user_message}"}]


def _reference(turn: Turn, needs_reference: bool) -> str | None:
    if not needs_reference:
        return None
    question = turn.conversation.question
    if question is None or not question.reference or turn.index >= len(question.reference):
        raise JudgeRunError(f"The template needs a reference answer and turn {turn.pk} has none; use a template "
                            "without '-ref'.")
    return question.reference[turn.index]


def judge_prompt(verdict: Verdict) -> list[dict]:
    template = get_template(verdict.run.template)
    turn = verdict.answer_a.turn
    conversation, reference = _conversation(turn), _reference(turn, template.needs_reference)
    if template.kind == "single":
        return build_single_prompt(template, conversation, verdict.answer_a.text, reference)
    first, second = verdict.answer_a.text, verdict.answer_b.text
    if verdict.order == 1:
        first, second = second, first
    return build_pair_prompt(template, conversation, first, second, reference)


def ask_judge(judge: LLM, messages: list[dict]) -> str:
    """One greedy (temperature 0) generation by the judge; backend errors propagate unchanged."""
    request = build_request(judge, [Message(m["role"], m["content"]) for m in messages], {"temperature": 0.0})
    return run_on_thread_loop(backend_for(judge).generate(request)).text


def judge_one(verdict_id: int) -> Verdict:
    """Ask the judge once and store the verdict. Transient backend errors propagate for the task to retry."""
    from arena.backends import BackendError

    verdict = Verdict.objects.select_related(*VERDICT_RELATED, "run__judge").get(pk=verdict_id)
    if verdict.parse_status in FINISHED or verdict.run.status != JudgeRun.Status.RUNNING:
        return verdict
    try:
        verdict.prompt = judge_prompt(verdict)
        raw_text = ask_judge(verdict.run.judge, verdict.prompt)
    except BackendError as exc:
        if not exc.permanent:
            raise
        return _store(verdict, parse_status=Verdict.Parse.FAILED, error=str(exc))
    except (JudgeRunError, JudgeError, PromptError) as exc:
        return _store(verdict, parse_status=Verdict.Parse.FAILED, error=f"Cannot build the judge's prompt: {exc}")
    return _store(verdict, raw_text=raw_text, **_parsed(verdict.run.template, raw_text))


def give_up(verdict_id: int, error: str) -> Verdict:
    """Store a judgment as failed once its retries are spent, so the run can still finish."""
    verdict = Verdict.objects.select_related(*VERDICT_RELATED).get(pk=verdict_id)
    if verdict.parse_status in FINISHED:
        return verdict
    return _store(verdict, parse_status=Verdict.Parse.FAILED, error=error)


def _parsed(template_name: str, raw_text: str) -> dict:
    kind = get_template(template_name).kind
    parsed = parse_verdict(raw_text, kind=kind)
    if parsed is None:
        return {"parse_status": Verdict.Parse.ERROR, "error": f"No valid {kind} verdict marker in the judge's answer."}
    if kind == "single":
        return {"parse_status": Verdict.Parse.OK, "score": float(parsed), "verdict": f"{parsed:g}"}
    return {"parse_status": Verdict.Parse.OK, "verdict": str(parsed)}


def _store(verdict: Verdict, /, **fields: Any) -> Verdict:
    """Store the outcome only if the verdict is still pending (whoever stores first wins) and settle its pair,
    in one short write transaction that starts with its write (so SQLite takes the lock before any read).

    Progress is counted again from the rows at most once a second per process, and always by whoever
    stores the last verdict: every verdict shares SQLite's one write lock, so it holds it as briefly as it can.
    """
    fields["prompt"] = verdict.prompt
    with _one_writer_per_process(), transaction.atomic():
        if not Verdict.objects.filter(pk=verdict.pk, parse_status=Verdict.Parse.PENDING).update(**fields):
            return Verdict.objects.get(pk=verdict.pk)
        for name, value in fields.items():
            setattr(verdict, name, value)
        if verdict.run.method != JudgeRun.Method.SINGLE:
            _settle(verdict)
    last = not Verdict.objects.filter(run_id=verdict.run_id, parse_status=Verdict.Parse.PENDING).exists()
    if last or _progress_due(verdict.run_id):
        update_progress(verdict.run_id)
    return verdict


_sqlite_writer = threading.Lock()


@contextmanager
def _one_writer_per_process() -> Iterator[None]:
    """SQLite has one write lock. The threads of a worker queue for it here, where the next is woken at
    once, instead of in SQLite's busy handler, which sleeps up to 100 ms between tries."""
    if connection.vendor != "sqlite":
        yield
        return
    with _sqlite_writer:
        yield


_last_progress: dict[int, float] = {}


def _progress_due(run_id: int) -> bool:
    now = time.monotonic()
    if now - _last_progress.get(run_id, -PROGRESS_EVERY_S) < PROGRESS_EVERY_S:
        return False
    _last_progress[run_id] = now
    return True


def _request_leaderboard_refresh() -> None:
    from arena.tasks import request_leaderboard_refresh

    request_leaderboard_refresh()  # debounced: the judge leaderboard refits once for the run


def settle_pair(run_id: int, item: str) -> None:
    """Once both orders are finished, store the combined verdict and count it, exactly once."""
    with transaction.atomic():
        head = Verdict.objects.select_for_update(of=("self",)).select_related(*VERDICT_RELATED)
        head = head.filter(run_id=run_id, item=item, order=0).first()
        if head is not None:
            _settle(head)


def _settle(verdict: Verdict) -> None:
    """Settle the pair of a verdict just stored (inside its transaction, with its new fields set).

    `counted` on order 0 marks the pair settled; `final` stays empty when either order has no verdict
    (a parse error or a failed call), and then nothing is counted.
    """
    partner = Verdict.objects.filter(run_id=verdict.run_id, item=verdict.item, order=1 - verdict.order)
    if verdict.order == 1:
        # Lock the pair's first row: the two orders stored at once in PostgreSQL would each miss the other.
        partner = partner.select_for_update()
    other = partner.first()
    head, tail = (verdict, other) if verdict.order == 0 else (other, verdict)
    if other is None or head.counted or any(v.parse_status not in FINISHED for v in (head, tail)):
        return
    kind = get_template(verdict.run.template).kind
    ok = head.parse_status == tail.parse_status == Verdict.Parse.OK
    final, inconsistent = combine_swapped(head.verdict if ok else None, tail.verdict if ok else None, kind)
    claimed = Verdict.objects.filter(pk=head.pk, counted=False).update(
        counted=True, final=final or "", inconsistent=inconsistent
    )
    if claimed and final is not None:
        slugs = (verdict.answer_a.participant.llm.slug, verdict.answer_b.participant.llm.slug)
        battles = [(*slugs, outcome) for outcome in verdict_to_battles(final, kind, settings.ARENA_JUDGE_STRONG_WEIGHT)]
        count_battles(PairCount.Source.JUDGE, battles, timezone.now().date())


def _unsettled_items(run_id: int) -> list[str]:
    """Pairs with both orders finished and not yet settled (a worker died between the two steps)."""
    finished = Verdict.objects.filter(run_id=run_id, parse_status__in=FINISHED)
    heads = finished.filter(order=0, counted=False, item__in=finished.filter(order=1).values("item"))
    return list(heads.values_list("item", flat=True))


def update_progress(run_id: int) -> None:
    """Count progress from the verdict rows, and finish the run once every judgment is in and settled.

    The transaction starts with a write, which serialises concurrent updates (SQLite's write lock,
    PostgreSQL's row lock), so a slow task can never overwrite a newer count with an older one.
    """
    with transaction.atomic():
        JudgeRun.objects.filter(pk=run_id).update(done=F("done"))
        verdicts = Verdict.objects.filter(run_id=run_id)
        done = verdicts.filter(parse_status__in=[Verdict.Parse.OK, Verdict.Parse.ERROR]).count()
        failed = verdicts.filter(parse_status=Verdict.Parse.FAILED).count()
        fields: dict[str, Any] = {"done": done, "failed": failed}
        run = JudgeRun.objects.get(pk=run_id)
        unsettled = run.method != JudgeRun.Method.SINGLE and verdicts.filter(order=0, counted=False).exists()
        if run.status == JudgeRun.Status.RUNNING and done + failed >= run.total and not unsettled:
            fields.update(status=JudgeRun.Status.DONE, finished=timezone.now())
        JudgeRun.objects.filter(pk=run_id).update(**fields)
    if "status" in fields and run.method != JudgeRun.Method.SINGLE:
        _request_leaderboard_refresh()
