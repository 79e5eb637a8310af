"""Settings for the arena, read from the environment.

Two profiles share this one file:
- embedded default (nothing set): SQLite, in-memory channel layer, a file-system Celery broker;
- production: DATABASE_URL (PostgreSQL), REDIS_URL (channel layer + Celery broker), SECRET_KEY,
  ALLOWED_HOSTS and DEBUG=0. See README.md, "Production".
"""

import os
from pathlib import Path
from urllib.parse import unquote, urlparse

# The rating fits solve many small systems; BLAS threads only fight each other over them
# (measured: 8 ms vs 0.5 ms per 200x200 solve on a busy 2-core machine). Set before numpy loads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("ARENA_VAR_DIR", BASE_DIR / "var"))


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def envint(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def sqlite_database(name: str | Path) -> dict:
    """SQLite tuned for one web process and one worker sharing the file.

    WAL lets readers run beside the writer; IMMEDIATE transactions take the write lock up front so
    two writers queue (busy timeout) instead of failing with "database is locked" mid-transaction;
    synchronous=NORMAL is safe under WAL and cuts the fsyncs per commit.
    Connections persist: every database_sync_to_async call closes a connection Django holds past
    CONN_MAX_AGE, and reopening one (file open, PRAGMAs, function registration) cost the WebSocket's
    database thread a fifth of its time under load (bench_arena.py).
    """
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": name,
        "CONN_MAX_AGE": envint("DB_CONN_MAX_AGE", 600),
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        },
    }


def database_from_url(url: str) -> dict:
    """The DATABASES entry for a postgres:// or sqlite:/// URL."""
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        return sqlite_database(unquote(parsed.path) or ":memory:")
    if parsed.scheme not in {"postgres", "postgresql", "pgsql"}:
        raise ValueError(f"DATABASE_URL scheme {parsed.scheme!r} is not supported: use postgres:// or sqlite:///")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parsed.path.lstrip("/")),
        "USER": unquote(parsed.username or ""),
        "PASSWORD": unquote(parsed.password or ""),
        "HOST": parsed.hostname or "",
        "PORT": str(parsed.port or ""),
        "CONN_MAX_AGE": envint("DB_CONN_MAX_AGE", 60),
        "CONN_HEALTH_CHECKS": True,
    }


DEBUG = envbool("DEBUG", True)
# The fallback key only serves the embedded profile; the system check arena.W001 flags it elsewhere.
INSECURE_DEV_KEY = "dev-only-insecure-key-set-SECRET_KEY-in-production"
SECRET_KEY = os.environ.get("SECRET_KEY", INSECURE_DEV_KEY)
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "arena",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "arena.urls"
ASGI_APPLICATION = "arena.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": database_from_url(DATABASE_URL)}
else:
    DATABASES = {"default": sqlite_database(VAR_DIR / "arena.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [REDIS_URL]}}
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# Celery: Redis in production; kombu's file-system transport in the embedded profile, so a real
# worker process runs without any server.
CELERY_BROKER_DIR = VAR_DIR / "celery-broker"
if REDIS_URL:
    CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL)
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {"visibility_timeout": 3600}
else:
    CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_DIR / "queue"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
        # The 1 s default caps each worker at one batch of messages a second.
        "polling_interval": 0.1,
    }
CELERY_TASK_ALWAYS_EAGER = envbool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fixup otherwise reconnects to the database after every task (15-25% of a judgment's CPU).
CELERY_DB_REUSE_MAX = envint("CELERY_DB_REUSE_MAX", 1000)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"

SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = envbool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if envbool("BEHIND_TLS_PROXY", False) else None

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

# --- the arena's own settings ---
ARENA_MODEL_CACHE = Path(os.environ.get("ARENA_MODEL_CACHE", VAR_DIR / "models"))
ARENA_MODEL_MEMORY_BUDGET_MB = envint("ARENA_MODEL_MEMORY_BUDGET_MB", 8192)
# daphne loads the enabled local models at start, in the background (`make run` turns it on).
ARENA_PRELOAD_MODELS = envbool("ARENA_PRELOAD_MODELS", False)
ARENA_MAX_PROMPT_CHARS = envint("ARENA_MAX_PROMPT_CHARS", 12000)
ARENA_MAX_TURNS = envint("ARENA_MAX_TURNS", 50)
ARENA_PROMPTS_PER_MINUTE = envint("ARENA_PROMPTS_PER_MINUTE", 20)
ARENA_ANSWER_TIMEOUT_S = envint("ARENA_ANSWER_TIMEOUT_S", 300)
ARENA_LEADERBOARD_DEBOUNCE_S = envint("ARENA_LEADERBOARD_DEBOUNCE_S", 10)
ARENA_JUDGE_STRONG_WEIGHT = envint("ARENA_JUDGE_STRONG_WEIGHT", 3)
ARENA_DEFAULT_JUDGE_MODEL = os.environ.get("ARENA_DEFAULT_JUDGE_MODEL", "gpt-4o")
# A judge or batch run with no progress for this long is re-queued (a killed worker's messages are gone).
ARENA_STALL_CHECK_S = envint("ARENA_STALL_CHECK_S", 120)
# Extra browser origins allowed to open the arena WebSocket (besides ALLOWED_HOSTS).
ARENA_WS_ALLOWED_ORIGINS = envlist("ARENA_WS_ALLOWED_ORIGINS", "")
# Collaboration mode: next turn, contestants see the combined answer as their previous reply.
ARENA_COLLAB_SHARE_COMBINED = envbool("ARENA_COLLAB_SHARE_COMBINED", True)
ARENA_COLLAB_TIMEOUT_S = envint("ARENA_COLLAB_TIMEOUT_S", 180)

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    # The embedded profile: one web process plus one worker sharing a file cache.
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": VAR_DIR / "cache"}
    }
