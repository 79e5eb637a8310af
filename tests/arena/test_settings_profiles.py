"""The settings profiles pick the right database, channel layer and broker from the environment."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "x" * 60 + "-production-test-key-with-enough-entropy",
    "ALLOWED_HOSTS": "arena.example.org",
    "DATABASE_URL": "postgres://arena:s3cret@db.internal:5433/arena",
    "REDIS_URL": "redis://cache.internal:6379/0",
}
PROBE = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({
    "engine": s.DATABASES["default"]["ENGINE"], "db": str(s.DATABASES["default"]["NAME"]),
    "host": s.DATABASES["default"].get("HOST", ""), "port": s.DATABASES["default"].get("PORT", ""),
    "user": s.DATABASES["default"].get("USER", ""),
    "layer": s.CHANNEL_LAYERS["default"]["BACKEND"], "layer_config": s.CHANNEL_LAYERS["default"].get("CONFIG"),
    "broker": s.CELERY_BROKER_URL, "debug": s.DEBUG,
}))
"""


def run_with(env: dict, *args: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV and k != "CELERY_BROKER_URL"}
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env={**clean, "DJANGO_SETTINGS_MODULE": "arena.settings", **env},
        capture_output=True, text=True, timeout=120,
    )


def probe(env: dict) -> dict:
    result = run_with(env, "-c", PROBE)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_embedded_default_needs_no_server() -> None:
    found = probe({})
    assert found["engine"] == "django.db.backends.sqlite3"
    assert found["db"].endswith("arena.sqlite3")
    assert found["layer"] == "channels.layers.InMemoryChannelLayer"
    assert found["broker"] == "filesystem://"
    assert found["debug"] is True


def test_production_variables_select_postgres_and_redis() -> None:
    found = probe(PRODUCTION_ENV)
    assert found["engine"] == "django.db.backends.postgresql"
    assert (found["db"], found["host"], found["port"], found["user"]) == ("arena", "db.internal", "5433", "arena")
    assert found["layer"] == "channels_redis.core.RedisChannelLayer"
    assert found["layer_config"] == {"hosts": ["redis://cache.internal:6379/0"]}
    assert found["broker"] == "redis://cache.internal:6379/0"
    assert found["debug"] is False


def test_check_deploy_is_clean_in_production() -> None:
    result = run_with(PRODUCTION_ENV, "manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_names_unsafe_embedded_settings() -> None:
    result = run_with({}, "manage.py", "check", "--deploy")
    output = result.stdout + result.stderr
    for check_id in ("arena.W001", "arena.W002", "arena.W003", "arena.W004"):
        assert check_id in output


def test_unsupported_database_url_is_a_clear_error() -> None:
    result = run_with({"DATABASE_URL": "mysql://u@h/db"}, "-c", PROBE)
    assert result.returncode != 0
    assert "DATABASE_URL scheme 'mysql' is not supported" in result.stderr


REUSE_PROBE = """
import asyncio, django
django.setup()
from channels.db import database_sync_to_async
from django.db import connection
from django.db.backends.signals import connection_created
opened = []
connection_created.connect(lambda sender, connection, **kw: opened.append(connection.alias))

def query():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")

async def main():
    for _ in range(3):  # as the WebSocket consumer calls the database, closing "old" connections around each call
        await database_sync_to_async(query)()

asyncio.run(main())
print(len(opened))
"""


def test_embedded_database_connection_is_reused_across_websocket_calls(tmp_path: Path) -> None:
    result = run_with({"ARENA_VAR_DIR": str(tmp_path)}, "-c", REUSE_PROBE)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "1"
    # Opt out, as a deployment sharing the file with many short-lived processes might.
    result = run_with({"ARENA_VAR_DIR": str(tmp_path), "DB_CONN_MAX_AGE": "0"}, "-c", REUSE_PROBE)
    assert result.stdout.strip().splitlines()[-1] == "3"
