"""The registry in the Django admin, with "test connection" and "preview prompt" actions."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse

from arena import models
from arena.services import llms


@admin.register(models.LLM)
class LLMAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "slug",
        "backend",
        "prompt_format",
        "license",
        "commercial_use",
        "enabled",
        "in_anonymous_pool",
    )
    list_filter = ("backend", "enabled", "in_anonymous_pool", "commercial_use", "prompt_format")
    search_fields = ("name", "slug", "aliases", "source", "remote_model")
    prepopulated_fields = {"slug": ("name",)}
    actions = ["test_connection", "preview_prompt"]
    fieldsets = (
        (None, {"fields": ("name", "slug", "aliases", "backend", "enabled", "in_anonymous_pool")}),
        (
            "Connection",
            {
                "fields": (
                    "source",
                    "gguf_file",
                    "api_mode",
                    "base_url",
                    "remote_model",
                    "api_key_env",
                    "timeout_s",
                    "max_retries",
                    "script",
                ),
                "description": "Local models: source. Remote models: base URL, model name and the NAME of the "
                "environment variable that holds the API key (the key is never stored).",
            },
        ),
        ("Prompt", {"fields": ("prompt_format", "system_prompt", "context_length")}),
        (
            "Generation defaults",
            {
                "fields": (
                    ("temperature", "top_p", "top_k"),
                    "max_new_tokens",
                    ("repetition_penalty", "frequency_penalty", "presence_penalty"),
                    "stop",
                )
            },
        ),
        (
            "Quantization and adapter",
            {"fields": ("quantization", "bnb_4bit_quant_type", "bnb_compute_dtype", "adapter_path", "device", "dtype")},
        ),
        ("Licensing", {"fields": ("license", "commercial_use")}),
    )

    @admin.action(description="Test connection (one short generation)")
    def test_connection(self, request: HttpRequest, queryset: QuerySet) -> None:
        for llm in queryset:
            try:
                answer = llms.check_connection(llm)
            except Exception as exc:  # noqa: BLE001  the admin shows any failure, typed or not, verbatim
                self.message_user(request, f"{llm.slug}: {type(exc).__name__}: {exc}", messages.ERROR)
            else:
                self.message_user(request, f"{llm.slug} answered: {answer!r}", messages.SUCCESS)

    @admin.action(description="Preview prompt (render a sample conversation)")
    def preview_prompt(self, request: HttpRequest, queryset: QuerySet) -> TemplateResponse:
        previews = []
        for llm in queryset:
            try:
                previews.append({"llm": llm, "prompt": llms.preview_prompt(llm), "error": ""})
            except Exception as exc:  # noqa: BLE001  shown to the admin user as the exact error
                previews.append({"llm": llm, "prompt": None, "error": f"{type(exc).__name__}: {exc}"})
        context = {
            **self.admin_site.each_context(request),
            "title": "Prompt preview",
            "previews": previews,
            "sample": llms.SAMPLE_CONVERSATION,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/arena/preview_prompt.html", context)


class ParticipantInline(admin.TabularInline):
    model = models.Participant
    extra = 0


@admin.register(models.Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ("id", "mode", "window", "created")
    list_filter = ("mode",)
    inlines = [ParticipantInline]


@admin.register(models.Answer)
class AnswerAdmin(admin.ModelAdmin):
    list_display = ("id", "turn", "participant", "status", "finish_reason", "completion_tokens", "tokens_per_second")
    list_filter = ("status",)


@admin.register(models.Vote)
class VoteAdmin(admin.ModelAdmin):
    list_display = ("turn", "winner", "names_hidden", "flagged", "created")
    list_filter = ("winner", "names_hidden", "flagged")


@admin.register(models.ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "active", "created", "last_used")
    readonly_fields = ("prefix", "created", "last_used")
    fields = ("name", "active", "prefix", "created", "last_used")

    def save_model(self, request: HttpRequest, obj: models.ApiToken, form: object, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        token, secret = models.ApiToken.issue(obj.name)
        obj.pk, obj.prefix, obj.token_hash = token.pk, token.prefix, token.token_hash
        self.message_user(request, f"Token for {obj.name}: {secret} (shown once; copy it now)", messages.WARNING)


for plain in (
    models.QuestionSet,
    models.Question,
    models.JudgeRun,
    models.Verdict,
    models.BatchRun,
    models.LeaderboardSnapshot,
):
    admin.site.register(plain)
