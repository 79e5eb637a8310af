"""Settings for the Celery workers and commands that the judge tests start as subprocesses.

The arena's own settings, plus a queue (and cache prefix) of the test's own, so a test never takes
another test's (or another engineer's) messages from a shared Redis.
"""

import os

from arena.settings import *  # noqa: F403

_QUEUE = os.environ.get("ARENA_TEST_QUEUE", "celery")
CELERY_TASK_DEFAULT_QUEUE = _QUEUE
CACHES["default"]["KEY_PREFIX"] = _QUEUE  # noqa: F405
# The watch over unfinished runs looks every 2 s by default (120 s in the arena), so a killed worker's
# lost messages are queued again within the test's patience.
ARENA_STALL_CHECK_S = float(os.environ.get("ARENA_TEST_STALL_CHECK_S", "2"))
if not REDIS_URL:  # noqa: F405
    # kombu's file-system transport polls; its default second between polls paces a worker to one batch
    # of messages a second. (Suggested for arena/settings.py too.)
    CELERY_BROKER_TRANSPORT_OPTIONS["polling_interval"] = 0.1  # noqa: F405
