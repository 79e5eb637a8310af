"""Import an MT-bench or arena-hard question.jsonl (or the starter set) into a question set."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from arena.services.batches import import_questions
from evaluators.questions import QuestionFileError, load_starter_questions, read_questions

STARTER_SET = "starter"


class Command(BaseCommand):
    help = "Read MT-bench / arena-hard question.jsonl into a question set (questions with the same id are updated)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", help="Path to a question.jsonl file.")
        parser.add_argument("--set", dest="set_name", help="Question set name (created when missing).")
        parser.add_argument("--starter", action="store_true", help="Load the bundled starter set.")
        parser.add_argument("--description", default="", help="Description of a new set.")

    def handle(self, *args: object, file: str | None, set_name: str | None, starter: bool, **options: object) -> None:
        if bool(file) == starter:
            raise CommandError("Give either a question.jsonl FILE with --set NAME, or --starter.")
        if file and not set_name:
            raise CommandError("Name the question set: --set NAME.")
        try:
            questions = load_starter_questions() if starter else read_questions(file)
        except QuestionFileError as exc:
            raise CommandError(str(exc)) from exc
        name = set_name or STARTER_SET
        created, updated = import_questions(name, questions, str(options["description"]))
        self.stdout.write(f"question set {name!r}: {created} added, {updated} updated ({len(questions)} in the file)")
