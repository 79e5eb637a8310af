"""Filters: sources kept apart, date range, commercial-use models only, and bad values refused."""

import html
from datetime import date

import pytest
from django.urls import reverse

from arena.services import leaderboard
from arena.services.leaderboard import FilterError, Filters

pytestmark = pytest.mark.django_db

MARCH_1, MARCH_5, MARCH_9 = date(2026, 3, 1), date(2026, 3, 5), date(2026, 3, 9)


def votes_by_model(filters: Filters) -> dict[str, int]:
    return {row["model"]: row["votes"] for row in leaderboard.compute(filters).rows}


@pytest.fixture
def counts(llm, counted) -> None:
    llm("open-a", license="apache-2.0", commercial=True)
    llm("open-b", license="mit", commercial=True)
    llm("research-c", license="cc-by-nc-4.0", commercial=False)
    counted("human", MARCH_1, "open-a", "open-b", model_a=3, model_b=1)
    counted("human", MARCH_9, "open-a", "research-c", tie=2)
    counted("human_named", MARCH_5, "open-b", "research-c", model_a=5)
    counted("human_flagged", MARCH_5, "open-a", "open-b", bothbad=7)
    counted("judge", MARCH_5, "research-c", "open-a", model_a=11)
    counted("imported", MARCH_5, "gpt-x", "claude-y", model_b=13)


def test_human_source_counts_only_anonymous_votes_by_default(counts) -> None:
    assert votes_by_model(Filters(source="human")) == {"open-a": 6, "open-b": 4, "research-c": 2}


def test_named_and_flagged_votes_are_added_only_on_request(counts) -> None:
    assert votes_by_model(Filters(source="human", include_named=True)) == {"open-a": 6, "open-b": 9, "research-c": 7}
    assert votes_by_model(Filters(source="human", include_flagged=True)) == {
        "open-a": 13, "open-b": 11, "research-c": 2,
    }


def test_judge_and_imported_sources_are_kept_apart(counts) -> None:
    assert votes_by_model(Filters(source="judge")) == {"research-c": 11, "open-a": 11}
    assert votes_by_model(Filters(source="imported")) == {"gpt-x": 13, "claude-y": 13}
    assert votes_by_model(Filters(source="judge", include_named=True)) == {"research-c": 11, "open-a": 11}


def test_date_range_is_inclusive_on_both_ends(counts) -> None:
    assert votes_by_model(Filters(date_from=MARCH_1, date_to=MARCH_1)) == {"open-a": 4, "open-b": 4}
    assert votes_by_model(Filters(date_from=MARCH_5)) == {"open-a": 2, "research-c": 2}
    assert votes_by_model(Filters(date_to=MARCH_5)) == {"open-a": 4, "open-b": 4}
    assert leaderboard.compute(Filters(date_from=MARCH_5, date_to=MARCH_5)).rows == []


def test_commercial_only_drops_battles_with_a_non_commercial_model(counts) -> None:
    board = leaderboard.compute(Filters(commercial_only=True))
    assert {row["model"]: row["votes"] for row in board.rows} == {"open-a": 4, "open-b": 4}
    assert {row["model"]: row["license"] for row in board.rows} == {"open-a": "apache-2.0", "open-b": "mit"}
    assert board.votes == 4


def test_unregistered_models_are_not_commercial(counts) -> None:
    assert votes_by_model(Filters(source="imported", commercial_only=True)) == {}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"source": "everyone"}, "Unknown source 'everyone'; choose human, judge, imported."),
        ({"from": "03/01/2026"}, "Dates are YYYY-MM-DD; from='03/01/2026' is not one."),
        ({"from": "2026-03-09", "to": "2026-03-01"}, "swap from and to"),
        ({"commercial": "yes"}, "commercial is 1 (on) or 0 (off), not 'yes'."),
    ],
)
def test_bad_filter_values_are_refused_with_what_to_do(client, params: dict, message: str) -> None:
    with pytest.raises(FilterError) as raised:
        Filters.from_params(params)
    assert message in str(raised.value)
    page = client.get(reverse("leaderboard"), params)
    assert page.status_code == 400
    assert html.escape(message) in page.content.decode()
    assert client.get(reverse("leaderboard-csv"), params).status_code == 400


def test_query_parameters_become_filters() -> None:
    params = {"source": "human", "from": "2026-03-01", "to": "2026-03-09", "named": "1", "flagged": "0",
              "commercial": "1"}
    assert Filters.from_params(params) == Filters(
        source="human", include_named=True, include_flagged=False, date_from=MARCH_1, date_to=MARCH_9,
        commercial_only=True,
    )
    assert Filters.from_params({}).is_default()


def test_filtered_page_is_a_fresh_fit_and_the_default_page_a_snapshot(client, counts, counted) -> None:
    leaderboard.refresh("human")
    counted("human", MARCH_9, "open-b", "research-c", model_b=100)
    stale = client.get(reverse("leaderboard")).context["board"]
    fresh = client.get(reverse("leaderboard"), {"from": "2026-03-01"}).context["board"]
    assert (stale.votes, fresh.votes) == (6, 106)
