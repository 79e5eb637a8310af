"""Preloading: daphne warms the enabled local models at start, and a broken one stops nothing."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from arena.models import LLM
from arena.services.llms import backend_for
from arena.services.preload import local_models, preload

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_preload_warms_enabled_local_models_and_survives_a_broken_one(demo_llms, caplog) -> None:
    LLM.objects.create(slug="broken", name="Broken", backend="transformers", source="/nonexistent/weights",
                       prompt_format="chatml", in_anonymous_pool=True)
    LLM.objects.create(slug="off", name="Off", backend="transformers", source="/nonexistent/too",
                       prompt_format="chatml", enabled=False)
    LLM.objects.create(slug="remote", name="Remote", backend="openai", base_url="http://127.0.0.1:9/v1",
                       remote_model="x", prompt_format="openai-messages")

    assert [llm.slug for llm in local_models()] == ["broken", *(llm.slug for llm in demo_llms)]
    warm = preload()

    assert warm == [llm.slug for llm in demo_llms]
    assert all(backend_for(llm).loaded_model() is not None for llm in demo_llms)
    assert "could not preload broken" in caplog.text


@pytest.mark.slow
def test_daphne_entry_point_preloads_only_when_asked(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}}
    # A fresh database, but the converted demo weights the suite already has.
    env.update({
        "ARENA_VAR_DIR": str(tmp_path), "ARENA_MODEL_CACHE": str(settings.ARENA_MODEL_CACHE), "PYTHONPATH": str(ROOT),
    })
    for command in (["migrate", "--noinput"], ["register_demo"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True, capture_output=True)
    probe = (
        "import threading, arena.asgi\n"
        "for thread in threading.enumerate():\n"
        "    if thread.name == 'arena-preload': thread.join()\n"
        "import sys\n"
        "loaded = sys.modules.get('arena.backends.local_model')\n"
        "print(len(loaded.LOCAL_MODELS.keys()) if loaded else 0)\n"
    )
    for flag, expected in (("1", "1"), ("0", "0")):  # the demo rows share one set of weights
        done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env={**env, "ARENA_PRELOAD_MODELS": flag},
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip().splitlines()[-1] == expected
