"""A round of the arena: every participant answers a turn concurrently, then the visitor votes.

The consumer calls these; they never send a model's identity in an anonymous battle before its vote.
"""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.conf import settings
from django.db import transaction

from arena.models import Answer, Conversation, Participant, Turn
from arena.rendering import render_markdown
from arena.services import answers, collaboration
from arena.services.conversations import ArenaError, add_turn, start_conversation
from arena.services.transcripts import shown_error
from arena.services.votes import cast_vote, reveal

Send = Callable[[dict], Awaitable[None]]


@dataclass
class TurnPlan:
    conversation_id: str
    turn_index: int
    text: str
    prepared: list = field(default_factory=list)  # answers.Prepared, or an Answer that already failed
    aggregator_answer_id: int | None = None
    # Fixed for the whole turn: no vote can be cast while its answers stream.
    names_visible: bool = True


def own(conversation_id: str, visitor: str) -> Conversation:
    conversation = Conversation.objects.filter(pk=conversation_id, visitor=visitor).first()
    if conversation is None:
        raise ArenaError("No such conversation in this browser session.", "not_found")
    return conversation


def names_visible(conversation: Conversation) -> bool:
    if conversation.mode != Conversation.Mode.ANONYMOUS:
        return True
    return conversation.turns.filter(vote__isnull=False).exists()


def participant_view(participant: Participant, visible: bool) -> dict:
    return {"label": participant.label, "role": participant.role, "name": participant.llm.name if visible else None}


def answer_view(answer: Answer, visible: bool) -> dict:
    return {
        "label": answer.participant.label, "status": answer.status, "error": shown_error(answer, visible),
        "html": render_markdown(answer.text) if answer.status in (Answer.Status.DONE, Answer.Status.STOPPED) else "",
        "text": answer.text,
    }


def state(conversation: Conversation) -> dict:
    """Everything the page needs to draw the conversation, without names before an anonymous vote."""
    visible = names_visible(conversation)
    participants = conversation.participants.select_related("llm").order_by("position")
    turns = []
    ordered = conversation.turns.order_by("index").select_related("vote")
    for turn in ordered.prefetch_related("answers__participant__llm"):
        vote = getattr(turn, "vote", None)
        turns.append({
            "index": turn.index, "text": turn.user_message,
            "answers": [answer_view(a, visible) for a in turn.answers.all()],
            "vote": vote.winner if vote else None,
        })
    return {
        "conversation": str(conversation.pk), "mode": conversation.mode, "window": conversation.window,
        "participants": [participant_view(p, visible) for p in participants], "turns": turns,
    }


def start(visitor: str, content: dict) -> dict:
    conversation = start_conversation(
        mode=str(content.get("mode", "")), visitor=visitor, models=content.get("models"),
        window=str(content.get("window") or Conversation.Window.TOKEN_BUDGET), window_n=content.get("window_n") or 5,
        params=content.get("params"), aggregator=content.get("aggregator"),
    )
    return state(conversation)


def resume(visitor: str, conversation_id: str) -> dict:
    return state(own(conversation_id, visitor))


@transaction.atomic  # the turn, its answers and their prompts in one commit
def begin_turn(conversation_id: str, visitor: str, text: object) -> TurnPlan:
    conversation = own(conversation_id, visitor)
    turn, pending = add_turn(conversation, str(text or ""), visitor)
    plan = TurnPlan(str(conversation.pk), turn.index, turn.user_message, names_visible=names_visible(conversation))
    for answer in pending:
        if answer.participant.role == Participant.Role.AGGREGATOR:
            plan.aggregator_answer_id = answer.pk
        else:
            plan.prepared.append(answers.prepare_or_fail(answer))
    return plan


