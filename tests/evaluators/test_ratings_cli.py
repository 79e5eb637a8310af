"""``python -m evaluators.ratings``: the CSV it prints, and how it fails."""

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from evaluators.ratings import leaderboard
from evaluators.ratings_simulate import simulate

ROOT = Path(__file__).resolve().parents[2]
HEADER = "rank,model,rating,ci_lower,ci_upper,elo,votes,wins,losses,ties,win_rate"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "evaluators.ratings", *args]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def battles_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "battles.csv"
    rows = simulate(3000, 5, seed=9, tie_rate=0.2).rows()
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["model_a", "model_b", "winner", "tstamp", "anony"])
        writer.writerows([*row[:4], "true"] for row in rows)
    return path


def test_prints_the_leaderboard_as_csv(battles_csv: Path) -> None:
    result = run(str(battles_csv), "--bootstrap", "20", "--seed", "3")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == HEADER
    table = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(table) == 5 and sum(int(row["votes"]) for row in table) == 2 * 3000
    expected = leaderboard(simulate(3000, 5, seed=9, tie_rate=0.2).rows(), bootstrap_rounds=20, seed=3)
    for printed, row in zip(table, expected, strict=True):
        assert printed["model"] == row["model"] and int(printed["rank"]) == row["rank"]
        assert float(printed["rating"]) == pytest.approx(row["rating"], abs=0.005)
        assert float(printed["ci_lower"]) == pytest.approx(row["ci_lower"], abs=0.005)
        assert float(printed["elo"]) == pytest.approx(row["elo"], abs=0.005)
        assert float(printed["win_rate"]) == pytest.approx(row["win_rate"], abs=5e-5)


def test_reads_fastchat_json_and_adds_style_columns(tmp_path: Path) -> None:
    meta = {"sum_assistant_a_tokens": 100, "sum_assistant_b_tokens": 300, "bold_count_a": {"**": 1}}
    items = [
        {"model_a": a, "model_b": b, "winner": w, "tstamp": i, "anony": True, "conv_metadata": meta}
        for i, (a, b, w) in enumerate([("x", "y", "model_a"), ("y", "z", "tie"), ("z", "x", "model_b")] * 20)
    ]
    path = tmp_path / "clean_battle.json"
    path.write_text(json.dumps(items), encoding="utf-8")
    result = run(str(path), "--bootstrap", "5", "--style-control")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == HEADER + ",style_rank,style_rating,style_ci_lower,style_ci_upper"


def test_bad_rows_end_with_status_2_and_their_numbers(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("model_a,model_b,winner\na,b,model_a\na,a,tie\na,b,draw\n", encoding="utf-8")
    result = run(str(path))
    assert result.returncode == 2 and result.stdout == ""
    assert "row 2:" in result.stderr and "row 3:" in result.stderr


def test_a_missing_file_is_reported(tmp_path: Path) -> None:
    result = run(str(tmp_path / "missing.csv"))
    assert result.returncode == 2 and "missing.csv" in result.stderr
