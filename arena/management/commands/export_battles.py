"""``manage.py export_battles --out FILE.json``: votes and imported battles as FastChat clean_battle JSON."""

import io
from argparse import ArgumentParser

from django.core.management.base import BaseCommand, CommandError

from arena.services.battle_export import DEFAULT_SOURCES, EXPORT_SOURCES, export_battles
from evaluators.battles_io import write_clean_battles_json


class Command(BaseCommand):
    help = (
        "Write battles as a FastChat clean_battle JSON list (model_a, model_b, winner, tstamp, anony, and "
        "conversation_a / conversation_b when the arena has them)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--out", default="-", metavar="FILE.json", help="Output file; - (default) for stdout.")
        parser.add_argument(
            "--source", action="append", choices=EXPORT_SOURCES, dest="sources",
            help=f"Repeat to combine; default: {', '.join(DEFAULT_SOURCES)}.",
        )

    def handle(self, *args: object, out: str = "-", sources: list[str] | None = None, **options: object) -> None:
        battles = export_battles(sources or DEFAULT_SOURCES)
        if out == "-":
            text = io.StringIO()
            write_clean_battles_json(battles, text)
            self.stdout.write(text.getvalue())
            return
        try:
            write_clean_battles_json(battles, out)
        except OSError as error:
            raise CommandError(f"Cannot write {out}: {error}") from None
        self.stderr.write(f"{out}: {len(battles)} battles")
