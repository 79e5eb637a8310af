"""The served arena itself, as daphne runs it for `make run`."""

from urllib.request import urlopen

import pytest

from tests.browser.conftest import ArenaServer

pytestmark = pytest.mark.slow


def test_daphne_serves_the_pages_script_and_styles(arena_server: ArenaServer) -> None:
    # daphne (unlike runserver) serves no static files itself; arena/asgi.py has to.
    for path, kind in [("/static/arena/arena.js", "javascript"), ("/static/arena/arena.css", "text/css")]:
        with urlopen(arena_server.url + path, timeout=10) as response:
            assert response.status == 200 and kind in response.headers["Content-Type"]
            assert len(response.read()) > 500
