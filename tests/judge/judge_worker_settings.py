"""Settings for the Celery workers and commands that the judge tests start as subprocesses.

The arena's own settings, plus a queue (and cache prefix) of the test's own, so a test never takes
another test's (or another engineer's) messages from a shared Redis.
"""

import os

from arena.settings import *  # noqa: F403

_QUEUE = os.environ.get("ARENA_TEST_QUEUE", "celery")
CELERY_TASK_DEFAULT_QUEUE = _QUEUE
CACHES["default"]["KEY_PREFIX"] = _QUEUE  # noqa: F405
# A restarted worker resumes unfinished runs even when the first worker started a moment ago.
ARENA_RESUME_LOCK_S = 1
