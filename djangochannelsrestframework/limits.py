"""Per-user connection limit (``MAX_CONNECTIONS_PER_USER``): the counter interface, the in-process
counter, and the choice between it and the Redis one (``CONNECTION_COUNTER``).

The other caps live where they apply: ``MAX_MESSAGE_SIZE`` and ``MAX_DETACHED_TASKS`` in the
consumer, ``MAX_SUBSCRIPTIONS_PER_CONNECTION`` in ``AsyncAPIConsumer.add_group``.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any, Protocol

from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.utils.module_loading import import_string

from .settings import SETTING_NAME, api_settings
from .types import Scope

logger = logging.getLogger("djangochannelsrestframework")

#: Close code of a connection refused because its user has too many (4000 + HTTP 429).
TOO_MANY_CONNECTIONS_CLOSE_CODE = 4429
TOO_MANY_CONNECTIONS_MESSAGE = "Too many connections for this user; the limit is {limit}."
REDIS_REQUIRED_MESSAGE = (
    'CONNECTION_COUNTER = "redis" needs a channels_redis default channel layer '
    "(RedisChannelLayer or RedisPubSubChannelLayer), whose Redis it counts in."
)

#: The values of ``CONNECTION_COUNTER`` that name a counter of the library; others are import strings.
COUNTER_NAMES = ("auto", "process", "redis")

#: What connections of one user share: the user model and the primary key.
UserKey = tuple[type[Any], Any]


class ConnectionCounter(Protocol):
    """Counts each user's open connections; ``CONNECTION_COUNTER`` may name your own class."""

    async def acquire(self, user: UserKey, connection: str, limit: int) -> int | None:
        """Count ``connection`` (a unique id) of ``user`` unless ``limit`` are open: ``None``
        once counted, else how many are open (nothing counted)."""

    async def release(self, user: UserKey, connection: str) -> None:
        """Stop counting a connection that :meth:`acquire` counted."""


class ProcessConnectionCounter:
    """Counts the connections this server process holds (the default without a Redis layer)."""

    def __init__(self) -> None:
        self.open: Counter[UserKey] = Counter()

    async def acquire(self, user: UserKey, connection: str, limit: int) -> int | None:
        if self.open[user] >= limit:
            return self.open[user]
        self.open[user] += 1
        return None

    async def release(self, user: UserKey, connection: str) -> None:
        self.open[user] -= 1
        if self.open[user] <= 0:
            del self.open[user]


@dataclass(frozen=True)
class Slot:
    """One counted connection, released through the counter that counted it."""

    counter: ConnectionCounter
    user: UserKey
    connection: str


class ConnectionLimitReached(Exception):
    """The user already has ``limit`` open connections."""

    def __init__(self, limit: int) -> None:
        super().__init__(TOO_MANY_CONNECTIONS_MESSAGE.format(limit=limit))
        self.limit = limit


_process_counter = ProcessConnectionCounter()
_counter: ConnectionCounter | None = None


def connection_counter() -> ConnectionCounter:
    """The counter ``CONNECTION_COUNTER`` selects: ``"auto"`` (Redis when the default channel
    layer is channels_redis's, else this process), ``"process"``, ``"redis"`` or an import string
    of a class taking no arguments."""
    global _counter
    if _counter is None:
        _counter = _make_counter(api_settings.CONNECTION_COUNTER)
    return _counter


def _make_counter(choice: str) -> ConnectionCounter:
    if choice == "process":
        return _process_counter
    if choice in ("auto", "redis"):
        try:
            from ._engine.redis_connection_counter import RedisConnectionCounter, redis_layer_config
        except ImportError:  # no redis-py, so no channels_redis layer either
            config = None
        else:
            config = redis_layer_config()
        if config is not None:
            return RedisConnectionCounter(**config)
        if choice == "redis":
            raise ImproperlyConfigured(REDIS_REQUIRED_MESSAGE)
        return _process_counter
    counter: ConnectionCounter = import_string(choice)()
    return counter


def _forget_counter(*args: Any, setting: str = "", **kwargs: Any) -> None:
    """``setting_changed`` receiver: choose the counter again after the settings it depends on change."""
    global _counter
    if setting in (SETTING_NAME, "CHANNEL_LAYERS"):
        _counter = None


setting_changed.connect(_forget_counter)


def user_key(scope: Scope) -> UserKey | None:
    """What connections of one user share; ``None`` for anonymous connections (not counted)."""
    user = scope.get("user")
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return (type(getattr(user, "_wrapped", user)), user.pk)


async def acquire(user: UserKey | None, connection: str | None = None) -> Slot | None:
    """Count one more connection of ``user`` (``connection`` is its unique id, made up when
    ``None``); ``None`` when nothing is counted (anonymous user, no limit).  Raises
    :class:`ConnectionLimitReached` when the user is at the limit."""
    limit = api_settings.MAX_CONNECTIONS_PER_USER
    if user is None or limit is None:
        return None
    counter = connection_counter()
    connection = connection or uuid.uuid4().hex
    open_now = await counter.acquire(user, connection, limit)
    if open_now is not None:
        logger.warning("Refusing a connection of user %r: %d open, the limit is %d", user[1], open_now, limit)
        raise ConnectionLimitReached(limit)
    return Slot(counter, user, connection)


async def release(slot: Slot | None) -> None:
    """Forget a connection counted by :func:`acquire`."""
    if slot is not None:
        await slot.counter.release(slot.user, slot.connection)


def open_connections(user: UserKey) -> int:
    """How many connections of ``user`` the in-process counter holds (for tests and monitoring)."""
    return _process_counter.open.get(user, 0)


__all__ = [
    "COUNTER_NAMES",
    "REDIS_REQUIRED_MESSAGE",
    "TOO_MANY_CONNECTIONS_CLOSE_CODE",
    "TOO_MANY_CONNECTIONS_MESSAGE",
    "ConnectionCounter",
    "ConnectionLimitReached",
    "ProcessConnectionCounter",
    "Slot",
    "UserKey",
    "acquire",
    "connection_counter",
    "open_connections",
    "release",
    "user_key",
]
