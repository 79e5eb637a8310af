"""Collaboration rounds: participants answer, then an aggregator combines their answers into one."""

import asyncio
from collections.abc import Awaitable, Callable

from channels.db import database_sync_to_async

from arena.models import Answer
from arena.services import answers
from prompts import Message
from prompts.aggregation import aggregation_prompt

Send = Callable[[dict], Awaitable[None]]


def prepare_aggregator(aggregator_answer_id: int) -> tuple["answers.Prepared | Answer", list[str]]:
    """The aggregator's prompt from every contestant answer that finished, and the labels of the others,
    which are left out with a note."""
    answer = Answer.objects.select_related("participant__llm", "participant__conversation", "turn").get(
        pk=aggregator_answer_id
    )
    turn = answer.turn
    contestants = turn.answers.exclude(pk=answer.pk).select_related("participant").order_by("participant__position")
    usable = [a for a in contestants if a.status == Answer.Status.DONE and a.text.strip()]
    left_out = [a.participant.label for a in contestants if a not in usable]
    if not usable:
        return answers.fail(answer.pk, "No participant produced an answer to combine."), left_out
    messages, turn_of = answers.history(answer.participant, turn)
    prompt = aggregation_prompt(turn.user_message, [a.text for a in usable], len(left_out))
    messages[-1] = Message("user", prompt)
    try:
        return answers.prepare(answer, messages, turn_of), left_out
    except Exception as exc:  # noqa: BLE001  a broken aggregator keeps the participants' answers
        return answers.fail(answer.pk, f"{type(exc).__name__}: {exc}"), left_out


async def run_after(tasks: list[asyncio.Task], plan: object, send: Send, timeout_s: float) -> None:
    """Wait for the contestants (at most timeout_s), then stream the combined answer."""
    from arena.services.rounds import stream_one

    if tasks:
        _, pending = await asyncio.wait(tasks, timeout=timeout_s)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
    prepared, left_out = await database_sync_to_async(prepare_aggregator)(plan.aggregator_answer_id)
    await send({"type": "combining", "label": "combined", "left_out": left_out})
    await stream_one(prepared, send, plan.names_visible)


def _stop_if_pending(answer_id: int) -> Answer | None:
    answer = Answer.objects.select_related("participant__llm").get(pk=answer_id)
    if answer.status != Answer.Status.PENDING:
        return None
    return answers.finish(answer_id, Answer.Status.STOPPED, "")


async def stop_pending(plan: object, send: Send) -> None:
    """A stop before the aggregator started marks its answer stopped too."""
    if plan.aggregator_answer_id is None:
        return
    from arena.services.rounds import finished_message

    stopped = await database_sync_to_async(_stop_if_pending)(plan.aggregator_answer_id)
    if stopped is not None:
        await send(finished_message(stopped, plan.names_visible))
