"""Question sets and batch runs: every selected model answers every question of a set, then a judge run.

A batch run is planned in one transaction: one Conversation per question (mode "batch"), one
Participant per model, one Turn per question turn and one pending Answer per (turn, participant).
The work unit is a participant: its answers are generated in turn order, because each later turn
sees the model's own earlier answers. Answers are unique per (turn, participant), so generating a
unit twice overwrites an answer, never adds one.
"""

from collections.abc import Iterable
from typing import Any

from asgiref.sync import async_to_sync, sync_to_async
from django.db import transaction
from django.db.models import F

from arena.models import LLM, Answer, BatchRun, Conversation, JudgeRun, Participant, Question, QuestionSet, Turn
from arena.services import answers, judging
from arena.services.judge_reports import judge_run_of  # also batches.judge_run_of for the judge command
from evaluators.questions import Question as QuestionData

MAX_MODELS = 26  # participant labels run A..Z


class BatchRunError(ValueError):
    """A batch run that cannot be created, started or continued as asked; the message says what to change."""


# --- question sets ----------------------------------------------------------------------------
def import_questions(set_name: str, questions: Iterable[QuestionData], description: str = "") -> tuple[int, int]:
    """Add or update questions (by id) in the named set; returns (created, updated)."""
    created = updated = 0
    with transaction.atomic():
        question_set, _ = QuestionSet.objects.get_or_create(name=set_name, defaults={"description": description})
        for q in questions:
            _, new = Question.objects.update_or_create(
                question_set=question_set,
                qid=q.qid,
                defaults={"category": q.category, "turns": list(q.turns), "reference": q.reference},
            )
            created, updated = created + new, updated + (not new)
    return created, updated


# --- creating and starting --------------------------------------------------------------------
def create_batch(
    question_set: QuestionSet,
    llms: list[LLM],
    judge: LLM | None = None,
    method: str = JudgeRun.Method.PAIR,
    pairing: str = JudgeRun.Pairing.ALL_PAIRS,
    baseline: LLM | None = None,
    template: str = "",
) -> BatchRun:
    """A checked, pending batch run; with a judge, also its pending judge run."""
    batch = BatchRun(
        question_set=question_set, judge=judge, judge_method=method, judge_pairing=pairing, judge_baseline=baseline
    )
    check_batch(batch, llms)
    with transaction.atomic():
        batch.save()
        batch.models_run.set(llms)
        if judge is not None:
            _create_judge_run(batch, template)
    return batch


def check_batch(batch: BatchRun, llms: list[LLM]) -> None:
    problems = []
    if not llms:
        problems.append("choose at least one model")
    if len(llms) > MAX_MODELS:
        problems.append(f"at most {MAX_MODELS} models per batch run")
    problems += [f"model {m.slug!r} is disabled" for m in llms if not m.enabled]
    if not batch.question_set.questions.exists():
        problems.append(f"question set {batch.question_set.name!r} has no questions; import some first")
    if batch.judge_id is not None:
        problems += _judging_problems(batch, llms)
    if problems:
        raise BatchRunError("; ".join(problems) + ".")


def _judging_problems(batch: BatchRun, llms: list[LLM]) -> list[str]:
    if batch.judge_method == JudgeRun.Method.SINGLE:
        return []
    if len(llms) < 2:
        return ["pairwise judging needs at least two models (or use method single)"]
    if batch.judge_pairing == JudgeRun.Pairing.BASELINE and batch.judge_baseline not in llms:
        return ["the baseline model must be one of the batch's models"]
    return []


def _create_judge_run(batch: BatchRun, template: str = "") -> JudgeRun:
    try:
        return judging.create_run(
            batch.judge,
            batch.judge_method,
            template,
            target=JudgeRun.Target.BATCH,
            batch_run=batch,
            pairing=batch.judge_pairing,
            baseline=batch.judge_baseline,
        )
    except judging.JudgeRunError as exc:
        raise BatchRunError(f"The batch's judging options do not work: {exc}") from exc


def start(batch_id: int) -> list[int]:
    """Plan a pending batch run and mark it running; returns the participant ids to queue."""
    batch = BatchRun.objects.select_related("question_set", "judge", "judge_baseline").get(pk=batch_id)
    llms = list(batch.models_run.order_by("slug"))
    check_batch(batch, llms)
    if batch.judge_id is not None and judge_run_of(batch) is None:
        _create_judge_run(batch)
    with transaction.atomic():
        if not BatchRun.objects.filter(pk=batch_id, status=BatchRun.Status.PENDING).update(
            status=BatchRun.Status.RUNNING
        ):
            return []
        _plan(batch, llms)
    update_progress(batch_id)
    return unfinished_participants(batch_id)


def _plan(batch: BatchRun, llms: list[LLM]) -> None:
    for question in batch.question_set.questions.order_by("pk"):
        conversation = Conversation.objects.create(
            mode=Conversation.Mode.BATCH, question=question, batch_run=batch, window=Conversation.Window.FULL
        )
        seats = [Participant.objects.create(conversation=conversation, llm=m, position=i) for i, m in enumerate(llms)]
        for index, text in enumerate(question.turns):
            turn = Turn.objects.create(conversation=conversation, index=index, user_message=text)
            Answer.objects.bulk_create([Answer(turn=turn, participant=seat) for seat in seats])
    total = Answer.objects.filter(turn__conversation__batch_run=batch).count()
    BatchRun.objects.filter(pk=batch.pk).update(total=total)


