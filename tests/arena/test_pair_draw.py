"""Anonymous battles draw pairs weighted toward the pairs with fewer battles."""

import random
from collections import Counter

import pytest

from arena.models import Conversation, Participant
from arena.services.conversations import _anonymous_pair, _battle_counts
from tests.arena.conftest import scripted

pytestmark = pytest.mark.django_db


def battle_between(a, b) -> None:
    conversation = Conversation.objects.create(mode="anonymous")
    Participant.objects.create(conversation=conversation, llm=a, position=0)
    Participant.objects.create(conversation=conversation, llm=b, position=1)


def test_counts_are_per_unordered_pair_and_ignore_named_rounds() -> None:
    a, b, c = scripted("a"), scripted("b"), scripted("c")
    for first, second in [(a, b), (b, a), (a, b), (a, c)]:
        battle_between(first, second)
    named = Conversation.objects.create(mode="named")
    Participant.objects.create(conversation=named, llm=b, position=0)
    Participant.objects.create(conversation=named, llm=c, position=1)
    assert _battle_counts() == Counter({frozenset((a.pk, b.pk)): 3, frozenset((a.pk, c.pk)): 1})


def test_a_well_covered_pair_is_drawn_rarely() -> None:
    a, b, _ = scripted("a"), scripted("b"), scripted("c")
    for _ in range(50):
        battle_between(a, b)
    random.seed(7)
    draws = Counter(frozenset(llm.slug for llm in _anonymous_pair()) for _ in range(300))
    assert draws[frozenset(("a", "b"))] < 15  # weight 1/51 against 1 for each other pair: ~2 expected
    assert draws[frozenset(("a", "c"))] > 100 and draws[frozenset(("b", "c"))] > 100
