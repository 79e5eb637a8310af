"""The visitor's session key for WebSockets, read once at connect.

Channels' SessionMiddleware wraps every outgoing frame to save a modified session; the arena's socket
only needs the key at connect, and that wrapper cost about a fifth of the CPU per relayed token.
"""

from http.cookies import SimpleCookie

from django.conf import settings


class SessionKeyMiddleware:
    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive, send) -> None:
        cookies = SimpleCookie()
        for name, value in scope.get("headers", []):
            if name == b"cookie":
                cookies.load(value.decode("latin-1"))
        morsel = cookies.get(settings.SESSION_COOKIE_NAME)
        scope = {**scope, "session_key": morsel.value if morsel else ""}
        return await self.app(scope, receive, send)
