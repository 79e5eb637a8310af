"""System checks that name unsafe production settings."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def production_settings(app_configs: object, **kwargs: object) -> list[Warning]:
    warnings = []
    if settings.SECRET_KEY == settings.INSECURE_DEV_KEY:
        warnings.append(Warning("SECRET_KEY is the development fallback.", hint="Set SECRET_KEY.", id="arena.W001"))
    if settings.CHANNEL_LAYERS["default"]["BACKEND"].endswith("InMemoryChannelLayer"):
        warnings.append(
            Warning(
                "The in-memory channel layer only works within one process.",
                hint="Set REDIS_URL so every web process shares one channel layer.",
                id="arena.W002",
            )
        )
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        warnings.append(
            Warning("SQLite is the embedded default.", hint="Set DATABASE_URL to PostgreSQL.", id="arena.W003")
        )
    if str(settings.CELERY_BROKER_URL).startswith("filesystem://"):
        warnings.append(
            Warning(
                "The file-system Celery broker serves one machine only.",
                hint="Set REDIS_URL (or CELERY_BROKER_URL).",
                id="arena.W004",
            )
        )
    return warnings
