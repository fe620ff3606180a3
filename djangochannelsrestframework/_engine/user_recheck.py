"""Re-reading a connection's user before each subscription event.

A websocket lives for hours, while ``scope["user"]`` is the user as loaded at the handshake.  Before
a channel-layer event reaches a consumer, :func:`recheck_user` reloads that user from the database
(once per event and user in a process, when the event carries an id), so a user deactivated or
deleted since becomes ``AnonymousUser`` and a revoked permission no longer shows in ``has_perm``
(Django caches permissions on the user object).  The consumer's per-event permission checks then
stop the delivery at that event.  ``RECHECK_USER_ON_EVENT`` turns it off.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from channels.db import database_sync_to_async
from django.contrib.auth.models import AnonymousUser

from ..settings import api_settings
from ..types import Message, Scope

#: (user class, pk, event id) -> the user as reloaded for that event; a few recent events only.
_reloaded: OrderedDict[tuple[Any, Any, str], Any] = OrderedDict()
_REMEMBERED_EVENTS = 256


def _reload(user_class: type[Any], pk: Any, backend: str | None) -> Any:
    fresh = user_class._default_manager.filter(pk=pk).first()
    if fresh is None or not getattr(fresh, "is_active", True):
        return AnonymousUser()
    if backend is not None:
        fresh.backend = backend
    return fresh


async def recheck_user(scope: Scope, message: Message) -> None:
    """Replace an authenticated ``scope["user"]`` with its current database state."""
    if not api_settings.RECHECK_USER_ON_EVENT:
        return
    user = scope.get("user")
    if user is None or not getattr(user, "is_authenticated", False):
        return
    user_class = type(user._wrapped) if hasattr(user, "_wrapped") else type(user)  # channels' lazy user
    pk = user.pk
    event = message.get("event")
    key = (user_class, pk, event) if isinstance(event, str) else None
    fresh = _reloaded.get(key) if key is not None else None
    if fresh is None:
        fresh = await database_sync_to_async(_reload)(user_class, pk, getattr(user, "backend", None))
        if key is not None:
            _reloaded[key] = fresh
            if len(_reloaded) > _REMEMBERED_EVENTS:
                _reloaded.popitem(last=False)
    scope["user"] = fresh
