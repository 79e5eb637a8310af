"""Migrations apply on SQLite and on a real PostgreSQL, and none are missing."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def manage(env: dict, *args: str) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "DJANGO_SETTINGS_MODULE": "arena.settings", **env}
    full_env.pop("REDIS_URL", None)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=full_env,
                          capture_output=True, text=True, timeout=300)


def test_no_model_change_lacks_a_migration() -> None:
    result = manage({}, "makemigrations", "--check", "--dry-run")
    assert result.returncode == 0, result.stdout + result.stderr


def test_migrations_apply_on_sqlite(tmp_path: Path) -> None:
    result = manage({"DATABASE_URL": f"sqlite:///{tmp_path / 'm.sqlite3'}"}, "migrate", "--noinput")
    assert result.returncode == 0, result.stderr
    assert "Applying arena.0001_initial... OK" in result.stdout


@pytest.mark.postgres
def test_migrations_apply_on_postgres(postgres_url: str) -> None:
    import psycopg

    name = f"arena_migrate_{uuid.uuid4().hex[:8]}"
    admin_url = postgres_url
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        url = admin_url.rsplit("/", 1)[0] + "/" + name
        result = manage({"DATABASE_URL": url}, "migrate", "--noinput")
        assert result.returncode == 0, result.stderr
        assert "Applying arena.0001_initial... OK" in result.stdout
        with psycopg.connect(url) as conn:
            constraints = {row[0] for row in conn.execute("SELECT conname FROM pg_constraint")}
        assert {"participant_position_unique", "turn_index_unique", "verdict_key_unique"} <= constraints
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
