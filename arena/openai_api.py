"""The arena's own OpenAI-compatible API: /v1/models and /v1/chat/completions for every enabled model.

Other tools reach the arena's local models through it; bearer tokens are issued in the admin.
"""

import json
import time
import uuid
from collections.abc import AsyncIterator

from asgiref.sync import sync_to_async
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from arena.models import LLM, ApiToken
from arena.services.llms import backend_for, build_request
from prompts import Message, PromptError

PARAM_NAMES = {
    "temperature": "temperature",
    "top_p": "top_p",
    "max_tokens": "max_new_tokens",
    "max_completion_tokens": "max_new_tokens",
    "frequency_penalty": "frequency_penalty",
    "presence_penalty": "presence_penalty",
    "seed": "seed",
    "stop": "stop",
    "n": "num_return_sequences",
    "top_k": "top_k",
    "repetition_penalty": "repetition_penalty",
}
IGNORED = {"model", "messages", "stream", "stream_options", "user", "logprobs", "top_logprobs"}
STATUS_OF_ERROR = {"RateLimited": 429, "Unavailable": 503, "ModelLoadFailed": 503}


class ApiError(Exception):
    def __init__(self, status: int, message: str, kind: str = "invalid_request_error", code: str | None = None) -> None:
        super().__init__(message)
        self.status, self.kind, self.code = status, kind, code

    def response(self) -> JsonResponse:
        body = {"error": {"message": str(self), "type": self.kind, "param": None, "code": self.code}}
        return JsonResponse(body, status=self.status)


def authenticate(request: HttpRequest) -> None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        raise ApiError(
            401,
            "Missing bearer token: send 'Authorization: Bearer <token>' (tokens are issued in the admin).",
            "authentication_error",
            "missing_token",
        )
    token = ApiToken.objects.filter(token_hash=ApiToken.hash(header[7:].strip()), active=True).first()
    if token is None:
        raise ApiError(401, "Invalid or revoked API token.", "authentication_error", "invalid_api_key")
    ApiToken.objects.filter(pk=token.pk).update(last_used=timezone.now())


def find_model(model_id: object) -> LLM:
    llm = LLM.objects.filter(slug=str(model_id), enabled=True).first()
    if llm is None:
        known = ", ".join(LLM.objects.filter(enabled=True).order_by("slug").values_list("slug", flat=True))
        raise ApiError(404, f"The model {model_id!r} does not exist. Known models: {known}.", code="model_not_found")
    return llm


def parse_messages(raw: object) -> list[Message]:
    if not isinstance(raw, list) or not raw:
        raise ApiError(400, "'messages' must be a non-empty list of {role, content} objects.")
    messages = []
    for i, item in enumerate(raw):
        content = item.get("content") if isinstance(item, dict) else None
        if isinstance(content, list):  # content parts: keep the text ones
            content = "".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
        if not isinstance(content, str) or item.get("role") not in ("system", "user", "assistant"):
            raise ApiError(400, f"messages[{i}] needs a role (system, user or assistant) and text content.")
        messages.append(Message(item["role"], content))
    return messages


def generation_overrides(body: dict) -> dict:
    unknown = sorted(set(body) - set(PARAM_NAMES) - IGNORED)
    if unknown:
        raise ApiError(400, f"Unsupported parameter(s): {', '.join(unknown)}.")
    values = {PARAM_NAMES[k]: v for k, v in body.items() if k in PARAM_NAMES and v is not None}
    if isinstance(values.get("stop"), str):
        values["stop"] = [values["stop"]]
    return values


def request_for(llm: LLM, body: dict):
    from arena.backends import InvalidParameters

    messages = parse_messages(body.get("messages"))
    try:
        return build_request(llm, messages, generation_overrides(body))
    except (PromptError, InvalidParameters) as exc:
        raise ApiError(400, str(exc)) from None


def prepare(request: HttpRequest) -> tuple[LLM, dict, object]:
    authenticate(request)
    try:
        body = json.loads(request.body or b"{}")
    except json.JSONDecodeError as exc:
        raise ApiError(400, f"The request body is not valid JSON: {exc}.") from None
    if not isinstance(body, dict):
        raise ApiError(400, "The request body must be a JSON object.")
    llm = find_model(body.get("model"))
    return llm, body, request_for(llm, body)


async def list_models(request: HttpRequest) -> HttpResponse:
    try:
        await sync_to_async(authenticate)(request)
    except ApiError as exc:
        return exc.response()
    rows = await sync_to_async(lambda: list(LLM.objects.filter(enabled=True).order_by("slug")))()
    data = [{"id": m.slug, "object": "model", "created": int(m.created.timestamp()), "owned_by": "arena"} for m in rows]
    return JsonResponse({"object": "list", "data": data})


def backend_error(exc: Exception) -> ApiError:
    status = STATUS_OF_ERROR.get(type(exc).__name__, 400 if getattr(exc, "permanent", False) else 502)
    return ApiError(status, str(exc), "server_error" if status >= 500 else "invalid_request_error")


def usage(stats: object) -> dict:
    prompt = stats.prompt_tokens or 0
    return {
        "prompt_tokens": prompt,
        "completion_tokens": stats.completion_tokens,
        "total_tokens": prompt + stats.completion_tokens,
    }


@csrf_exempt
async def chat_completions(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return ApiError(405, "Use POST.").response()
    try:
        llm, body, generation = await sync_to_async(prepare)(request)
    except ApiError as exc:
        return exc.response()
    backend = await sync_to_async(backend_for)(llm)
    completion_id = f"chatcmpl-{uuid.uuid4().hex}"
    if body.get("stream"):
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        events = sse_chunks(backend, generation, llm.slug, completion_id, include_usage)
        response = StreamingHttpResponse(events, content_type="text/event-stream")
        response["Cache-Control"] = "no-cache"
        return response
    from arena.backends import BackendError

    try:
        completion = await backend.generate(generation)
    except BackendError as exc:
        return backend_error(exc).response()
    return JsonResponse(
        {
            "id": completion_id,
            "object": "chat.completion",
            "created": int(time.time()),
            "model": llm.slug,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": completion.text},
                    "finish_reason": completion.stats.finish_reason,
                }
            ],
            "usage": usage(completion.stats),
        }
    )


def chunk(completion_id: str, model: str, delta: dict, finish: str | None = None, **extra: object) -> bytes:
    body = {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        **extra,
    }
    return f"data: {json.dumps(body)}\n\n".encode()


async def sse_chunks(
    backend: object, generation: object, model: str, completion_id: str, include_usage: bool
) -> AsyncIterator[bytes]:
    from arena.backends import BackendError, StreamEnd, TextDelta

    yield chunk(completion_id, model, {"role": "assistant", "content": ""})
    try:
        async for event in backend.stream(generation):
            if isinstance(event, TextDelta):
                yield chunk(completion_id, model, {"content": event.text})
            elif isinstance(event, StreamEnd):
                yield chunk(completion_id, model, {}, event.stats.finish_reason)
                if include_usage:
                    body = {
                        "id": completion_id,
                        "object": "chat.completion.chunk",
                        "created": int(time.time()),
                        "model": model,
                        "choices": [],
                        "usage": usage(event.stats),
                    }
                    yield f"data: {json.dumps(body)}\n\n".encode()
    except BackendError as exc:
        # Headers are sent already: report the error in the stream, as OpenAI-compatible servers do.
        yield f"data: {json.dumps({'error': {'message': str(exc), 'type': 'server_error'}})}\n\n".encode()
    yield b"data: [DONE]\n\n"
