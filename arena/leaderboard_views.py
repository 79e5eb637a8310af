"""The leaderboard page, its CSV export, and judge-run progress pages."""

import csv
from datetime import date

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from arena import charts
from arena.models import JudgeRun
from arena.services import judging, leaderboard
from arena.services.leaderboard import Filters

CSV_COLUMNS = ["rank", "model", "rating", "ci_lower", "ci_upper", "elo", "votes", "wins", "losses", "ties", "win_rate",
               "license", "commercial_use"]


class BadFilter(ValueError):
    pass


def _date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadFilter(f"Dates are YYYY-MM-DD; {value!r} is not one.") from None


def filters_from(request: HttpRequest) -> Filters:
    get = request.GET
    source = get.get("source", "human")
    if source not in leaderboard.SOURCES:
        raise BadFilter(f"Unknown source {source!r}; choose {', '.join(leaderboard.SOURCES)}.")
    return Filters(
        source=source,
        include_named=get.get("named") == "1",
        include_flagged=get.get("flagged") == "1",
        date_from=_date(get.get("from")),
        date_to=_date(get.get("to")),
        commercial_only=get.get("commercial") == "1",
    )


@require_GET
def leaderboard_page(request: HttpRequest) -> HttpResponse:
    try:
        filters = filters_from(request)
    except BadFilter as exc:
        return render(request, "arena/leaderboard.html", {"error": str(exc), "filters": Filters()}, status=400)
    board = leaderboard.board(filters)
    context = {
        "filters": filters, "board": board, "sources": list(leaderboard.SOURCES),
        "ratings_svg": charts.ratings_chart(board.rows),
        "heatmap_svg": charts.heatmap(board.extra.get("win_rate", ([], [])), "Observed win rate (row vs column)"),
        "history_svg": charts.history_chart(leaderboard.history(filters.source)),
        "agreement": judging.agreement_summary(),
        "collaboration": judging.collaboration_summary(),
        "query": request.GET.urlencode(),
    }
    return render(request, "arena/leaderboard.html", context)


@require_GET
def leaderboard_csv(request: HttpRequest) -> HttpResponse:
    try:
        filters = filters_from(request)
    except BadFilter as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain")
    response = HttpResponse(content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="leaderboard-{filters.source}.csv"'
    write_csv(leaderboard.board(filters).rows, response)
    return response


def write_csv(rows: list[dict], out: object) -> None:
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({**row, **{k: f"{row[k]:.2f}" for k in ("rating", "ci_lower", "ci_upper")},
                         "elo": "" if row.get("elo") is None else f"{row['elo']:.2f}",
                         "win_rate": f"{row['win_rate']:.4f}"})


@require_GET
def judge_run_page(request: HttpRequest, run_id: int) -> HttpResponse:
    run = get_object_or_404(JudgeRun.objects.select_related("judge"), pk=run_id)
    return render(request, "arena/judge_run.html", {"run": run, "summary": judging.run_summary(run)})


@require_GET
def judge_run_progress(request: HttpRequest, run_id: int) -> JsonResponse:
    run = get_object_or_404(JudgeRun, pk=run_id)
    return JsonResponse(judging.progress(run))
