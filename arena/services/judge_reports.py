"""What judge runs add up to: progress bars, a run's summary, judge-human agreement, collaboration."""

import math
from typing import Any

from django.db.models import Count, Q

from arena.models import LLM, JudgeRun, Participant, Verdict
from evaluators.agreement import agreement, inconsistency_rate

HUMAN_AS_PAIR = {"A": "A", "B": "B", "tie": "tie", "bothbad": "tie"}
JUDGE_AS_PAIR = {"A": "A", "B": "B", "tie": "tie", "A>>B": "A", "A>B": "A", "A=B": "tie", "B>A": "B", "B>>A": "B"}
FLIPPED = {"A": "B", "B": "A", "tie": "tie"}


def _bar(obj: Any) -> dict:
    finished = obj.done + obj.failed
    percent = round(100 * finished / obj.total, 1) if obj.total else (100.0 if obj.status == "done" else 0.0)
    return {"status": obj.status, "done": obj.done, "failed": obj.failed, "total": obj.total, "percent": percent}


def progress(run: JudgeRun) -> dict:
    """The progress bar's data; a batch run's answer generation comes along under "batch"."""
    data = {"id": run.pk, **_bar(run)}
    if run.batch_run_id is not None:
        data["batch"] = {"id": run.batch_run_id, **_bar(run.batch_run)}
    return data


def run_summary(run: JudgeRun) -> dict:
    verdicts = run.verdicts.all()
    flags = list(verdicts.filter(order=0, counted=True).exclude(final="").values_list("inconsistent", flat=True))
    return {
        "parsed": verdicts.filter(parse_status=Verdict.Parse.OK).count(),
        "parse_errors": verdicts.filter(parse_status=Verdict.Parse.ERROR).count(),
        "call_failures": verdicts.filter(parse_status=Verdict.Parse.FAILED).count(),
        "inconsistency_rate": inconsistency_rate(flags),
        "scores": _mean_scores(run) if run.method == JudgeRun.Method.SINGLE else [],
        "errors": list(verdicts.exclude(error="").order_by("pk")[:5]),
        "examples": list(verdicts.exclude(raw_text="").order_by("pk")[:5]),
    }


def _mean_scores(run: JudgeRun) -> list[dict]:
    scores: dict[str, list[float]] = {}
    graded = run.verdicts.filter(parse_status=Verdict.Parse.OK).values_list("answer_a__participant__llm__slug", "score")
    for slug, score in graded:
        scores.setdefault(slug, []).append(score)
    rows = [{"model": slug, "n": len(s), "mean": sum(s) / len(s)} for slug, s in scores.items()]
    return sorted(rows, key=lambda row: -row["mean"])


def agreement_summary(judge: LLM | None = None) -> dict | None:
    """Judge-human agreement over voted two-way arena turns, each turn once (its latest settled verdict)."""
    settled = (
        Verdict.objects.filter(order=0, counted=True, run__target=JudgeRun.Target.VOTED_TURNS)
        .exclude(final="")
        .exclude(run__method=JudgeRun.Method.SINGLE)
        .select_related("answer_a__turn__vote", "answer_a__participant", "answer_b__participant")
        .order_by("run_id")
    )
    if judge is not None:
        settled = settled.filter(run__judge=judge)
    latest: dict[int, tuple[str, str, bool]] = {}
    for v in settled:
        compared = _human_and_judge(v)
        if compared is not None:
            latest[v.answer_a.turn_id] = (*compared, v.inconsistent)
    if not latest:
        return None
    pairs = [(human, judged) for human, judged, _ in latest.values()]
    return {**agreement(pairs), "inconsistency_rate": inconsistency_rate([f for *_, f in latest.values()])}


def _human_and_judge(verdict: Verdict) -> tuple[str, str] | None:
    """(human, judge) winners in the human's A/B labels, or None when the vote is not a two-way one."""
    vote = getattr(verdict.answer_a.turn, "vote", None)
    positions = (verdict.answer_a.participant.position, verdict.answer_b.participant.position)
    if vote is None or vote.winner not in HUMAN_AS_PAIR or sorted(positions) != [0, 1]:
        return None
    judged = JUDGE_AS_PAIR[verdict.final]
    return HUMAN_AS_PAIR[vote.winner], judged if positions == (0, 1) else FLIPPED[judged]


def wilson(wins: float, n: int, z: float = 1.96) -> tuple[float, float]:
    if n == 0:
        return (0.0, 1.0)
    p = wins / n
    centre, spread = p + z * z / (2 * n), z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return ((centre - spread) / (1 + z * z / n), (centre + spread) / (1 + z * z / n))


def collaboration_summary() -> list[dict]:
    """Does collaboration help? Per aggregator: human votes (combined vs best single) and judge verdicts."""
    vote = "conversation__turns__vote"
    per_aggregator = (
        Participant.objects.filter(role=Participant.Role.AGGREGATOR)
        .values("llm__slug", "llm__name").order_by()
        .annotate(votes=Count(vote), combined_wins=Count(vote, filter=Q(**{f"{vote}__winner": "combined"})))
    )
    rows = {
        r["llm__slug"]: {"aggregator": r["llm__name"], "votes": r["votes"], "combined_wins": r["combined_wins"],
                         "judged": 0, "judge_combined_wins": 0.0}
        for r in per_aggregator
    }
    judged = Verdict.objects.filter(order=0, counted=True, run__target=JudgeRun.Target.COLLABORATION).exclude(final="")
    for v in judged.select_related("answer_a__participant__llm"):
        row = rows.get(v.answer_a.participant.llm.slug)
        if row is not None:
            row["judged"] += 1
            row["judge_combined_wins"] += {"A": 1.0, "tie": 0.5}.get(JUDGE_AS_PAIR[v.final], 0.0)
    for row in rows.values():
        row["vote_interval"] = wilson(row["combined_wins"], row["votes"])
        row["judge_interval"] = wilson(row["judge_combined_wins"], row["judged"])
    return [r for r in rows.values() if r["votes"] or r["judged"]]


def judge_run_of(batch: Any) -> JudgeRun | None:
    """The judge run that follows a batch run, once one exists."""
    return JudgeRun.objects.filter(batch_run=batch).order_by("-pk").first()


def batch_progress(batch: Any) -> dict:
    """A batch run's progress bar, with the judge run that follows it once one exists."""
    judge = judge_run_of(batch)
    return {"id": batch.pk, **_bar(batch), "judge_run": judge.pk if judge else None,
            "judge": _bar(judge) if judge else None}
