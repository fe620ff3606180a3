"""Test helpers with django-rest-live's names: a communicator, an async test decorator and
session-cookie headers for a logged-in user.

Nothing here imports ``channels.testing``: its package ``__init__`` imports daphne, which
channels 4 no longer installs, and these helpers need no server."""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable
from http.cookies import SimpleCookie
from importlib import import_module
from typing import Any, TypeVar
from unittest import mock
from urllib.parse import unquote, urlparse

from asgiref.testing import ApplicationCommunicator
from channels.db import database_sync_to_async
from django.conf import settings
from django.http import HttpRequest

from ...types import Message, Scope

T = TypeVar("T")


def _keep_connections() -> None:
    """Stands in for ``close_old_connections`` while the test talks to the application, so a
    test's open transaction and connection survive the consumer's database calls."""


class APICommunicator(ApplicationCommunicator):
    """Drives a websocket application in the test's event loop, as a client would.

    ``**extra`` keys are added to the scope (``user=...``, ``session=...``) for consumers tested
    without middleware.  ``connect`` returns ``(True, subprotocol)`` when accepted and
    ``(False, close_code)`` when refused."""

    def __init__(
        self,
        application: Any,
        path: str,
        headers: list[tuple[bytes, bytes]] | None = None,
        subprotocols: list[str] | None = None,
        **extra: Any,
    ) -> None:
        if not isinstance(path, str):
            raise TypeError(f"Expected str, got {type(path)}")
        parsed = urlparse(path)
        scope: Scope = {
            "type": "websocket",
            "asgi": {"version": "3.0"},
            "scheme": "ws",
            "http_version": "1.1",
            "client": ["127.0.0.1", 0],
            "server": ["testserver", 80],
            "path": unquote(parsed.path),
            "query_string": parsed.query.encode(),
            "headers": list(headers or []),
            "subprotocols": list(subprotocols or []),
            **extra,
        }
        super().__init__(application, scope)  # type: ignore[no-untyped-call]
        #: The headers of the accept message, once connected.
        self.response_headers: list[tuple[bytes, bytes]] | None = None

    async def send_input(self, message: Message) -> None:
        with mock.patch("channels.db.close_old_connections", _keep_connections):
            await super().send_input(message)  # type: ignore[no-untyped-call]

    async def receive_output(self, timeout: float = 1) -> Any:
        with mock.patch("channels.db.close_old_connections", _keep_connections):
            return await super().receive_output(timeout)  # type: ignore[no-untyped-call]

    async def connect(self, timeout: float = 1) -> tuple[bool, Any]:
        """Open the connection: ``(True, subprotocol)`` or ``(False, close_code)``."""
        await self.send_input({"type": "websocket.connect"})
        response = await self.receive_output(timeout)
        if response["type"] == "websocket.close":
            return False, response.get("code", 1000)
        assert response["type"] == "websocket.accept", f"Expected an accept or a close, got {response['type']!r}"
        self.response_headers = response.get("headers", [])
        return True, response.get("subprotocol")

    async def send_to(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """Send one text or binary frame (exactly one of the two)."""
        assert (text_data is None) != (bytes_data is None), "Pass exactly one of text_data or bytes_data"
        if text_data is not None:
            assert isinstance(text_data, str), "text_data must be a str"
            await self.send_input({"type": "websocket.receive", "text": text_data})
        else:
            assert isinstance(bytes_data, bytes), "bytes_data must be bytes"
            await self.send_input({"type": "websocket.receive", "bytes": bytes_data})

    async def send_json_to(self, data: Any) -> None:
        """Send ``data`` as JSON in a text frame."""
        await self.send_to(text_data=json.dumps(data))

    async def receive_from(self, timeout: float = 1) -> str | bytes:
        """The next frame the application sent (``str`` for text, ``bytes`` for binary); fails
        when the application closed the connection or sent nothing within ``timeout``."""
        response = await self.receive_output(timeout)
        assert response["type"] == "websocket.send", f"Expected a frame, got {response!r}"
        frame = response.get("text")
        if frame is None:
            frame = response.get("bytes")
        assert isinstance(frame, (str, bytes)), f"A frame needs `text` or `bytes`, got {response!r}"
        return frame

    async def receive_json_from(self, timeout: float = 1) -> Any:
        """The next frame, a text frame, decoded from JSON."""
        frame = await self.receive_from(timeout)
        assert isinstance(frame, str), f"Expected a JSON text frame, got {frame!r}"
        return json.loads(frame)

    async def disconnect(self, code: int = 1000, timeout: float = 1) -> None:
        """Close the connection and wait for the application to finish."""
        await self.send_input({"type": "websocket.disconnect", "code": code})
        await self.wait(timeout)  # type: ignore[no-untyped-call]


def async_test(test: Callable[..., Awaitable[T]]) -> Callable[..., Awaitable[T]]:
    """Run ``asyncSetUp`` before and ``asyncTearDown`` after an async test method, when defined."""

    @functools.wraps(test)
    async def wrapped(self: Any, *args: Any, **kwargs: Any) -> T:
        if hasattr(self, "asyncSetUp"):
            await self.asyncSetUp()
        try:
            return await test(self, *args, **kwargs)
        finally:
            if hasattr(self, "asyncTearDown"):
                await self.asyncTearDown()

    return wrapped


def _session_cookie(user: Any, backend: str | None) -> SimpleCookie:
    from django.contrib.auth import load_backend, login

    if backend is None:
        backend = next(
            (path for path in settings.AUTHENTICATION_BACKENDS if hasattr(load_backend(path), "get_user")), None
        )
    request = HttpRequest()
    request.session = import_module(settings.SESSION_ENGINE).SessionStore()
    login(request, user, backend)
    request.session.save()
    cookie: SimpleCookie = SimpleCookie()
    cookie[settings.SESSION_COOKIE_NAME] = request.session.session_key or ""
    cookie[settings.SESSION_COOKIE_NAME]["path"] = "/"
    return cookie


async def force_login(user: Any, backend: str | None = None) -> SimpleCookie:
    """Log ``user`` in to a new session; the cookie that names it."""
    cookie: SimpleCookie = await database_sync_to_async(_session_cookie)(user, backend)
    return cookie


async def get_headers_for_user(user: Any) -> list[tuple[bytes, bytes]]:
    """Handshake headers (a session cookie) that ``AuthMiddlewareStack`` resolves to ``user``."""
    cookie = await force_login(user)
    return [(b"cookie", cookie.output(header="", sep="; ").strip().encode())]


__all__ = [
    "APICommunicator",
    "async_test",
    "force_login",
    "get_headers_for_user",
]
