"""One participant's answer to one turn: its window, its prompt, its stream, and what is stored."""

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from channels.db import database_sync_to_async
from django.conf import settings
from django.db.models import Prefetch
from django.utils import timezone

from arena.models import Answer, Conversation, Participant, Turn
from arena.services.llms import backend_for, generation_params, prompt_format_for, render_prompt, with_system_prompt
from prompts import Message, PromptError
from prompts.windows import get_window

log = logging.getLogger(__name__)
FINISHED = (Answer.Status.DONE, Answer.Status.FAILED, Answer.Status.STOPPED)
UNFINISHED = (Answer.Status.PENDING, Answer.Status.STREAMING)
REPLIED = (Answer.Status.DONE, Answer.Status.STOPPED)  # what a later turn's history keeps
FINISH_FIELDS = [
    "status",
    "text",
    "error",
    "finished",
    "self_identified",
    "prompt_tokens",
    "completion_tokens",
    "ttft_ms",
    "tokens_per_second",
    "finish_reason",
]
TokenSink = Callable[[str], Awaitable[None]]


@dataclass
class Prepared:
    answer_id: int
    label: str
    request: object  # arena.backends.GenerationRequest
    backend: object  # arena.backends.Backend


def reply_of(turn: Turn, participant: Participant | None) -> str:
    """The participant's finished reply to `turn`, read from the turn's (prefetched) answers, or ""."""
    answer = next((a for a in turn.answers.all() if participant and a.participant_id == participant.pk), None)
    return answer.text if answer is not None and answer.status in REPLIED else ""


def history(participant: Participant, turn: Turn) -> tuple[list[Message], list[int]]:
    """The participant's own conversation up to this turn, and the turn index of each message.

    An earlier exchange whose answer failed is left out whole, so no format sees two user messages in a row.
    In a collaboration that shares the combined answer, a contestant sees the aggregator's reply as its own.
    """
    conversation = participant.conversation
    shared = None
    if (conversation.mode == Conversation.Mode.COLLABORATE and settings.ARENA_COLLAB_SHARE_COMBINED
            and participant.role == Participant.Role.CONTESTANT):
        shared = conversation.participants.filter(role=Participant.Role.AGGREGATOR).first()
    earlier = conversation.turns.filter(index__lt=turn.index).order_by("index").prefetch_related(
        Prefetch("answers", queryset=Answer.objects.only("turn_id", "participant_id", "status", "text"))
    )
    messages: list[Message] = []
    turn_of: list[int] = []
    for previous in earlier:
        reply = reply_of(previous, shared) or reply_of(previous, participant)
        if reply:
            messages += [Message("user", previous.user_message), Message("assistant", reply)]
            turn_of += [previous.index, previous.index]
    messages.append(Message("user", turn.user_message))
    turn_of.append(turn.index)
    return messages, turn_of


def window_for(conversation: Conversation, participant: Participant, max_new_tokens: int):
    if conversation.window == Conversation.Window.LAST_N:
        return get_window("last_n", n=conversation.window_n)
    if conversation.window == Conversation.Window.TOKEN_BUDGET:
        return get_window(
            "token_budget", context_length=participant.llm.context_length, reserve_for_answer=max_new_tokens
        )
    return get_window("full")


def prepare(answer: Answer, messages: list[Message] | None = None, turn_of: list[int] | None = None) -> Prepared:
    """Window the conversation, render it in the model's format, and store exactly what will be sent."""
    from arena.backends import GenerationRequest

    participant, turn = answer.participant, answer.turn
    llm = participant.llm
    if messages is None:
        messages, turn_of = history(participant, turn)
    messages = with_system_prompt(llm, messages)
    if messages[0].role == "system":
        turn_of = [-1, *turn_of]
    backend, fmt = backend_for(llm), prompt_format_for(llm)
    params = generation_params(llm, tuple(fmt.stop), participant.conversation.params)
    # With the format, the budget counts the prompt as rendered (markers, default system prompts), not an estimate.
    window = window_for(participant.conversation, participant, params.max_new_tokens)(
        messages, count_tokens=backend.count_tokens, fmt=fmt
    )
    rendered = render_prompt(llm, window.messages)
    answer.prompt_text = rendered.text or ""
    answer.prompt_messages = rendered.messages
    answer.prompt_format = rendered.format
    answer.kept_turns = sorted({turn_of[i] for i in window.kept if turn_of[i] >= 0})
    answer.params = params.to_dict()
    answer.prompt_tokens = window.token_count
    answer.status = Answer.Status.STREAMING
    answer.save()
    request = GenerationRequest(prompt=rendered.text, messages=rendered.messages, params=params)
    return Prepared(answer.pk, participant.label, request, backend)


