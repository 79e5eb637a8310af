"""Arena votes and imported battles as FastChat ``clean_battle`` rows.

A vote's battle carries each side's conversation up to the voted turn as OpenAI-style messages
(``conversation_a`` / ``conversation_b``), as FastChat exports them. An n-way "best of" vote is
one battle per other model (the best one as model_a); a tie or both-bad ties every pair, exactly
as the vote was counted.
"""

import math
from collections.abc import Iterable, Iterator
from itertools import combinations

from django.db.models import Prefetch

from arena.models import Conversation, ImportedBattle, PairCount, Participant, Turn, Vote
from arena.services.answers import REPLIED
from arena.services.votes import PAIR_WINNERS, source_for
from evaluators.battles_io import Battle

VOTE_SOURCES = (PairCount.Source.HUMAN_ANONYMOUS, PairCount.Source.HUMAN_NAMED, PairCount.Source.HUMAN_FLAGGED)
EXPORT_SOURCES = (*VOTE_SOURCES, PairCount.Source.IMPORTED)
# Votes on answers that named their own model are left out unless asked for, as FastChat drops them.
DEFAULT_SOURCES = (PairCount.Source.HUMAN_ANONYMOUS, PairCount.Source.HUMAN_NAMED, PairCount.Source.IMPORTED)
CHUNK = 500


class ExportError(ValueError):
    """Export options that cannot be honoured; the message lists the accepted values."""


def export_battles(sources: Iterable[str] = DEFAULT_SOURCES) -> list[Battle]:
    """The battles of the chosen sources, oldest first (battles without a time stamp last)."""
    chosen = set(sources)
    unknown = chosen - set(EXPORT_SOURCES)
    if unknown:
        raise ExportError(f"Unknown source(s) {', '.join(sorted(unknown))}; choose from {', '.join(EXPORT_SOURCES)}.")
    battles = list(vote_battles(chosen)) if chosen & set(VOTE_SOURCES) else []
    if PairCount.Source.IMPORTED in chosen:
        battles += imported_battles()
    return sorted(battles, key=lambda b: math.inf if b.tstamp is None else b.tstamp)


def imported_battles() -> Iterator[Battle]:
    fields = ("model_a", "model_b", "winner", "tstamp", "anony", "conversation")
    for row in ImportedBattle.objects.order_by("pk").values_list(*fields).iterator(chunk_size=5000):
        yield Battle(*row)


def vote_battles(sources: set[str]) -> Iterator[Battle]:
    votes = (
        Vote.objects.exclude(turn__conversation__mode=Conversation.Mode.COLLABORATE)
        .select_related("turn__conversation")
        .prefetch_related(
            Prefetch(
                "turn__conversation__participants",
                queryset=Participant.objects.filter(role=Participant.Role.CONTESTANT).select_related("llm"),
                to_attr="contestants",
            ),
            Prefetch(
                "turn__conversation__turns", queryset=Turn.objects.prefetch_related("answers").order_by("index")
            ),
        )
        .order_by("created", "pk")
    )
    for vote in votes.iterator(chunk_size=CHUNK):
        if source_for(vote.names_hidden, vote.flagged) in sources:
            yield from battles_of_vote(vote)


def battles_of_vote(vote: Vote) -> list[Battle]:
    conversation = vote.turn.conversation
    contestants = sorted(conversation.contestants, key=lambda p: p.position)
    turns = [t for t in conversation.turns.all() if t.index <= vote.turn.index]
    return [
        Battle(
            a.llm.slug, b.llm.slug, outcome, vote.created.timestamp(), vote.names_hidden,
            {"conversation_a": side_messages(turns, a), "conversation_b": side_messages(turns, b)},
        )
        for a, b, outcome in vote_pairs(vote, contestants)
    ]


def vote_pairs(vote: Vote, contestants: list[Participant]) -> list[tuple[Participant, Participant, str]]:
    """(side a, side b, outcome) per battle the vote stands for, as `votes.battles_of` counts them."""
    if vote.winner == Vote.Winner.BEST:
        best = next(p for p in contestants if p.label == vote.ranking[0])
        return [(best, p, "model_a") for p in contestants if p is not best]
    return [(a, b, PAIR_WINNERS[vote.winner]) for a, b in combinations(contestants, 2)]


def side_messages(turns: list[Turn], participant: Participant) -> list[dict[str, str]]:
    """One side's conversation through the voted (last) turn; earlier exchanges it failed are left out whole."""
    messages = []
    for turn in turns:
        answer = next((a for a in turn.answers.all() if a.participant_id == participant.pk), None)
        replied = answer is not None and answer.status in REPLIED
        if replied or turn is turns[-1]:
            messages += [
                {"role": "user", "content": turn.user_message},
                {"role": "assistant", "content": answer.text if answer else ""},
            ]
    return messages
