"""Authenticating websocket connections with a token, next to channels' session-cookie auth.

Two ways to send the token, both checked by the ``TOKEN_AUTHENTICATOR`` setting (a callable
``token -> user or None``; the default reads DRF's ``rest_framework.authtoken`` tokens):

* in the query string, ``ws://host/ws/?token=<key>``: wrap the application in
  :func:`TokenAuthMiddlewareStack` (session cookie first, a token in the query string wins);
* in the first message, ``{"action": "authenticate", "token": "<key>"}``: add
  :class:`TokenAuthConsumerMixin` to the consumer.  This keeps the token out of server access
  logs, which record query strings.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from django.apps import apps
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured

from .decorators import action
from .exceptions import AuthenticationFailed
from .settings import api_settings
from .types import ConsumerHost, Scope

#: The query-string parameter :class:`TokenAuthMiddleware` reads.
TOKEN_QUERY_PARAMETER = "token"


def authtoken_user(token: str) -> Any:
    """The active user owning ``token`` in DRF's ``rest_framework.authtoken`` table, or ``None``."""
    if not apps.is_installed("rest_framework.authtoken"):
        raise ImproperlyConfigured(
            "The default TOKEN_AUTHENTICATOR reads DRF's tokens: add 'rest_framework.authtoken' to "
            "INSTALLED_APPS, or set DJANGO_CHANNELS_REST_API['TOKEN_AUTHENTICATOR'] to your own check."
        )
    from rest_framework.authtoken.models import Token

    found = Token.objects.select_related("user").filter(key=token).first()
    if found is None or not getattr(found.user, "is_active", True):
        return None
    return found.user


async def user_for_token(token: Any) -> Any:
    """Run the configured ``TOKEN_AUTHENTICATOR``; a token that is not a non-empty string is no user."""
    if not isinstance(token, str) or not token:
        return None
    return await database_sync_to_async(api_settings.TOKEN_AUTHENTICATOR)(token)


class TokenAuthMiddleware:
    """Sets ``scope["user"]`` from a ``?token=`` query parameter; an unknown token gives
    ``AnonymousUser``, no parameter leaves the user set by inner layers (e.g. the session)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> Any:
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        tokens = query.get(TOKEN_QUERY_PARAMETER)
        if tokens:
            user = await user_for_token(tokens[-1])
            scope = {**scope, "user": user if user is not None else AnonymousUser()}
        return await self.inner(scope, receive, send)


def TokenAuthMiddlewareStack(inner: Any) -> Any:
    """Session-cookie authentication (channels' ``AuthMiddlewareStack``) plus a query-string token."""
    return AuthMiddlewareStack(TokenAuthMiddleware(inner))


class TokenAuthConsumerMixin:
    """Adds the ``authenticate`` action: ``{"action": "authenticate", "token": "<key>"}`` sets the
    connection's user (200 with the user's pk) or answers 401.  It is allowed before any
    permission passes, so ``IsAuthenticated`` consumers can be reached with a token."""

    #: The action that authenticates; permission checks let it through.
    authenticate_action = "authenticate"

    async def check_permissions(self, action: str, **kwargs: Any) -> None:
        if action == self.authenticate_action:
            return
        await super().check_permissions(action, **kwargs)  # type: ignore[misc]

    @action()
    async def authenticate(self: ConsumerHost, token: Any = None) -> tuple[dict[str, Any], int]:
        """Authenticate this connection with a token; later actions and events run as its user."""
        user = await user_for_token(token)
        if user is None:
            raise AuthenticationFailed()
        self.scope["user"] = user
        return {"user": user.pk}, 200


__all__ = [
    "TOKEN_QUERY_PARAMETER",
    "TokenAuthConsumerMixin",
    "TokenAuthMiddleware",
    "TokenAuthMiddlewareStack",
    "authtoken_user",
    "user_for_token",
]
