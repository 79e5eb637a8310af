"""Mapping the OpenAI SDK's and httpx's exceptions onto the BackendError family."""

from __future__ import annotations

import httpx
import openai

from arena.backends.config import BackendConfig
from arena.backends.errors import BackendError, BadRequest, RateLimited, Unavailable
from arena.backends.retry import parse_retry_after

# Statuses a later attempt may get past (the SDK's own retry list).
_TRANSIENT_STATUSES = {408, 409}

NETWORK_ERRORS = (openai.APIError, httpx.TransportError)


def map_error(exc: BaseException, config: BackendConfig) -> BackendError:
    where = f"model {config.slug!r} at {config.base_url or 'the OpenAI API'}"
    if isinstance(exc, openai.APITimeoutError | httpx.TimeoutException):
        return Unavailable(
            f"{where}: no answer within {config.timeout_s:g} s; the server is overloaded or down "
            "(raise the row's timeout if it is just slow)"
        )
    if isinstance(exc, openai.APIConnectionError | httpx.TransportError):
        cause = exc.__cause__ or exc
        return Unavailable(f"{where}: connection failed ({cause!r}); check the server runs and base_url")
    if isinstance(exc, openai.APIStatusError):
        return _map_status(exc, config, where)
    return Unavailable(f"{where}: {exc}")


def _map_status(exc: openai.APIStatusError, config: BackendConfig, where: str) -> BackendError:
    status = exc.status_code
    detail = _server_message(exc)
    if status == 429:
        retry_after = parse_retry_after(exc.response.headers)
        return RateLimited(f"{where}: rate limited (429): {detail}", retry_after=retry_after)
    if status >= 500 or status in _TRANSIENT_STATUSES:
        return Unavailable(f"{where}: server error {status}: {detail}")
    if status in (401, 403):
        key = f"the key in ${config.api_key_env}" if config.api_key_env else "no API key (api_key_env is empty)"
        return BadRequest(f"{where}: {status} with {key}: {detail}; set a valid key")
    if status == 404:
        return BadRequest(
            f"{where}: 404 for model {config.remote_model!r} in {config.api_mode} mode: {detail}; "
            "check remote_model and that the server offers that endpoint"
        )
    return BadRequest(f"{where}: rejected the request ({status}): {detail}")


def _server_message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        message = body.get("message") or body.get("error")
        if isinstance(message, dict):
            message = message.get("message")
        if message:
            return str(message)
    return exc.message
