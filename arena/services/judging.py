"""LLM-as-judge runs: what to judge, one judgment at a time, progress, and what the verdicts add up to.

Every judgment is a Verdict row keyed by (run, item, order), created before any task runs, so a task
that runs twice (a worker killed before acknowledging) finds its row finished and does nothing.
"""

import math
from itertools import combinations

from asgiref.sync import async_to_sync
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from arena.models import (
    Answer,
    Conversation,
    JudgeRun,
    PairCount,
    Participant,
    Turn,
    Verdict,
)
from arena.services.llms import backend_for
from arena.services.votes import count_battles
from evaluators.agreement import agreement, inconsistency_rate
from evaluators.judge import (
    build_pair_prompt,
    build_single_prompt,
    combine_swapped,
    get_template,
    parse_verdict,
    verdict_to_battles,
)

FINISHED = (Verdict.Parse.OK, Verdict.Parse.ERROR, Verdict.Parse.FAILED)
HUMAN_AS_PAIR = {"A": "A", "B": "B", "tie": "tie", "bothbad": "tie"}


class JudgeRunError(ValueError):
    pass


# --- choosing what to judge -----------------------------------------------------------------
def _contestant_answers(turn: Turn) -> list[Answer]:
    return [
        a
        for a in turn.answers.select_related("participant__llm").order_by("participant__position")
        if a.participant.role == Participant.Role.CONTESTANT and a.status == Answer.Status.DONE
    ]


def _pairs(run: JudgeRun, turn: Turn) -> list[tuple[Answer, Answer]]:
    answers = _contestant_answers(turn)
    if run.target == JudgeRun.Target.COLLABORATION:
        combined = turn.answers.filter(participant__role=Participant.Role.AGGREGATOR, status=Answer.Status.DONE).first()
        return [(combined, a) for a in answers] if combined else []
    if run.pairing == JudgeRun.Pairing.BASELINE:
        base = [a for a in answers if a.participant.llm_id == run.baseline_id]
        return [(a, base[0]) for a in answers if base and a is not base[0]]
    return list(combinations(answers, 2))


def _turns(run: JudgeRun):
    if run.target == JudgeRun.Target.VOTED_TURNS:
        return Turn.objects.filter(vote__isnull=False, conversation__mode__in=["anonymous", "named"])
    if run.target == JudgeRun.Target.BATCH:
        return Turn.objects.filter(conversation__batch_run=run.batch_run)
    return Turn.objects.filter(conversation__mode=Conversation.Mode.COLLABORATE)


@transaction.atomic
def plan(run: JudgeRun) -> int:
    """Create one pending Verdict per judgment (both orders for pairwise methods); returns the total."""
    get_template(run.template)  # an unknown template fails now, with the known names
    rows = []
    for turn in _turns(run).order_by("pk"):
        if run.method == JudgeRun.Method.SINGLE:
            rows += [Verdict(run=run, item=f"answer:{a.pk}", order=0, answer_a=a) for a in _contestant_answers(turn)]
            continue
        for a, b in _pairs(run, turn):
            item = f"turn:{turn.pk}:{a.pk}:{b.pk}"
            rows += [Verdict(run=run, item=item, order=o, answer_a=a, answer_b=b) for o in (0, 1)]
    Verdict.objects.bulk_create(rows, ignore_conflicts=True)
    run.total = run.verdicts.count()
    run.status = JudgeRun.Status.RUNNING if run.total else JudgeRun.Status.DONE
    run.save(update_fields=["total", "status"])
    return run.total


# --- one judgment ---------------------------------------------------------------------------------
def _conversation(turn: Turn) -> list[dict]:
    """The question, with earlier user turns as context (each answer has its own history)."""
    earlier = list(turn.conversation.turns.filter(index__lt=turn.index).order_by("index"))
    if not earlier:
        return [{"role": "user", "content": turn.user_message}]
    context = "\n\n".join(f"(Earlier user message {t.index + 1}) {t.user_message}" for t in earlier)
    return [{"role": "user", "content": f"{context}\n\n(The question being answered) {turn.user_message}"}]


def _reference(turn: Turn, needs_reference: bool) -> str | None:
    question = turn.conversation.question
    if not needs_reference:
        return None
    if question is None or not question.reference or turn.index >= len(question.reference):
        raise JudgeRunError(f"Template needs a reference answer, and turn {turn.pk} has none.")
    return question.reference[turn.index]


