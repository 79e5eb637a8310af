from django.contrib import admin
from django.urls import path

from arena import leaderboard_views, openai_api, views

urlpatterns = [
    path("", views.arena_page, name="arena"),
    path("api/models/", views.models_api, name="models-api"),
    path("conversations/<uuid:conversation_id>/", views.conversation_page, name="conversation"),
    path(
        "conversations/<uuid:conversation_id>/export/<str:style>.json",
        views.conversation_export,
        name="conversation-export",
    ),
    path("prompts/detect/", views.detect_page, name="detect"),
    path("leaderboard/", leaderboard_views.leaderboard_page, name="leaderboard"),
    path("leaderboard.csv", leaderboard_views.leaderboard_csv, name="leaderboard-csv"),
    path("judge-runs/<int:run_id>/", leaderboard_views.judge_run_page, name="judge-run"),
    path("judge-runs/<int:run_id>/progress.json", leaderboard_views.judge_run_progress, name="judge-run-progress"),
    path("batch-runs/<int:batch_id>/", leaderboard_views.batch_run_page, name="batch-run"),
    path("batch-runs/<int:batch_id>/progress.json", leaderboard_views.batch_run_progress, name="batch-run-progress"),
    path("v1/models", openai_api.list_models, name="v1-models"),
    path("v1/chat/completions", openai_api.chat_completions, name="v1-chat-completions"),
    path("admin/", admin.site.urls),
]
