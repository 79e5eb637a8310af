"""Read-only transcripts, the prompt inspector's data, and exports (OpenAI messages, ShareGPT)."""

import json

from arena.models import Answer, Conversation, Participant
from arena.rendering import render_markdown
from prompts import Message
from prompts.convert import to_openai_messages, to_sharegpt


def participants(conversation: Conversation, visible: bool) -> list[dict]:
    return [
        {"label": p.label, "role": p.role, "name": p.llm.name if visible else f"Model {p.label}"}
        for p in conversation.participants.select_related("llm").order_by("position")
    ]


def inspector(answer: Answer) -> dict:
    """What the model was sent, exactly: the prompt string or messages, kept turns, parameters, timings."""
    sent = answer.prompt_text if answer.prompt_messages is None else json.dumps(answer.prompt_messages, indent=2)
    return {
        "format": answer.prompt_format, "sent": sent, "kept_turns": answer.kept_turns, "params": answer.params,
        "prompt_tokens": answer.prompt_tokens, "completion_tokens": answer.completion_tokens,
        "ttft_ms": answer.ttft_ms, "tokens_per_second": answer.tokens_per_second,
        "finish_reason": answer.finish_reason,
    }


def turns(conversation: Conversation, visible: bool) -> list[dict]:
    result = []
    for turn in conversation.turns.order_by("index").prefetch_related("answers__participant"):
        answers = [
            {
                "label": a.participant.label, "status": a.status, "error": a.error, "html": render_markdown(a.text),
                "self_identified": a.self_identified and visible, "inspector": inspector(a) if visible else None,
            }
            for a in turn.answers.all()
        ]
        vote = getattr(turn, "vote", None)
        result.append({"index": turn.index, "text": turn.user_message, "answers": answers,
                       "vote": vote.get_winner_display() if vote else None})
    return result


def participant_messages(conversation: Conversation, participant: Participant) -> list[Message]:
    messages: list[Message] = []
    for turn in conversation.turns.order_by("index"):
        messages.append(Message("user", turn.user_message))
        answer = turn.answers.filter(participant=participant).first()
        if answer is not None and answer.text:
            messages.append(Message("assistant", answer.text))
    return messages


def export_openai(conversation: Conversation) -> list[dict]:
    """One OpenAI messages list per participant, labelled with its model."""
    return [
        {"label": p.label, "model": p.llm.slug, "messages": to_openai_messages(participant_messages(conversation, p))}
        for p in conversation.participants.select_related("llm").order_by("position")
    ]


def export_sharegpt(conversation: Conversation) -> list[dict]:
    return [
        {"id": f"{conversation.pk}-{p.label}", "model": p.llm.slug,
         **to_sharegpt(participant_messages(conversation, p))}
        for p in conversation.participants.select_related("llm").order_by("position")
    ]
