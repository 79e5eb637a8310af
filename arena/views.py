"""Pages: the arena, read-only transcripts with the prompt inspector, exports, and format detection."""

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET, require_http_methods

from arena.models import LLM, Conversation
from arena.rendering import highlight_css
from arena.services import transcripts
from arena.services.rounds import names_visible
from prompts import PromptError, detect, get_format


def ensure_session(request: HttpRequest) -> None:
    """The WebSocket identifies the visitor by session, so the page makes sure there is one."""
    if not request.session.session_key:
        request.session["arena"] = True
        request.session.save()


@require_GET
def arena_page(request: HttpRequest) -> HttpResponse:
    ensure_session(request)
    return render(request, "arena/arena.html", {"highlight_css": highlight_css()})


@require_GET
def models_api(request: HttpRequest) -> JsonResponse:
    """Enabled models for the named and collaboration pickers (never asked for in an anonymous battle)."""
    models = LLM.objects.filter(enabled=True).order_by("name").values("slug", "name", "license", "commercial_use")
    return JsonResponse({"models": list(models)})


@require_GET
def conversation_page(request: HttpRequest, conversation_id: str) -> HttpResponse:
    conversation = get_object_or_404(Conversation, pk=conversation_id)
    visible = names_visible(conversation)
    context = {
        "conversation": conversation,
        "visible": visible,
        "participants": transcripts.participants(conversation, visible),
        "turns": transcripts.turns(conversation, visible),
        "highlight_css": highlight_css(),
    }
    return render(request, "arena/conversation.html", context)


@require_GET
def conversation_export(request: HttpRequest, conversation_id: str, style: str) -> JsonResponse:
    conversation = get_object_or_404(Conversation, pk=conversation_id)
    if not names_visible(conversation):
        raise Http404("This battle has not been voted on yet; exports would reveal its models.")
    exports = {"openai": transcripts.export_openai, "sharegpt": transcripts.export_sharegpt}
    if style not in exports:
        raise Http404(f"Unknown export {style!r}; use openai or sharegpt.")
    response = JsonResponse(exports[style](conversation), safe=False, json_dumps_params={"indent": 2})
    response["Content-Disposition"] = f'attachment; filename="conversation-{conversation.pk}-{style}.json"'
    return response


@require_http_methods(["GET", "POST"])
def detect_page(request: HttpRequest) -> HttpResponse:
    """Paste a raw transcript: the page names its format and shows it as messages."""
    context: dict = {"transcript": "", "format": None, "parsed": None, "error": ""}
    if request.method == "POST":
        text = request.POST.get("transcript", "")
        context["transcript"] = text
        name = detect(text)
        context["format"] = name
        if name is None:
            context["error"] = "No registered format matches this transcript."
        else:
            try:
                context["parsed"] = get_format(name).parse(text)
            except PromptError as exc:
                context["error"] = str(exc)
    return render(request, "arena/detect.html", context)

