"""CSV export: /leaderboard.csv and `manage.py export_leaderboard` share columns, numbers and filters."""

import csv
import io
import re
from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from arena.services import leaderboard
from evaluators.ratings_cli import COLUMNS as CLI_COLUMNS

pytestmark = pytest.mark.django_db

EXPECTED_HEADER = [*CLI_COLUMNS, "license", "commercial_use"]


@pytest.fixture
def counts(licensed_models, counted) -> None:
    counted("human", date(2026, 3, 1), "open-a", "open-b", model_a=30, model_b=10, tie=5)
    counted("human", date(2026, 3, 2), "open-b", "research-c", model_a=20, model_b=15, bothbad=2)
    counted("human", date(2026, 3, 3), "research-c", "open-a", model_a=8, model_b=25)
    counted("judge", date(2026, 3, 3), "research-c", "open-a", model_a=40)


def parse(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def export(*args: str) -> str:
    out = io.StringIO()
    call_command("export_leaderboard", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_view_csv_has_the_command_line_columns_then_license(client, counts) -> None:
    response = client.get(reverse("leaderboard-csv"))
    assert response["Content-Type"] == "text/csv"
    assert 'filename="leaderboard-human.csv"' in response["Content-Disposition"]
    text = response.content.decode()
    assert text.splitlines()[0].split(",") == EXPECTED_HEADER
    rows = parse(text)
    assert [row["model"] for row in rows] == ["open-a", "open-b", "research-c"]
    first = rows[0]
    assert (first["votes"], first["wins"], first["losses"], first["ties"]) == ("78", "55", "18", "5")
    assert (first["license"], first["commercial_use"]) == ("apache-2.0", "true")
    assert rows[2]["commercial_use"] == "false"
    assert first["win_rate"] == f"{(55 + 2.5) / 78:.4f}"
    assert all(len(row[k].split(".")[1]) == 2 for row in rows for k in ("rating", "ci_lower", "ci_upper", "elo"))
    assert all(float(row["ci_lower"]) <= float(row["rating"]) <= float(row["ci_upper"]) for row in rows)


def test_command_writes_the_same_csv_as_the_view(client, counts, tmp_path) -> None:
    leaderboard.refresh("human")
    out = tmp_path / "board.csv"
    export("--out", str(out))
    assert out.read_text() == client.get(reverse("leaderboard-csv")).content.decode()
    assert export() == out.read_text()


def test_command_and_view_honour_the_same_filters(client, counts) -> None:
    by_view = client.get(reverse("leaderboard-csv"), {"commercial": "1", "from": "2026-03-01", "to": "2026-03-02"})
    by_command = export("--commercial", "--from", "2026-03-01", "--to", "2026-03-02")
    assert by_command == by_view.content.decode()
    assert [row["model"] for row in parse(by_command)] == ["open-a", "open-b"]
    assert [row["votes"] for row in parse(export("--source", "judge"))] == ["40", "40"]


def test_empty_board_is_a_header_only(counts) -> None:
    assert export("--source", "imported").splitlines() == [",".join(EXPECTED_HEADER)]


def test_command_refuses_bad_filters_with_what_to_do(counts) -> None:
    with pytest.raises(CommandError, match=re.escape("Dates are YYYY-MM-DD; from='March' is not one.")):
        export("--from", "March")
    with pytest.raises(CommandError, match="swap from and to"):
        export("--from", "2026-03-09", "--to", "2026-03-01")
