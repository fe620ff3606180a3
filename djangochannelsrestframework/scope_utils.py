"""Helpers that turn a channels ``scope`` into the objects Django and DRF code expect."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, cast
from typing import Dict as Dict  # noqa: UP035

from channels.db import database_sync_to_async
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, QueryDict, parse_cookie

from .types import Scope


def ensure_async(method: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    """Return ``method`` if it is a coroutine function, else run it through ``database_sync_to_async``."""
    if asyncio.iscoroutinefunction(method):
        return method
    return cast("Callable[..., Awaitable[Any]]", database_sync_to_async(method))


class WebsocketRequest(HttpRequest):
    """An ``HttpRequest`` describing the websocket handshake, for permission classes and serializers."""

    def __init__(self, scope: Scope) -> None:
        super().__init__()
        self.scope = scope
        self._ws_scheme = "https" if scope.get("scheme") in ("wss", "https") else "http"

    def _get_scheme(self) -> str:
        return self._ws_scheme


def _decode(value: bytes | str) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else value


def _headers_as_meta(headers: Any) -> dict[str, str]:
    """Map ASGI ``(name, value)`` header pairs to WSGI-style META keys; repeated headers are joined."""
    meta: dict[str, str] = {}
    for raw_name, raw_value in headers:
        name = _decode(raw_name).upper().replace("-", "_")
        key = name if name in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{name}"
        value = _decode(raw_value)
        if key in meta:
            # Cookie headers (split by HTTP/2) are joined the way one Cookie header lists them.
            value = f"{meta[key]}{'; ' if key == 'HTTP_COOKIE' else ','}{value}"
        meta[key] = value
    return meta


def request_from_scope(scope: Scope) -> HttpRequest:
    """Build an ``HttpRequest`` from a websocket scope.

    Headers become ``HTTP_*`` META keys (plus ``CONTENT_TYPE``/``CONTENT_LENGTH``), the
    query string fills ``GET``, and ``SERVER_NAME``/``SERVER_PORT``/``REMOTE_ADDR`` come
    from the scope, so ``get_host()``, ``build_absolute_uri()`` and hyperlinked
    serializers work.  ``user`` defaults to an ``AnonymousUser`` instance.
    """
    request = WebsocketRequest(scope)
    path = scope.get("path") or "/"
    request.path = path
    request.path_info = path
    request.session = scope.get("session")  # type: ignore[assignment]
    request.user = scope.get("user") or AnonymousUser()

    meta = request.META
    meta["HTTP_ACCEPT"] = "application/json"
    meta["HTTP_CONTENT_TYPE"] = "application/json"
    meta.update(_headers_as_meta(scope.get("headers", ())))

    query_string = _decode(scope.get("query_string", b""))
    meta["QUERY_STRING"] = query_string
    request.GET = QueryDict(query_string, mutable=True)  # type: ignore[assignment]

    server = scope.get("server")
    if server:
        meta["SERVER_NAME"] = str(server[0])
        meta["SERVER_PORT"] = str(server[1]) if server[1] is not None else ""
    else:
        meta.setdefault("SERVER_NAME", "localhost")
        meta.setdefault("SERVER_PORT", "443" if request.is_secure() else "80")
    client = scope.get("client")
    if client:
        meta["REMOTE_ADDR"] = str(client[0])
        meta["REMOTE_PORT"] = client[1]
    meta["SCRIPT_NAME"] = scope.get("root_path", "")
    meta["PATH_INFO"] = path

    cookies = scope.get("cookies")
    if cookies is None and "HTTP_COOKIE" in meta:
        # Django's lenient parser, as for HTTP requests: one odd cookie must not break the request.
        cookies = parse_cookie(meta["HTTP_COOKIE"])
    if cookies is not None:
        request.COOKIES = dict(cookies)
    return request


# What this module offers; DCRF 1.3's names are kept too, so `from ... import *` gives what it gave.
__all__ = [
    "Any",
    "Callable",
    "Dict",
    "HttpRequest",
    "WebsocketRequest",
    "asyncio",
    "database_sync_to_async",
    "ensure_async",
    "request_from_scope",
]
