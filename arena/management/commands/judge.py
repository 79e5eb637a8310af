"""Start, resume, cancel and watch judge runs and batch runs from the command line.

    manage.py judge start --judge SLUG [--method pair|five|single] [--target voted|collaboration]
    manage.py judge batch --set NAME --models a,b,c [--judge SLUG | --no-judge] [--pairing baseline --baseline a]
    manage.py judge resume ID [--batch] [--retry-failed] ; judge cancel ID [--batch] ; judge status ID [--batch]
    manage.py judge register-openai [--model gpt-4o]

The work runs in Celery workers; --wait follows the progress here until the run ends.
"""

import time

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import reverse
from kombu.exceptions import OperationalError

from arena import tasks
from arena.models import LLM, BatchRun, JudgeRun, QuestionSet
from arena.services import batches, judging
from arena.services.judge_reports import progress

ACTIVE = ("pending", "running")


class Command(BaseCommand):
    help = "Start, resume, cancel or watch judge runs and batch runs (the work runs in Celery workers)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        start = actions.add_parser("start", help="Judge arena turns (voted ones, or collaboration rounds).")
        _judging_options(start)
        start.add_argument("--target", choices=["voted", "collaboration"], default="voted")
        batch = actions.add_parser("batch", help="Answer a question set with several models, then judge.")
        batch.add_argument("--set", dest="set_name", required=True, help="Question set name.")
        batch.add_argument("--models", required=True, help="Comma-separated model slugs.")
        batch.add_argument("--no-judge", action="store_true", help="Only generate the answers.")
        _judging_options(batch)
        for name, text in (("resume", "Queue what is left"), ("cancel", "Stop"), ("status", "Show progress of")):
            sub = actions.add_parser(name, help=f"{text} a judge run (or a batch run with --batch).")
            sub.add_argument("id", type=int)
            sub.add_argument("--batch", action="store_true", help="The id is a batch run's.")
            if name == "resume":
                sub.add_argument("--retry-failed", action="store_true", help="Ask again where calls failed.")
                sub.add_argument("--wait", action="store_true", help="Follow the progress until the run ends.")
        register = actions.add_parser("register-openai", help="Register the openai-judge model (key: OPENAI_API_KEY).")
        register.add_argument("--model", default="", help="OpenAI model name (default: ARENA_DEFAULT_JUDGE_MODEL).")

    def handle(self, *args: object, action: str, **options: object) -> None:
        handler = getattr(self, "do_" + action.replace("-", "_"))
        try:
            handler(**options)
        except (judging.JudgeRunError, batches.BatchRunError) as exc:
            raise CommandError(str(exc)) from exc
        except OperationalError as exc:
            raise CommandError(
                f"Cannot reach the Celery broker ({exc}). Start it (or check CELERY_BROKER_URL / REDIS_URL); "
                "what was planned is kept, and `judge resume ID` queues it again."
            ) from exc

    def do_start(self, judge: str | None, target: str, wait: bool, **options: object) -> None:
        run = judging.create_run(
            _judge(judge), str(options["method"]), str(options["template"] or ""), target=target,
            pairing=str(options["pairing"]), baseline=_llm(options["baseline"]) if options["baseline"] else None,
        )
        tasks.queue_verdicts(judging.start(run.pk))
        run.refresh_from_db()
        self.stdout.write(f"judge run {run.pk} ({run.judge.slug}, {run.method}, {run.template}): "
                          f"{run.total} judgments; progress at {reverse('judge-run', args=[run.pk])}")
        if wait:
            self._follow(run.pk)

    def do_batch(self, set_name: str, models: str, no_judge: bool, wait: bool, **options: object) -> None:
        question_set = QuestionSet.objects.filter(name=set_name).first()
        if question_set is None:
            known = ", ".join(QuestionSet.objects.order_by("name").values_list("name", flat=True)) or "none yet"
            raise CommandError(f"No question set {set_name!r} (known: {known}); import one with import_questions.")
        llms = [_llm(slug.strip()) for slug in models.split(",") if slug.strip()]
        batch = batches.create_batch(
            question_set, llms, judge=None if no_judge else _judge(options["judge"]), method=str(options["method"]),
            pairing=str(options["pairing"]), baseline=_llm(options["baseline"]) if options["baseline"] else None,
            template=str(options["template"] or ""),
        )
        tasks.queue_participants(batches.start(batch.pk))
        self._describe_batch(batch.pk)
        if wait:
            self._follow_batch(batch.pk)

    def do_resume(self, id: int, batch: bool, retry_failed: bool, wait: bool, **_: object) -> None:
        if batch:
            participants, verdicts = batches.resume(_batch(id).pk, retry_failed)
            tasks.queue_participants(participants)
            tasks.queue_verdicts(verdicts)
            self.stdout.write(f"batch run {id}: {len(participants)} model(s) with answers left, "
                              f"{len(verdicts)} judgment(s) queued")
            if wait:
                self._follow_batch(id)
            return
        ids = judging.resume(_run(id).pk, retry_failed)
        tasks.queue_verdicts(ids)
        self.stdout.write(f"judge run {id}: {len(ids)} judgment(s) queued")
        if wait:
            self._follow(id)

    def do_cancel(self, id: int, batch: bool, **_: object) -> None:
        stopped = batches.cancel(_batch(id).pk) if batch else judging.cancel(_run(id).pk)
        kind = "batch run" if batch else "judge run"
        self.stdout.write(f"{kind} {id} cancelled" if stopped else f"{kind} {id} was not running")

    def do_status(self, id: int, batch: bool, **_: object) -> None:
        if batch:
            self._describe_batch(_batch(id).pk)
        else:
            self.stdout.write(_line(progress(_run(id))))

    def do_register_openai(self, model: str, **_: object) -> None:
        llm = judging.ensure_openai_judge(model)
        self.stdout.write(f"registered {llm.slug} ({llm.remote_model}); its key is read from ${llm.api_key_env}")

    def _describe_batch(self, batch_id: int) -> None:
        batch = BatchRun.objects.get(pk=batch_id)
        self.stdout.write(f"batch run {batch.pk}: {batch.status}, answers {batch.done} done, {batch.failed} failed "
                          f"of {batch.total}")
        run = batches.judge_run_of(batch)
        if run is not None:
            self.stdout.write(f"  judged by run {run.pk}: {_line(progress(run))}; "
                              f"progress at {reverse('judge-run', args=[run.pk])}")

    def _follow(self, run_id: int) -> None:
        last = ""
        while True:
            line = _line(progress(JudgeRun.objects.get(pk=run_id)))
            if line != last:
                self.stdout.write(line)
                last = line
            if JudgeRun.objects.get(pk=run_id).status not in ACTIVE:
                return
            time.sleep(1)

    def _follow_batch(self, batch_id: int) -> None:
        while BatchRun.objects.get(pk=batch_id).status in ACTIVE:
            time.sleep(1)
        self._describe_batch(batch_id)
        run = batches.judge_run_of(BatchRun.objects.get(pk=batch_id))
        if run is not None:
            self._follow(run.pk)


