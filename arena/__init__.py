"""The LLM arena: Django project and app."""

# Importing the Celery app here makes @shared_task use it in every process.
from arena.celery import app as celery_app

__all__ = ["celery_app"]
