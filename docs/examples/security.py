"""Token authentication: in the query string (middleware) or in the first message (consumer mixin)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.urls import path

from djangochannelsrestframework.auth import TokenAuthConsumerMixin, TokenAuthMiddlewareStack
from djangochannelsrestframework.consumers import AsyncAPIConsumer
from djangochannelsrestframework.decorators import action
from djangochannelsrestframework.permissions import IsAuthenticated


class ProfileConsumer(TokenAuthConsumerMixin, AsyncAPIConsumer):
    """Everything but ``authenticate`` needs a user."""

    permission_classes = [IsAuthenticated]

    @action()
    async def whoami(self) -> tuple[dict[str, Any], int]:
        return {"username": self.scope["user"].username}, 200


# asgi.py: the session cookie (channels' AuthMiddlewareStack) and ?token=... both work.
websocket_urlpatterns = [path("ws/profile/", ProfileConsumer.as_asgi())]
application = TokenAuthMiddlewareStack(ProfileConsumer.as_asgi())


def tokens_of_the_docs(token: str) -> User | None:
    """A TOKEN_AUTHENTICATOR for this page: one fixed token (use DRF's tokens or your own table)."""
    if token == "0123456789abcdef":
        return User(pk=7, username="ada")
    return None
