#!/usr/bin/env bash
# Serve the arena with daphne and a Celery worker; one Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
HOST="${ARENA_HOST:-127.0.0.1}"
PORT="${ARENA_PORT:-8000}"

trap 'trap - INT TERM EXIT; kill 0 2>/dev/null; wait' INT TERM EXIT

# The threads pool keeps many judge calls in flight per worker; models load once per worker process.
# DEBUG=0 in the worker: with DEBUG on Django keeps every query in memory and runs extra ones on SQLite.
DEBUG=0 "$BIN/celery" -A arena worker --pool threads --concurrency "${CELERY_CONCURRENCY:-16}" --loglevel INFO &
# The local models load in daphne while it already serves pages, not on the first battle.
ARENA_PRELOAD_MODELS="${ARENA_PRELOAD_MODELS:-1}" "$BIN/daphne" -b "$HOST" -p "$PORT" arena.asgi:application &
echo "The arena is at http://$HOST:$PORT/ (admin at /admin/). Ctrl-C stops it."
wait -n
