"""Ratings on simulated battles: (a) 1M battles among 50 models, (b) 2M among 200.

For each: reading the battle file (CSV and FastChat JSON), aggregating rows into per-pair
counts, the Bradley-Terry fit with 100 bootstrap rounds from those counts (the figure with a
target: (a) <= 0.35 s, (b) <= 1.2 s), online Elo, and the whole `leaderboard()` call.
Prints figures, asserts nothing: wall-clock seconds (best and median of ``--repeat`` runs for
the fits and the Elo loop, one run otherwise) and the CPU seconds of the best run.

    .venv/bin/python benchmarks/bench_ratings.py [--only a|b|import] [--repeat N] [--import-battles N]

(import) ``manage.py import_battles`` of 1M simulated battles (CSV) into a fresh SQLite database,
then the same file again (every key already present), then the imported leaderboard's refresh.
Target: <= 60 s per million battles for the first import.

The fits solve 200 x 200 systems, too small for threaded BLAS: on a busy machine OpenBLAS's
threads mostly wait for each other, and ``OPENBLAS_NUM_THREADS=1`` is faster.
"""

import argparse
import csv
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from evaluators.battles_io import read_battles
from evaluators.ratings import aggregate, leaderboard, leaderboard_from_counts, online_elo
from evaluators.ratings_elo import online_elo_encoded
from evaluators.ratings_simulate import simulate

CASES = {"a": (1_000_000, 50, 0.35), "b": (2_000_000, 200, 1.2)}


def timed(function: Callable[[], object], repeat: int = 1) -> tuple[float, float, float, object]:
    """Best and median wall seconds and the CPU seconds of the best run, and the last result.

    CPU above wall means BLAS used a second core; wall well above CPU means a busy machine.
    """
    runs, result = [], None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = function()
        runs.append((time.perf_counter() - wall, time.process_time() - cpu))
    best = min(runs)
    return best[0], statistics.median(wall for wall, _ in runs), best[1], result


def write_files(rows: list, folder: Path) -> tuple[Path, Path]:
    csv_path, json_path = folder / "battles.csv", folder / "battles.json"
    with csv_path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["model_a", "model_b", "winner", "tstamp", "anony"])
        writer.writerows((r.model_a, r.model_b, r.winner, r.tstamp, "true") for r in rows)
    keys = ("model_a", "model_b", "winner", "tstamp")
    items = [{**dict(zip(keys, r[:4], strict=True)), "anony": True} for r in rows]
    json_path.write_text(json.dumps(items), encoding="utf-8")
    return csv_path, json_path


def run_case(name: str, repeat: int) -> None:
    n_battles, n_models, target = CASES[name]
    print(f"\n({name}) {n_battles:,} battles, {n_models} models, 10% ties")
    sim = simulate(n_battles, n_models, seed=1, tie_rate=0.1)
    rows = sim.rows()
    with tempfile.TemporaryDirectory() as folder:
        csv_path, json_path = write_files(rows, Path(folder))
        for label, path in (("read CSV file", csv_path), ("read JSON file", json_path)):
            report(label, *timed(lambda path=path: read_battles(path))[:3], f"{path.stat().st_size / 1e6:.0f} MB")
    *figures, counts = timed(lambda: aggregate(rows))
    report("aggregate rows to pair counts", *figures, f"{len(counts.records())} pairs")
    *figures, _ = timed(lambda: leaderboard_from_counts(counts, bootstrap_rounds=100, seed=0), repeat)
    report("BT fit + 100 bootstrap rounds", *figures, f"target <= {target} s")
    report("online Elo (rows, incl. encoding)", *timed(lambda: online_elo(rows))[:3])
    report("online Elo (replay loop only)", *timed(lambda: online_elo_encoded(sim.battles), repeat)[:3])
    report("leaderboard(rows), end to end", *timed(lambda: leaderboard(rows, bootstrap_rounds=100, seed=0))[:3])


def report(what: str, best: float, median: float, cpu: float, note: str = "") -> None:
    print(f"  {what:<36} best {best:7.3f} s  median {median:7.3f} s  (cpu {cpu:6.3f} s)  {note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=[*sorted(CASES), "import"], help="run one case")
    parser.add_argument("--import-battles", type=int, default=IMPORT_BATTLES, metavar="N", help="battles to import")
    parser.add_argument("--repeat", type=int, default=5, help="runs of the timed fits (default 5)")
    args = parser.parse_args()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    blas_threads = os.environ.get("OPENBLAS_NUM_THREADS", "unset (OpenBLAS uses every core)")
    print(f"bench_ratings: {os.cpu_count()} CPUs, load average {load:.2f}, OPENBLAS_NUM_THREADS {blas_threads}")
    for name in [args.only] if args.only else [*sorted(CASES), "import"]:
        if name == "import":
            run_import_case(args.import_battles)
        else:
            run_case(name, args.repeat)


# --- import_battles: the arena's Django side ------------------------------------------------------------
IMPORT_BATTLES, IMPORT_MODELS, IMPORT_TARGET = 1_000_000, 50, 60.0  # target: seconds per million battles


def run_import_case(n_battles: int = IMPORT_BATTLES) -> None:
    """``manage.py import_battles`` of a simulated CSV into a fresh SQLite database, then the same file again."""
    print(f"\n(import) manage.py import_battles, {n_battles:,} battles, {IMPORT_MODELS} models, fresh SQLite database")
    with tempfile.TemporaryDirectory() as folder:
        call_command, refresh = _django_in(Path(folder))
        rows = simulate(n_battles, IMPORT_MODELS, seed=2, tie_rate=0.1).rows()
        csv_path, _ = write_files(rows, Path(folder))
        del rows
        command = ("import_battles", str(csv_path), "--no-refresh")
        *figures, _ = timed(lambda: call_command(*command, verbosity=0))
        per_million = f"{figures[0] * 1e6 / n_battles:.1f} s per million, target <= {IMPORT_TARGET:.0f} s"
        report("import into an empty database", *figures, per_million)
        report("import again (every key present)", *timed(lambda: call_command(*command, verbosity=0))[:3])
        *figures, snapshot = timed(lambda: refresh("imported"))
        report("refresh the imported snapshot", *figures, f"{len(snapshot.rows)} models, {snapshot.votes:,} battles")


def _django_in(folder: Path) -> tuple[Callable[..., object], Callable[[str], object]]:
    """Django's embedded profile (SQLite in WAL mode) with its var/ in ``folder``, migrated.

    Returns (call_command, leaderboard.refresh). DATABASE_URL is dropped: never import a million battles
    into a real database.
    """
    os.environ.pop("DATABASE_URL", None)
    os.environ["ARENA_VAR_DIR"] = str(folder)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "arena.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from arena.services.leaderboard import refresh

    return call_command, refresh


if __name__ == "__main__":
    main()