def _judging_options(parser: CommandParser) -> None:
    parser.add_argument("--judge", help="Judge model slug (default: openai-judge when OPENAI_API_KEY is set).")
    parser.add_argument("--method", choices=JudgeRun.Method.values, default="pair")
    parser.add_argument("--template", help="Judge template (default: pair-v1, five-v1 or single-v1).")
    parser.add_argument("--pairing", choices=JudgeRun.Pairing.values, default="all")
    parser.add_argument("--baseline", help="Baseline model slug, with --pairing baseline.")
    parser.add_argument("--wait", action="store_true", help="Follow the progress until the run ends.")


def _line(bar: dict) -> str:
    return f"{bar['status']}: {bar['done']} done, {bar['failed']} failed of {bar['total']} ({bar['percent']}%)"


def _llm(slug: object) -> LLM:
    llm = LLM.objects.filter(slug=str(slug)).first()
    if llm is None:
        known = ", ".join(LLM.objects.order_by("slug").values_list("slug", flat=True)) or "none registered"
        raise CommandError(f"No model {slug!r}; registered models: {known}.")
    return llm


def _judge(slug: object) -> LLM:
    return _llm(slug) if slug else judging.default_judge()


def _run(run_id: int) -> JudgeRun:
    run = JudgeRun.objects.filter(pk=run_id).first()
    if run is None:
        raise CommandError(f"No judge run {run_id}.")
    return run


def _batch(batch_id: int) -> BatchRun:
    batch = BatchRun.objects.filter(pk=batch_id).first()
    if batch is None:
        raise CommandError(f"No batch run {batch_id}.")
    return batch
