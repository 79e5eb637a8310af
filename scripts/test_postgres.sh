#!/usr/bin/env bash
# The database-heavy tests again, on PostgreSQL (the production database), when one is reachable.
# Without one they are skipped with a reason; under ARENA_REQUIRE_SERVICES (CI) that is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
URL="${ARENA_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
if ! .venv/bin/python -c "import psycopg, sys; psycopg.connect(sys.argv[1], connect_timeout=3).close()" "$URL" 2>/dev/null; then
    if [ -n "${ARENA_REQUIRE_SERVICES:-}" ] && [ "${ARENA_REQUIRE_SERVICES}" != "0" ]; then
        echo "PostgreSQL at $URL is not reachable, and ARENA_REQUIRE_SERVICES is set" >&2
        exit 1
    fi
    echo "SKIPPED: the PostgreSQL pass (no server at $URL)"
    exit 0
fi
echo "== the arena, leaderboard and judge tests on PostgreSQL"
DATABASE_URL="$URL" .venv/bin/python -m pytest tests/arena tests/leaderboard tests/judge -m "not slow and not browser" -q