def names_itself(text: str, aliases: list[str]) -> bool:
    """Does the answer name its own model or vendor (which would break anonymity)?"""
    return any(re.search(rf"(?<!\w){re.escape(alias)}(?!\w)", text, re.IGNORECASE) for alias in aliases if alias)


def finish(answer_id: int, status: str, text: str, error: str = "", stats: object = None) -> Answer:
    answer = Answer.objects.select_related("participant__llm").get(pk=answer_id)
    answer.status, answer.text, answer.error = status, text, error
    answer.finished = timezone.now()
    answer.self_identified = names_itself(text, answer.participant.llm.alias_list())
    if stats is not None:
        answer.prompt_tokens = stats.prompt_tokens or answer.prompt_tokens
        answer.completion_tokens = stats.completion_tokens
        answer.ttft_ms = stats.ttft_s * 1000 if stats.ttft_s is not None else None
        answer.tokens_per_second = stats.tokens_per_second
        answer.finish_reason = stats.finish_reason
    elif status == Answer.Status.STOPPED:
        answer.finish_reason = "cancelled"
    elif status == Answer.Status.FAILED:
        answer.finish_reason = "error"
    answer.save(update_fields=FINISH_FIELDS)  # not the stored prompt again
    return answer


def fail(answer_id: int, error: str) -> Answer:
    return finish(answer_id, Answer.Status.FAILED, "", error)


async def stream(
    prepared: Prepared, on_token: TokenSink, store: Callable[..., Awaitable[Answer]] | None = None
) -> Answer:
    """Stream one answer into on_token and store its outcome; never raises for a model's failure.

    `store` saves the outcome (finish()'s arguments); the default suits consumers. Synchronous callers
    (Celery tasks) pass sync_to_async(finish), which stays on their thread and its database connection.
    """
    from arena.backends import BackendError, StreamEnd, TextDelta

    _finish = store or _finish_closing_connections

    parts: list[str] = []
    try:
        async with asyncio.timeout(settings.ARENA_ANSWER_TIMEOUT_S):
            async for event in prepared.backend.stream(prepared.request):
                if isinstance(event, TextDelta):
                    parts.append(event.text)
                    await on_token(event.text)
                elif isinstance(event, StreamEnd):
                    return await _finish(prepared.answer_id, Answer.Status.DONE, "".join(parts), "", event.stats)
    except asyncio.CancelledError:
        await asyncio.shield(_finish(prepared.answer_id, Answer.Status.STOPPED, "".join(parts)))
        raise
    except TimeoutError:
        message = f"No complete answer within {settings.ARENA_ANSWER_TIMEOUT_S} s; the answer was cut off."
        return await _finish(prepared.answer_id, Answer.Status.FAILED, "".join(parts), message)
    except BackendError as exc:
        return await _finish(prepared.answer_id, Answer.Status.FAILED, "".join(parts), str(exc))
    except Exception as exc:
        log.exception("answer %s failed unexpectedly", prepared.answer_id)
        return await _finish(prepared.answer_id, Answer.Status.FAILED, "".join(parts), f"{type(exc).__name__}: {exc}")
    return await _finish(prepared.answer_id, Answer.Status.DONE, "".join(parts))


_finish_closing_connections = database_sync_to_async(finish)


def prepare_or_fail(answer: Answer) -> Prepared | Answer:
    """Prepared when the answer can be asked for; else the answer, stored as failed with the reason."""
    try:
        return prepare(answer)
    except PromptError as exc:
        return fail(answer.pk, f"The conversation does not fit this model: {exc}")
    except Exception as exc:
        log.exception("preparing answer %s failed", answer.pk)
        return fail(answer.pk, f"{type(exc).__name__}: {exc}")