def unfinished_participants(batch_id: int) -> list[int]:
    waiting = Answer.objects.filter(turn__conversation__batch_run=batch_id, status__in=answers.UNFINISHED)
    return sorted(set(waiting.values_list("participant_id", flat=True)))


# --- generating -------------------------------------------------------------------------------
async def _discard(_text: str) -> None:
    return None


def generate(participant_id: int) -> list[int]:
    """Answer every unfinished turn of one participant, in order; returns judge verdict ids to queue.

    The last unit to finish marks the batch done and starts its judge run (the start is claimed once).
    """
    participant = Participant.objects.select_related("conversation").get(pk=participant_id)
    batch_id = participant.conversation.batch_run_id
    earlier_failed = False
    for answer in _answers_in_order(participant):
        if answer.status in answers.UNFINISHED:
            if not BatchRun.objects.filter(pk=batch_id, status=BatchRun.Status.RUNNING).exists():
                return []
            answer = _answer(answer, earlier_failed)
            update_progress(batch_id)
        earlier_failed = earlier_failed or answer.status == Answer.Status.FAILED
    return start_judging(batch_id)


def _answers_in_order(participant: Participant) -> list[Answer]:
    rows = Answer.objects.filter(participant=participant).select_related("turn", "participant__llm")
    return list(rows.order_by("turn__index"))


def _answer(answer: Answer, earlier_failed: bool) -> Answer:
    if earlier_failed:
        return answers.fail(answer.pk, "Not asked: the model's answer to an earlier turn of this question failed.")
    prepared = answers.prepare_or_fail(answer)
    if isinstance(prepared, Answer):
        return prepared
    # async_to_sync keeps the stream's database writes in this worker thread.
    # Saved on this worker thread's own connection (database_sync_to_async would close it mid-task).
    return async_to_sync(answers.stream)(prepared, _discard, sync_to_async(answers.finish))


def update_progress(batch_id: int) -> bool:
    """Count progress from the answer rows (serialised like judging.update_progress); True once done."""
    with transaction.atomic():
        BatchRun.objects.filter(pk=batch_id).update(done=F("done"))
        rows = Answer.objects.filter(turn__conversation__batch_run=batch_id)
        failed = rows.filter(status=Answer.Status.FAILED).count()
        done = rows.filter(status__in=[Answer.Status.DONE, Answer.Status.STOPPED]).count()
        batch = BatchRun.objects.get(pk=batch_id)
        fields: dict[str, Any] = {"done": done, "failed": failed}
        if batch.status == BatchRun.Status.RUNNING and done + failed >= batch.total:
            fields["status"] = BatchRun.Status.DONE
        BatchRun.objects.filter(pk=batch_id).update(**fields)
    return fields.get("status", batch.status) == BatchRun.Status.DONE


def start_judging(batch_id: int) -> list[int]:
    """Start the batch's pending judge run once every answer is in; returns the verdict ids to queue."""
    if not BatchRun.objects.filter(pk=batch_id, status=BatchRun.Status.DONE).exists():
        return []
    ids: list[int] = []
    waiting = JudgeRun.objects.filter(batch_run=batch_id, status=JudgeRun.Status.PENDING)
    for run_id in waiting.values_list("pk", flat=True):
        ids += judging.start(run_id)
    return ids


# --- resuming and cancelling ------------------------------------------------------------------
def resume(batch_id: int, retry_failed: bool = False) -> tuple[list[int], list[int]]:
    """Continue from what the database says is left: (participant ids, judge verdict ids) to queue."""
    batch = BatchRun.objects.get(pk=batch_id)
    if batch.status == BatchRun.Status.PENDING:
        return start(batch_id), []
    judge_runs = JudgeRun.objects.filter(batch_run=batch_id)
    if retry_failed:
        if judge_runs.exclude(status=JudgeRun.Status.PENDING).exists():
            raise BatchRunError(
                f"Batch run {batch_id}'s judging has started, so its failed answers stay as they are; "
                "start a new batch run to answer them again."
            )
        Answer.objects.filter(turn__conversation__batch_run=batch_id, status=Answer.Status.FAILED).update(
            status=Answer.Status.PENDING, error=""
        )
    BatchRun.objects.filter(pk=batch_id).update(status=BatchRun.Status.RUNNING)
    # A judge run cancelled while it waited for the answers waits again.
    judge_runs.filter(status=JudgeRun.Status.CANCELLED, verdicts__isnull=True).update(status=JudgeRun.Status.PENDING)
    update_progress(batch_id)
    verdict_ids = start_judging(batch_id)
    unfinished_runs = judge_runs.exclude(status__in=[JudgeRun.Status.PENDING, JudgeRun.Status.DONE])
    for run_id in unfinished_runs.values_list("pk", flat=True):
        verdict_ids += judging.resume(run_id)
    return unfinished_participants(batch_id), verdict_ids


def cancel(batch_id: int) -> bool:
    """Stop generating (answers in progress finish) and cancel the batch's judge runs."""
    cancelled = BatchRun.objects.filter(
        pk=batch_id, status__in=[BatchRun.Status.PENDING, BatchRun.Status.RUNNING]
    ).update(status=BatchRun.Status.CANCELLED)
    for run_id in JudgeRun.objects.filter(batch_run=batch_id).values_list("pk", flat=True):
        cancelled += judging.cancel(run_id)
    return bool(cancelled)


def progress_snapshot() -> dict[int, int]:
    """Finished answers per running batch run."""
    running = BatchRun.objects.filter(status=BatchRun.Status.RUNNING)
    return {pk: done + failed for pk, done, failed in running.values_list("pk", "done", "failed")}