def judge_prompt(verdict: Verdict) -> list[dict]:
    template = get_template(verdict.run.template)
    turn = verdict.answer_a.turn
    conversation, reference = _conversation(turn), _reference(turn, template.needs_reference)
    if template.kind == "single":
        return build_single_prompt(template, conversation, verdict.answer_a.text, reference)
    first, second = verdict.answer_a.text, verdict.answer_b.text
    if verdict.order == 1:
        first, second = second, first
    return build_pair_prompt(template, conversation, first, second, reference)


def _call_judge(run: JudgeRun, messages: list[dict]) -> str:
    from arena.backends import GenerationParams, GenerationRequest
    from arena.services.llms import render_prompt
    from prompts import Message

    judge = run.judge
    rendered = render_prompt(judge, [Message(m["role"], m["content"]) for m in messages])
    params = GenerationParams.from_dict(
        {**judge.generation_defaults(), "temperature": 0.0, "stop": (*rendered.stop, *(judge.stop or ()))}
    )
    request = GenerationRequest(prompt=rendered.text, messages=rendered.messages, params=params)
    return async_to_sync(backend_for(judge).generate)(request).text


def judge_one(verdict_id: int) -> Verdict:
    """Ask the judge once. Transient backend errors propagate so the task retries with backoff."""
    from arena.backends import BackendError

    verdict = Verdict.objects.select_related("run__judge", "answer_a__turn__conversation__question", "answer_b").get(
        pk=verdict_id
    )
    run = verdict.run
    if verdict.parse_status in FINISHED or run.status == JudgeRun.Status.CANCELLED:
        return verdict
    try:
        verdict.prompt = judge_prompt(verdict)
        verdict.raw_text = _call_judge(run, verdict.prompt)
    except BackendError as exc:
        if not exc.permanent:
            raise
        return _store_failure(verdict, str(exc))
    except JudgeRunError as exc:
        return _store_failure(verdict, str(exc))
    return _store_parsed(verdict)


def _store_failure(verdict: Verdict, error: str) -> Verdict:
    verdict.parse_status, verdict.error = Verdict.Parse.FAILED, error
    verdict.save()
    update_progress(verdict.run_id)
    return verdict


def _store_parsed(verdict: Verdict) -> Verdict:
    kind = get_template(verdict.run.template).kind
    parsed = parse_verdict(verdict.raw_text, kind=kind)
    if parsed is None:
        verdict.parse_status = Verdict.Parse.ERROR
        verdict.error = f"No valid {kind} verdict marker in the judge's answer."
    elif kind == "single":
        verdict.parse_status, verdict.score, verdict.verdict = Verdict.Parse.OK, float(parsed), str(parsed)
    else:
        verdict.parse_status, verdict.verdict = Verdict.Parse.OK, str(parsed)
    verdict.save()
    if kind != "single":
        settle_pair(verdict.run_id, verdict.item)
    update_progress(verdict.run_id)
    return verdict


def settle_pair(run_id: int, item: str) -> None:
    """Once both orders are parsed, store the combined verdict and count it, exactly once."""
    pair = {v.order: v for v in Verdict.objects.filter(run_id=run_id, item=item).select_related("run")}
    if len(pair) < 2 or any(v.parse_status not in FINISHED for v in pair.values()):
        return
    first, second = pair[0], pair[1]
    kind = get_template(first.run.template).kind
    ok = first.parse_status == second.parse_status == Verdict.Parse.OK
    final, inconsistent = combine_swapped(first.verdict if ok else None, second.verdict if ok else None, kind)
    with transaction.atomic():
        claimed = Verdict.objects.filter(pk=first.pk, counted=False).update(
            counted=True, final=final or "", inconsistent=inconsistent
        )
        if claimed and final is not None:
            battles = [
                (first.answer_a.participant.llm.slug, first.answer_b.participant.llm.slug, w)
                for w in verdict_to_battles(final, kind, settings.ARENA_JUDGE_STRONG_WEIGHT)
            ]
            count_battles(PairCount.Source.JUDGE, battles, timezone.now().date())


