"""Starting conversations, adding turns, and the limits that protect them."""

import hashlib
import itertools
import random
from collections import Counter
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F
from django.utils import timezone

from arena.models import LLM, Answer, Conversation, Participant, Turn
from arena.services.answers import UNFINISHED

MIN_NAMED, MAX_NAMED = 2, 6
ROUND_PARAMS = {"temperature": (0.0, 2.0), "top_p": (0.01, 1.0), "max_new_tokens": (1, 4096)}


class ArenaError(Exception):
    """A refused request; `code` is stable for clients, the message is for people."""

    code = "invalid"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code or self.code


def visitor_hash(session_key: str) -> str:
    """Votes and turns record a hash of the session, never the session key itself."""
    return hashlib.sha256(f"{settings.SECRET_KEY}:{session_key}".encode()).hexdigest()[:32]


def clean_round_params(params: dict | None) -> dict:
    """The few generation settings a visitor may choose for a round, checked against their ranges."""
    cleaned = {}
    for name, value in (params or {}).items():
        if name not in ROUND_PARAMS:
            raise ArenaError(f"Unknown setting {name!r}; allowed: {', '.join(ROUND_PARAMS)}.", "bad_params")
        low, high = ROUND_PARAMS[name]
        try:
            number = int(value) if name == "max_new_tokens" else float(value)
        except (TypeError, ValueError):
            raise ArenaError(f"{name} must be a number.", "bad_params") from None
        if not low <= number <= high:
            raise ArenaError(f"{name} must be between {low} and {high}.", "bad_params")
        cleaned[name] = number
    return cleaned


def _anonymous_pair() -> list[LLM]:
    """Two pool models, weighted toward pairs with fewer battles so every pair gets data."""
    pool = list(LLM.objects.filter(enabled=True, in_anonymous_pool=True).order_by("pk"))
    if len(pool) < 2:
        raise ArenaError("An anonymous battle needs two enabled models in the pool; add one in the admin.", "no_models")
    counts = _battle_counts()
    pairs = list(itertools.combinations(pool, 2))
    weights = [1.0 / (1 + counts[frozenset((a.pk, b.pk))]) for a, b in pairs]
    chosen = list(random.choices(pairs, weights=weights)[0])
    random.shuffle(chosen)
    return chosen


def _battle_counts() -> Counter:
    """Anonymous battles per pair of models, grouped in the database (one row per pair, not per battle)."""
    rows = (
        Participant.objects.filter(
            conversation__mode=Conversation.Mode.ANONYMOUS, position=0, conversation__participants__position=1
        )
        .values("llm_id", other=F("conversation__participants__llm_id"))
        .annotate(n=Count("id"))
    )
    counts: Counter = Counter()
    for row in rows:
        counts[frozenset((row["llm_id"], row["other"]))] += row["n"]
    return counts


def _named_models(slugs: list[str]) -> list[LLM]:
    if not MIN_NAMED <= len(slugs) <= MAX_NAMED or len(set(slugs)) != len(slugs):
        raise ArenaError(f"Pick between {MIN_NAMED} and {MAX_NAMED} different models.", "bad_models")
    found = {llm.slug: llm for llm in LLM.objects.filter(slug__in=slugs, enabled=True)}
    missing = [s for s in slugs if s not in found]
    if missing:
        raise ArenaError(f"Unknown or disabled models: {', '.join(missing)}.", "bad_models")
    return [found[s] for s in slugs]


def _aggregator(slug: str | None) -> LLM:
    llm = LLM.objects.filter(slug=slug or "", enabled=True).first()
    if llm is None:
        raise ArenaError("Choose an enabled model as the aggregator.", "bad_models")
    return llm


@transaction.atomic
def start_conversation(
    mode: str,
    visitor: str,
    models: list[str] | None = None,
    window: str = Conversation.Window.TOKEN_BUDGET,
    window_n: int = 5,
    params: dict | None = None,
    aggregator: str | None = None,
) -> Conversation:
    if mode not in Conversation.Mode.values or mode == Conversation.Mode.BATCH:
        raise ArenaError(f"Unknown mode {mode!r}; choose anonymous, named or collaborate.", "bad_mode")
    if window not in Conversation.Window.values:
        raise ArenaError(f"Unknown window {window!r}; choose {', '.join(Conversation.Window.values)}.", "bad_window")
    if not 1 <= int(window_n) <= 100:
        raise ArenaError("Last-N must keep between 1 and 100 exchanges.", "bad_window")
    llms = _anonymous_pair() if mode == Conversation.Mode.ANONYMOUS else _named_models(models or [])
    round_params = clean_round_params(params) if mode != Conversation.Mode.ANONYMOUS else {}
    conversation = Conversation.objects.create(
        mode=mode, visitor=visitor, window=window, window_n=int(window_n), params=round_params
    )
    for position, llm in enumerate(llms):
        Participant.objects.create(conversation=conversation, llm=llm, position=position)
    if mode == Conversation.Mode.COLLABORATE:
        Participant.objects.create(
            conversation=conversation, llm=_aggregator(aggregator), position=len(llms), role="aggregator"
        )
    return conversation


def check_prompt(conversation: Conversation, text: str, visitor: str, turns: int) -> str:
    """Refuse what the limits forbid, before anything is stored (`turns`: how many the conversation has)."""
    text = (text or "").strip()
    if not text:
        raise ArenaError("Type a prompt first: an empty prompt is not sent.", "empty_prompt")
    if len(text) > settings.ARENA_MAX_PROMPT_CHARS:
        raise ArenaError(
            f"The prompt has {len(text):,} characters; the limit is {settings.ARENA_MAX_PROMPT_CHARS:,}.", "too_long"
        )
    if turns >= settings.ARENA_MAX_TURNS:
        raise ArenaError(
            f"This conversation reached {settings.ARENA_MAX_TURNS} turns; start a new one.", "too_many_turns"
        )
    if Answer.objects.filter(turn__conversation=conversation, status__in=UNFINISHED).exists():
        raise ArenaError("Wait until every answer has finished (or press stop).", "busy")
    since = timezone.now() - timedelta(minutes=1)
    recent = Turn.objects.filter(conversation__visitor=visitor, created__gte=since).count()
    if recent >= settings.ARENA_PROMPTS_PER_MINUTE:
        raise ArenaError(
            f"Slow down: at most {settings.ARENA_PROMPTS_PER_MINUTE} prompts a minute. Try again shortly.",
            "rate_limited",
        )
    return text


@transaction.atomic
def add_turn(conversation: Conversation, text: str, visitor: str) -> tuple[Turn, list[Answer]]:
    """The new turn and its pending answers, one per participant in display order, with their models."""
    index = conversation.turns.count()
    text = check_prompt(conversation, text, visitor, turns=index)
    turn = Turn.objects.create(conversation=conversation, index=index, user_message=text)
    participants = list(conversation.participants.select_related("llm").order_by("position"))
    for participant in participants:
        participant.conversation = conversation  # what preparing each answer reads, without a query each
    return turn, Answer.objects.bulk_create(
        [Answer(turn=turn, participant=p, status=Answer.Status.PENDING) for p in participants]
    )
