"""The leaderboard page, its CSV export, and judge-run progress pages."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from arena import charts
from arena.models import BatchRun, JudgeRun
from arena.services import judge_reports, judging, leaderboard
from arena.services.leaderboard import FilterError, Filters


@require_GET
def leaderboard_page(request: HttpRequest) -> HttpResponse:
    try:
        filters = Filters.from_params(request.GET)
    except FilterError as exc:
        context = {"error": str(exc), "filters": Filters(), "sources": list(leaderboard.SOURCES)}
        return render(request, "arena/leaderboard.html", context, status=400)
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
        filters = Filters.from_params(request.GET)
    except FilterError as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain")
    response = HttpResponse(content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="leaderboard-{filters.source}.csv"'
    leaderboard.write_csv(leaderboard.board(filters).rows, response)
    return response


@require_GET
def judge_run_page(request: HttpRequest, run_id: int) -> HttpResponse:
    run = get_object_or_404(JudgeRun.objects.select_related("judge"), pk=run_id)
    return render(request, "arena/judge_run.html", {"run": run, "summary": judging.run_summary(run)})


@require_GET
def judge_run_progress(request: HttpRequest, run_id: int) -> JsonResponse:
    run = get_object_or_404(JudgeRun, pk=run_id)
    return JsonResponse(judging.progress(run))


@require_GET
def batch_run_page(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = get_object_or_404(BatchRun.objects.select_related("question_set", "judge"), pk=batch_id)
    models = batch.models_run.order_by("name")
    return render(request, "arena/batch_run.html", {"batch": batch, "models": models,
                                                     "progress": judge_reports.batch_progress(batch)})


@require_GET
def batch_run_progress(request: HttpRequest, batch_id: int) -> JsonResponse:
    return JsonResponse(judge_reports.batch_progress(get_object_or_404(BatchRun, pk=batch_id)))