def begin_retry(conversation_id: str, visitor: str, label: str) -> TurnPlan:
    conversation = own(conversation_id, visitor)
    turn = conversation.turns.order_by("-index").first()
    answer = next((a for a in turn.answers.select_related("participant__llm") if a.participant.label == label), None) \
        if turn else None
    if answer is None or answer.status != Answer.Status.FAILED:
        raise ArenaError(f"Only a failed answer of the latest turn can be retried; {label!r} is not one.", "bad_retry")
    if hasattr(turn, "vote"):
        raise ArenaError("This turn has been voted on; its answers are final.", "already_voted")
    answer.attempts += 1
    answer.text, answer.error, answer.status = "", "", Answer.Status.PENDING
    answer.save(update_fields=["attempts", "text", "error", "status"])
    plan = TurnPlan(str(conversation.pk), turn.index, turn.user_message, names_visible=names_visible(conversation))
    if answer.participant.role == Participant.Role.AGGREGATOR:
        plan.aggregator_answer_id = answer.pk
    else:
        plan.prepared.append(answers.prepare_or_fail(answer))
    return plan


def finished_message(answer: Answer, visible: bool) -> dict:
    """The frame that ends an answer's stream; `answer` comes with its participant and model loaded."""
    label = answer.participant.label
    if answer.status == Answer.Status.FAILED:
        return {"type": "answer_failed", "label": label, "error": shown_error(answer, visible), "text": answer.text}
    kind = "answer_stopped" if answer.status == Answer.Status.STOPPED else "answer_done"
    stats = {
        "completion_tokens": answer.completion_tokens, "tokens_per_second": answer.tokens_per_second,
        "ttft_ms": answer.ttft_ms, "finish_reason": answer.finish_reason,
    }
    return {"type": kind, "label": label, "html": render_markdown(answer.text), "stats": stats}


_stored_message = database_sync_to_async(
    lambda pk, visible: finished_message(Answer.objects.select_related("participant__llm").get(pk=pk), visible)
)
# The answer `answers.stream` returns is loaded already: rendering it needs no query, so it need not
# queue behind every visitor's database work in Channels' one database thread.
_rendered_message = sync_to_async(finished_message, thread_sensitive=False)


async def stream_one(prepared: "answers.Prepared | Answer", send: Send, visible: bool) -> Answer:
    if isinstance(prepared, Answer):  # failed while preparing (prompt too long, model unknown, ...)
        await send(await _stored_message(prepared.pk, visible))
        return prepared
    label = prepared.label

    async def on_token(text: str) -> None:
        await send({"type": "token", "label": label, "text": text})

    await send({"type": "answer_started", "label": label})
    try:
        answer = await answers.stream(prepared, on_token)
    except asyncio.CancelledError:
        await send(await _stored_message(prepared.answer_id, visible))
        raise
    await send(await _rendered_message(answer, visible))
    return answer


async def run_turn(plan: TurnPlan, send: Send) -> None:
    """Stream every answer concurrently; one failing never stops the others. Cancelling stops them all."""
    tasks = [asyncio.create_task(stream_one(p, send, plan.names_visible)) for p in plan.prepared]
    try:
        if plan.aggregator_answer_id is None:
            await asyncio.gather(*tasks)
        else:
            await collaboration.run_after(tasks, plan, send, settings.ARENA_COLLAB_TIMEOUT_S)
    except asyncio.CancelledError:
        for task in tasks:
            if not task.done() and not task.cancelling():  # gather() may have cancelled it already
                task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await collaboration.stop_pending(plan, send)
        await send({"type": "turn_done", "turn": plan.turn_index, "stopped": True})
        raise
    await send({"type": "turn_done", "turn": plan.turn_index, "stopped": False})


def vote(conversation_id: str, visitor: str, turn_index: object, winner: str) -> dict:
    conversation = own(conversation_id, visitor)
    turns = conversation.turns.order_by("-index")
    turn: Turn | None = turns.filter(index=turn_index).first() if isinstance(turn_index, int) else turns.first()
    if turn is None:
        raise ArenaError("There is no such turn to vote on.", "bad_vote")
    recorded = cast_vote(turn, winner, voter=visitor)
    return {"turn": turn.index, "winner": winner, "flagged": recorded.flagged, "participants": reveal(conversation)}
