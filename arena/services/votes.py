"""Votes: one per turn, stored with the counts the leaderboard fits from, in one transaction."""

from itertools import combinations

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from arena.models import Conversation, PairCount, Participant, Turn, Vote
from arena.services.answers import FINISHED
from arena.services.conversations import ArenaError

PAIR_WINNERS = {"A": "model_a", "B": "model_b", "tie": "tie", "bothbad": "tie (bothbad)"}
COLLAB_WINNERS = {"combined", "single"}


def reveal(conversation: Conversation) -> list[dict]:
    return [
        {"label": p.label, "name": p.llm.name, "slug": p.llm.slug, "role": p.role}
        for p in conversation.participants.select_related("llm").order_by("position")
    ]


def _check_winner(conversation: Conversation, winner: str, labels: list[str]) -> None:
    if conversation.mode == Conversation.Mode.COLLABORATE:
        allowed = COLLAB_WINNERS
    elif len(labels) == 2:
        allowed = set(PAIR_WINNERS)
    else:
        allowed = {f"best:{label}" for label in labels} | {"tie", "bothbad"}
    if winner not in allowed:
        raise ArenaError(f"Unknown vote {winner!r}; choose one of: {', '.join(sorted(allowed))}.", "bad_vote")


def source_for(names_hidden: bool, flagged: bool) -> str:
    if flagged:
        return PairCount.Source.HUMAN_FLAGGED
    return PairCount.Source.HUMAN_ANONYMOUS if names_hidden else PairCount.Source.HUMAN_NAMED


def battles_of(winner: str, contestants: list[Participant]) -> list[tuple[str, str, str]]:
    """The (model_a, model_b, outcome) battles a vote stands for.

    Two-way: one battle. N-way "best:X": X beats each other model; a tie or both-bad ties every pair.
    """
    slugs = {p.label: p.llm.slug for p in contestants}
    if winner in PAIR_WINNERS and len(contestants) == 2:
        return [(slugs["A"], slugs["B"], PAIR_WINNERS[winner])]
    if winner.startswith("best:"):
        best = winner.split(":", 1)[1]
        return [(slugs[best], slug, "model_a") for label, slug in slugs.items() if label != best]
    return [(a.llm.slug, b.llm.slug, PAIR_WINNERS[winner]) for a, b in combinations(contestants, 2)]


def count_battles(source: str, battles: list[tuple[str, str, str]], day) -> None:
    for model_a, model_b, outcome in battles:
        row, _ = PairCount.objects.get_or_create(
            source=source, day=day, model_a=model_a, model_b=model_b, outcome=outcome
        )
        PairCount.objects.filter(pk=row.pk).update(count=F("count") + 1)


def cast_vote(turn: Turn, winner: str, voter: str) -> Vote:
    """Store the vote and its battle counts atomically; a second vote on the turn is refused."""
    conversation = turn.conversation
    contestants = list(
        conversation.participants.filter(role=Participant.Role.CONTESTANT)
        .select_related("llm").only("position", "llm__slug").order_by("position")
    )
    _check_winner(conversation, winner, [p.label for p in contestants])
    answers = list(turn.answers.only("status", "self_identified"))  # not the stored prompts and texts
    if any(a.status not in FINISHED for a in answers):
        raise ArenaError("Vote once every answer has finished.", "not_finished")
    # Names stay hidden only until the first vote of an anonymous battle reveals them.
    names_hidden = conversation.mode == Conversation.Mode.ANONYMOUS and not Vote.objects.filter(
        turn__conversation=conversation
    ).exists()
    # An answer naming its model only matters while names are hidden.
    flagged = names_hidden and any(a.self_identified for a in answers)
    try:
        with transaction.atomic():
            vote = Vote.objects.create(
                turn=turn, winner=winner.split(":")[0] if winner.startswith("best:") else winner,
                ranking=[winner.split(":", 1)[1]] if winner.startswith("best:") else [],
                voter=voter, names_hidden=names_hidden, flagged=flagged,
            )
            if conversation.mode != Conversation.Mode.COLLABORATE:
                count_battles(source_for(names_hidden, flagged), battles_of(winner, contestants), timezone.now().date())
    except IntegrityError:
        raise ArenaError("This turn has a vote already: one vote per turn.", "already_voted") from None
    schedule_leaderboard_refresh()
    return vote


def schedule_leaderboard_refresh() -> None:
    """Ask Celery for a (debounced) refit; a missing broker never loses the vote itself."""
    from arena.tasks import request_leaderboard_refresh

    request_leaderboard_refresh()
