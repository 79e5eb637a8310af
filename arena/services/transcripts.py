"""Read-only transcripts, the prompt inspector's data, and exports (OpenAI messages, ShareGPT)."""

import json
import re
from urllib.parse import urlparse

from arena.models import Answer, Conversation, Participant
from arena.rendering import render_markdown
from prompts import Message
from prompts.convert import to_openai_messages, to_sharegpt


def participants(conversation: Conversation, visible: bool) -> list[dict]:
    return [
        {"label": p.label, "role": p.role, "name": p.llm.name if visible else f"Model {p.label}"}
        for p in conversation.participants.select_related("llm").order_by("position")
    ]


def shown_error(answer: Answer, visible: bool) -> str:
    """An answer's error as a visitor may see it: before an anonymous vote, without the model's identity.

    Backend errors name the model, its endpoint or its file so an operator can act on them; the stored
    error keeps all that, while a page of a battle whose names are hidden gets it masked.
    """
    if visible or not answer.error:
        return answer.error
    llm = answer.participant.llm
    identities = {
        *llm.alias_list(), llm.remote_model, llm.base_url, urlparse(llm.base_url).hostname or "", llm.source,
        llm.gguf_file, llm.adapter_path,
    }
    pattern = "|".join(re.escape(i) for i in sorted(filter(None, identities), key=len, reverse=True))
    return re.sub(pattern, "(hidden)", answer.error, flags=re.IGNORECASE)


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
    ordered = conversation.turns.order_by("index").select_related("vote")
    for turn in ordered.prefetch_related("answers__participant__llm"):
        answers = [
            {
                "label": a.participant.label, "status": a.status, "error": shown_error(a, visible),
                "html": render_markdown(a.text),
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
    for turn in conversation.turns.order_by("index").prefetch_related("answers"):
        messages.append(Message("user", turn.user_message))
        answer = next((a for a in turn.answers.all() if a.participant_id == participant.pk), None)
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
