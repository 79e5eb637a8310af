from django.apps import AppConfig


class ArenaConfig(AppConfig):
    name = "arena"
    verbose_name = "LLM arena"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from arena import checks  # noqa: F401  registers the system checks
        from arena.celery import ensure_broker_folders

        ensure_broker_folders()
