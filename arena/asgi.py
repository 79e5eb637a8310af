"""ASGI entry point: HTTP through Django, WebSockets through Channels."""

import os

import txaio
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "arena.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler  # noqa: E402
from django.urls import get_resolver  # noqa: E402

from arena.routing import websocket_urlpatterns  # noqa: E402
from arena.ws_session import SessionKeyMiddleware  # noqa: E402

# autobahn formats a debug line for every frame unless the log level says not to.
txaio.set_global_log_level("warn")

# Import the URLconf (and what the views import) now, not on the first request, where it would
# block the event loop, and every open socket, for seconds.
URL_PATTERNS = get_resolver().url_patterns

if settings.ARENA_PRELOAD_MODELS:
    from arena.services.preload import preload_in_background

    preload_in_background()

application = ProtocolTypeRouter(
    {
        # daphne, unlike runserver, serves no static files, and the embedded profile has no proxy in front
        # to do it: without this the arena page loads without its script and styles.
        "http": ASGIStaticFilesHandler(django_asgi_app),
        "websocket": AllowedHostsOriginValidator(SessionKeyMiddleware(URLRouter(websocket_urlpatterns))),
    }
)
