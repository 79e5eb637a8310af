"""The registry in the Django admin, with "test connection" and "preview prompt" actions."""

import os

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from kombu.exceptions import KombuError

from arena import models
from arena.services import batches, judging, llms
from evaluators.judge import available_templates


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
    models.Question,
    models.Verdict,
    models.LeaderboardSnapshot,
):
    admin.site.register(plain)


# --- judging: question sets, batch runs, judge runs ----------------------------------------------
class JudgeRunForm(forms.ModelForm):
    class Meta:
        model = models.JudgeRun
        fields = ("judge", "method", "template", "target", "batch_run", "pairing", "baseline")

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["template"].required = False
        self.fields["template"].help_text = "Blank: the method's default. Known: " + ", ".join(available_templates())

    def clean(self) -> dict:
        data = super().clean()
        if not self.errors:
            data["template"] = data.get("template") or judging.DEFAULT_TEMPLATES.get(data["method"], "")
            try:
                judging.check_run(models.JudgeRun(**{name: data.get(name) for name in self.Meta.fields}))
            except judging.JudgeRunError as exc:
                raise ValidationError(str(exc)) from exc
        return data


def _progress_cell(obj: models.JudgeRun | models.BatchRun) -> str:
    return format_html(
        '<progress max="{}" value="{}"></progress> {} done, {} failed of {}',
        obj.total or 1, obj.done + obj.failed, obj.done, obj.failed, obj.total,
    )


@admin.register(models.JudgeRun)
class JudgeRunAdmin(admin.ModelAdmin):
    form = JudgeRunForm
    list_display = ("id", "judge", "method", "template", "target", "status", "progress", "created", "finished")
    list_filter = ("status", "method", "target")
    readonly_fields = ("status", "total", "done", "failed", "finished")
    actions = ["start_or_resume", "retry_failed", "cancel_runs"]

    @admin.display(description="progress")
    def progress(self, obj: models.JudgeRun) -> str:
        return _progress_cell(obj)

    def view_on_site(self, obj: models.JudgeRun) -> str:
        return reverse("judge-run", args=[obj.pk])

    def get_changeform_initial_data(self, request: HttpRequest) -> dict:
        initial = super().get_changeform_initial_data(request)
        if os.environ.get(judging.OPENAI_KEY_ENV) and "judge" not in initial:
            initial["judge"] = judging.ensure_openai_judge().pk
        return initial

    def save_model(self, request: HttpRequest, obj: models.JudgeRun, form: object, change: bool) -> None:
        super().save_model(request, obj, form, change)
        waits_for_batch = obj.batch_run is not None and obj.batch_run.status != models.BatchRun.Status.DONE
        if not change and not waits_for_batch:
            self._resume(request, obj, retry_failed=False)

    @admin.action(description="Start or resume (queue what is left)")
    def start_or_resume(self, request: HttpRequest, queryset: QuerySet) -> None:
        for run in queryset:
            self._resume(request, run, retry_failed=False)

    @admin.action(description="Retry failed calls")
    def retry_failed(self, request: HttpRequest, queryset: QuerySet) -> None:
        for run in queryset:
            self._resume(request, run, retry_failed=True)

    @admin.action(description="Cancel")
    def cancel_runs(self, request: HttpRequest, queryset: QuerySet) -> None:
        stopped = sum(judging.cancel(run.pk) for run in queryset)
        self.message_user(request, f"{stopped} run(s) cancelled; queued judgments will do nothing.")

    def _resume(self, request: HttpRequest, run: models.JudgeRun, retry_failed: bool) -> None:
        from arena import tasks

        try:
            ids = judging.resume(run.pk, retry_failed)
            tasks.queue_verdicts(ids)
        except judging.JudgeRunError as exc:
            self.message_user(request, f"Judge run {run.pk}: {exc}", messages.ERROR)
        except KombuError as exc:
            self.message_user(request, f"Judge run {run.pk}: the Celery broker is unreachable ({exc}).", messages.ERROR)
        else:
            page = reverse("judge-run", args=[run.pk])
            self.message_user(request, format_html('Judge run {}: {} judgment(s) queued; <a href="{}">progress</a>.',
                                                   run.pk, len(ids), page))


class BatchRunForm(forms.ModelForm):
    judge_method = forms.ChoiceField(choices=models.JudgeRun.Method.choices, initial="pair")
    judge_pairing = forms.ChoiceField(choices=models.JudgeRun.Pairing.choices, initial="all")

    class Meta:
        model = models.BatchRun
        fields = ("question_set", "models_run", "judge", "judge_method", "judge_pairing", "judge_baseline")


@admin.register(models.BatchRun)
class BatchRunAdmin(admin.ModelAdmin):
    form = BatchRunForm
    list_display = ("id", "question_set", "status", "answers", "judge", "judge_method", "created")
    list_filter = ("status",)
    filter_horizontal = ("models_run",)
    readonly_fields = ("status", "total", "done", "failed")
    actions = ["start_or_resume", "retry_failed", "cancel_batches"]

    @admin.display(description="answers")
    def answers(self, obj: models.BatchRun) -> str:
        return _progress_cell(obj)

    def save_related(self, request: HttpRequest, form: object, formsets: object, change: bool) -> None:
        super().save_related(request, form, formsets, change)  # the models are known only now
        if not change:
            self._resume(request, form.instance, retry_failed=False)

    @admin.action(description="Start or resume (queue what is left)")
    def start_or_resume(self, request: HttpRequest, queryset: QuerySet) -> None:
        for batch in queryset:
            self._resume(request, batch, retry_failed=False)

    @admin.action(description="Retry failed answers")
    def retry_failed(self, request: HttpRequest, queryset: QuerySet) -> None:
        for batch in queryset:
            self._resume(request, batch, retry_failed=True)

    @admin.action(description="Cancel (and its judge run)")
    def cancel_batches(self, request: HttpRequest, queryset: QuerySet) -> None:
        stopped = sum(batches.cancel(batch.pk) for batch in queryset)
        self.message_user(request, f"{stopped} run(s) cancelled.")

    def _resume(self, request: HttpRequest, batch: models.BatchRun, retry_failed: bool) -> None:
        from arena import tasks

        try:
            participants, verdicts = batches.resume(batch.pk, retry_failed)
            tasks.queue_participants(participants)
            tasks.queue_verdicts(verdicts)
        except (batches.BatchRunError, judging.JudgeRunError) as exc:
            self.message_user(request, f"Batch run {batch.pk}: {exc}", messages.ERROR)
        except KombuError as exc:
            message = f"Batch run {batch.pk}: the Celery broker is unreachable ({exc})."
            self.message_user(request, message, messages.ERROR)
        else:
            self.message_user(request, f"Batch run {batch.pk}: {len(participants)} model(s) answering, "
                                       f"{len(verdicts)} judgment(s) queued.")


@admin.register(models.QuestionSet)
class QuestionSetAdmin(admin.ModelAdmin):
    list_display = ("name", "question_count", "created")
    search_fields = ("name", "description")

    @admin.display(description="questions")
    def question_count(self, obj: models.QuestionSet) -> int:
        return obj.questions.count()
