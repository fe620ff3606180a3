"""Per-user connection limit (``MAX_CONNECTIONS_PER_USER``), counted in this server process.

The other caps live where they apply: ``MAX_MESSAGE_SIZE`` and ``MAX_DETACHED_TASKS`` in the
consumer, ``MAX_SUBSCRIPTIONS_PER_CONNECTION`` in ``AsyncAPIConsumer.add_group``.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

from .settings import api_settings

logger = logging.getLogger("djangochannelsrestframework")

#: Close code of a connection refused because its user has too many (4000 + HTTP 429).
TOO_MANY_CONNECTIONS_CLOSE_CODE = 4429
TOO_MANY_CONNECTIONS_MESSAGE = "Too many connections for this user; the limit is {limit}."

_open: Counter[tuple[type[Any], Any]] = Counter()


def user_key(scope: dict[str, Any]) -> tuple[type[Any], Any] | None:
    """What connections of one user share; ``None`` for anonymous connections (not counted)."""
    user = scope.get("user")
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return (type(getattr(user, "_wrapped", user)), user.pk)


def acquire(key: tuple[type[Any], Any] | None) -> bool:
    """Count one more connection of ``key``; ``False`` (nothing counted) when at the limit."""
    if key is None:
        return True
    limit = api_settings.MAX_CONNECTIONS_PER_USER
    if limit is not None and _open[key] >= limit:
        logger.warning("Refusing a connection of user %r: %d open, the limit is %d", key[1], _open[key], limit)
        return False
    _open[key] += 1
    return True


def release(key: tuple[type[Any], Any] | None) -> None:
    """Forget one connection counted by :func:`acquire`."""
    if key is None:
        return
    _open[key] -= 1
    if _open[key] <= 0:
        del _open[key]


def open_connections(key: tuple[type[Any], Any]) -> int:
    """How many connections of ``key`` this process holds (for tests and monitoring)."""
    return _open.get(key, 0)
