"""Test helpers with django-rest-live's names: a communicator, an async test decorator and
session-cookie headers for a logged-in user."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from http.cookies import SimpleCookie
from importlib import import_module
from typing import Any, TypeVar

from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.http import HttpRequest

T = TypeVar("T")


class APICommunicator(WebsocketCommunicator):
    """A ``WebsocketCommunicator`` whose ``**extra`` keyword arguments are added to the scope
    (``user=...``, ``session=...``), for consumers tested without middleware."""

    def __init__(
        self,
        application: Any,
        path: str,
        headers: list[tuple[bytes, bytes]] | None = None,
        subprotocols: list[str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(application, path, headers=headers, subprotocols=subprotocols)
        self.scope.update(extra)


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
