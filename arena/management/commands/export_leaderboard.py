"""``manage.py export_leaderboard --out FILE.csv``: the leaderboard as CSV, computed now from the counts."""

import dataclasses
import io
from argparse import ArgumentParser
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from arena.services import leaderboard
from arena.services.leaderboard import FilterError, Filters


class Command(BaseCommand):
    help = "Write the leaderboard as CSV (the columns of /leaderboard.csv), with the page's filters."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--out", default="-", metavar="FILE.csv", help="Output file; - (default) for stdout.")
        parser.add_argument("--source", default="human", choices=list(leaderboard.SOURCES))
        parser.add_argument("--from", dest="date_from", default="", metavar="YYYY-MM-DD")
        parser.add_argument("--to", dest="date_to", default="", metavar="YYYY-MM-DD")
        parser.add_argument("--named", action="store_true", help="Include human votes cast with names shown.")
        parser.add_argument("--flagged", action="store_true", help="Include votes on answers that named their model.")
        parser.add_argument("--commercial", action="store_true", help="Only models whose license allows it.")
        parser.add_argument("--bootstrap", type=int, default=100, metavar="N", help="Bootstrap rounds (default 100).")

    def handle(self, *args: object, **options: object) -> None:
        params = {
            "source": options["source"], "from": options["date_from"], "to": options["date_to"],
            **{name: "1" if options[name] else "" for name in ("named", "flagged", "commercial")},
        }
        if int(options["bootstrap"]) < 0:
            raise CommandError("--bootstrap is a number of rounds, 0 or more.")
        try:
            filters = Filters.from_params(params)
        except FilterError as error:
            raise CommandError(str(error)) from None
        filters = dataclasses.replace(filters, bootstrap_rounds=int(options["bootstrap"]))
        text = io.StringIO()
        board = leaderboard.compute(filters)
        leaderboard.write_csv(board.rows, text)
        if options["out"] == "-":
            self.stdout.write(text.getvalue(), ending="")
            return
        try:
            Path(options["out"]).write_text(text.getvalue(), encoding="utf-8")
        except OSError as error:
            raise CommandError(f"Cannot write {options['out']}: {error}") from None
        self.stderr.write(f"{options['out']}: {len(board.rows)} models from {board.votes} battles")
