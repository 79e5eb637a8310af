"""``manage.py import_battles FILE``: add a battle file to the imported leaderboard, all or nothing."""

import time
from argparse import ArgumentParser

from django.core.management.base import BaseCommand, CommandError

from arena.services import battle_import, leaderboard
from evaluators.battles_io import BattleFileError

LISTED_PROBLEMS = 50


class Command(BaseCommand):
    help = (
        "Import battles from a CSV (model_a,model_b,winner[,tstamp][,anony]), FastChat clean_battle JSON or JSON "
        "Lines file. Importing the same file again adds nothing; a bad row imports nothing."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", metavar="FILE")
        parser.add_argument(
            "--no-refresh", action="store_true", help="Skip recomputing the imported leaderboard snapshot."
        )

    def handle(self, *args: object, file: str, no_refresh: bool = False, verbosity: int = 1, **options: object) -> None:
        started = time.perf_counter()
        result = import_or_explain(file)
        seconds = time.perf_counter() - started
        if verbosity:
            self.stdout.write(
                f"{file}: {result.read} battles read, {result.added} added, {result.already_present} already imported "
                f"({seconds:.1f} s)"
            )
        if result.added and not no_refresh:
            snapshot = leaderboard.refresh(battle_import.SOURCE)
            if verbosity:
                self.stdout.write(f"imported leaderboard: {len(snapshot.rows)} models from {snapshot.votes} battles")


def import_or_explain(file: str) -> battle_import.ImportResult:
    try:
        return battle_import.import_file(file)
    except BattleFileError as error:
        raise CommandError(problem_report(file, error)) from None
    except (battle_import.BattleImportError, OSError) as error:
        raise CommandError(f"{file}: {error}") from None


def problem_report(file: str, error: BattleFileError) -> str:
    lines = [f"{file}: {len(error.problems)} problem(s); nothing was imported. Fix these rows and run again:"]
    lines += [f"  row {row}: {what}" if row else f"  {what}" for row, what in error.problems[:LISTED_PROBLEMS]]
    if len(error.problems) > LISTED_PROBLEMS:
        rest = [str(row) for row, _ in error.problems[LISTED_PROBLEMS:]]
        lines.append(f"  and {len(rest)} more, rows {', '.join(rest)}")
    return "\n".join(lines)
