"""The server-rendered charts: one mark per model, intervals cut to a readable axis, names escaped."""

import re
from datetime import date

import pytest
from django.urls import reverse

from arena import charts
from arena.services import leaderboard

pytestmark = pytest.mark.django_db


def row(model: str, rating: float, low: float, high: float, votes: int = 100) -> dict:
    return {"model": model, "rating": rating, "ci_lower": low, "ci_upper": high, "votes": votes}


def x_positions(svg: str) -> list[float]:
    return [float(v) for v in re.findall(r'(?:x1|x2|cx)="([-\d.]+)"', svg)]


def test_every_model_gets_a_dot_and_an_interval_bar() -> None:
    svg = charts.ratings_chart([row("a", 1100, 1080, 1120), row("b", 1000, 990, 1010), row("c", 900, 870, 930)])
    assert svg.count("<circle") == 3
    assert svg.count("<line") == 3
    assert "stroke-dasharray" not in svg


def test_a_huge_interval_is_cut_to_the_axis_and_drawn_dashed() -> None:
    rows = [row("a", 1100, 1080, 1120), row("b", 1000, 990, 1010), row("newcomer", 950, -800, 2700, votes=1)]
    svg = charts.ratings_chart(rows)
    low, high = charts.LABEL_WIDTH, charts.LABEL_WIDTH + charts.PLOT_WIDTH
    assert all(low <= x <= high for x in x_positions(svg))
    assert svg.count("stroke-dasharray") == 1
    assert "newcomer: 950 (-800–2700), 1 battles" in svg
    # The well-measured models keep a readable spread: more than a tenth of the plot apart.
    dots = [float(v) for v in re.findall(r'cx="([-\d.]+)"', svg)]
    assert dots[0] - dots[1] > charts.PLOT_WIDTH / 10


def test_heatmap_has_a_cell_per_pair_and_greys_pairs_that_never_met() -> None:
    svg = charts.heatmap((["a", "b", "c"], [[None, 0.75, None], [0.25, None, 0.5], [None, 0.5, None]]), "Win rate")
    assert svg.count("<rect") == 9
    assert svg.count('fill="#eeeeee"') == 5
    assert ">75%<" in svg


def test_history_needs_two_snapshots() -> None:
    assert charts.history_chart({"a": [("2026-03-01T00:00:00+00:00", 1000.0)]}) == ""
    svg = charts.history_chart({"a": [("2026-03-01T00:00:00+00:00", 1000.0), ("2026-03-02T00:00:00+00:00", 1010.0)]})
    assert svg.count("<polyline") == 1


def test_model_names_from_a_battle_file_are_escaped_everywhere(client, counted) -> None:
    evil = '<img src=x onerror="alert(1)">'
    counted("imported", date(2026, 3, 1), evil, "plain", model_a=3, model_b=1)
    leaderboard.refresh("imported")
    leaderboard.refresh("imported")
    page = client.get(reverse("leaderboard"), {"source": "imported"}).content.decode()
    assert "<img" not in page
    assert page.count("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;") >= 4  # table, ratings, heatmap, history