def update_progress(run_id: int) -> None:
    """Progress is counted from the verdict rows, so a task that ran twice never counts twice."""
    verdicts = Verdict.objects.filter(run_id=run_id)
    done = verdicts.filter(parse_status__in=[Verdict.Parse.OK, Verdict.Parse.ERROR]).count()
    failed = verdicts.filter(parse_status=Verdict.Parse.FAILED).count()
    run = JudgeRun.objects.get(pk=run_id)
    fields = {"done": done, "failed": failed}
    if done + failed >= run.total and run.status == JudgeRun.Status.RUNNING:
        fields.update(status=JudgeRun.Status.DONE, finished=timezone.now())
    JudgeRun.objects.filter(pk=run_id).update(**fields)


def pending_ids(run: JudgeRun) -> list[int]:
    return list(run.verdicts.exclude(parse_status__in=FINISHED).values_list("pk", flat=True))


# --- pages ------------------------------------------------------------------------------------------
def progress(run: JudgeRun) -> dict:
    finished = run.done + run.failed
    return {
        "id": run.pk,
        "status": run.status,
        "done": run.done,
        "failed": run.failed,
        "total": run.total,
        "percent": round(100 * finished / run.total, 1) if run.total else 100.0,
    }


def run_summary(run: JudgeRun) -> dict:
    verdicts = run.verdicts.all()
    flags = list(verdicts.filter(order=0, counted=True).values_list("inconsistent", flat=True))
    return {
        "parsed": verdicts.filter(parse_status=Verdict.Parse.OK).count(),
        "parse_errors": verdicts.filter(parse_status=Verdict.Parse.ERROR).count(),
        "call_failures": verdicts.filter(parse_status=Verdict.Parse.FAILED).count(),
        "inconsistency_rate": inconsistency_rate(flags) if flags else None,
        "examples": list(verdicts.exclude(raw_text="").order_by("pk")[:5]),
    }


def agreement_summary() -> dict | None:
    """Judge-human agreement over voted arena turns judged pairwise (A/B/C with the swap)."""
    settled = (
        Verdict.objects.filter(
            order=0, counted=True, run__target=JudgeRun.Target.VOTED_TURNS, run__method=JudgeRun.Method.PAIR
        )
        .exclude(final="")
        .select_related("answer_a__turn__vote", "answer_a__participant", "answer_b__participant")
    )
    pairs, flags = [], []
    for v in settled:
        vote = getattr(v.answer_a.turn, "vote", None)
        if vote is None or vote.winner not in HUMAN_AS_PAIR or v.answer_a.participant.position != 0:
            continue
        pairs.append((HUMAN_AS_PAIR[vote.winner], v.final))
        flags.append(v.inconsistent)
    if not pairs:
        return None
    return {**agreement(pairs), "inconsistency_rate": inconsistency_rate(flags)}


def wilson(wins: float, n: int, z: float = 1.96) -> tuple[float, float]:
    if n == 0:
        return (0.0, 1.0)
    p = wins / n
    centre, spread = p + z * z / (2 * n), z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return ((centre - spread) / (1 + z * z / n), (centre + spread) / (1 + z * z / n))


def collaboration_summary() -> list[dict]:
    """Does collaboration help? Per aggregator: human votes (combined vs best single) and judge verdicts."""
    rows: dict[str, dict] = {}
    aggregators = Participant.objects.filter(role=Participant.Role.AGGREGATOR).select_related("llm")
    for p in aggregators:
        row = rows.setdefault(
            p.llm.slug,
            {"aggregator": p.llm.name, "votes": 0, "combined_wins": 0, "judged": 0, "judge_combined_wins": 0.0},
        )
        for vote_winner in Turn.objects.filter(conversation=p.conversation_id, vote__isnull=False).values_list(
            "vote__winner", flat=True
        ):
            row["votes"] += 1
            row["combined_wins"] += vote_winner == "combined"
    judged = Verdict.objects.filter(order=0, counted=True, run__target=JudgeRun.Target.COLLABORATION).exclude(final="")
    for v in judged.select_related("answer_a__participant__llm"):
        row = rows.get(v.answer_a.participant.llm.slug)
        if row is not None:
            row["judged"] += 1
            row["judge_combined_wins"] += (
                1.0 if v.final in ("A", "A>B", "A>>B") else 0.5 if v.final in ("tie", "A=B") else 0
            )
    for row in rows.values():
        row["vote_interval"] = wilson(row["combined_wins"], row["votes"])
        row["judge_interval"] = wilson(row["judge_combined_wins"], row["judged"])
    return [r for r in rows.values() if r["votes"] or r["judged"]]
