"""The lean floor (PERFORMANCE.md): the floor's consumers without channels' per-message thread hop.

Since channels 4.2 ``AsyncConsumer.dispatch`` awaits ``aclose_old_connections()`` (a worker-thread
round trip) before every handler. These consumers dispatch straight to the handler, as a hand-written
app that does all its database work through ``database_sync_to_async`` safely can. This is the
limit of the channels stack that the framework is measured against.
"""

from __future__ import annotations

from typing import Any

from channels.consumer import get_handler_name

from . import floor
from .floor import HAVE_OBSERVER, OBSERVER_MISSING  # noqa: F401 (asgi.py)


class LeanDispatch:
    """``dispatch`` without the per-message ``aclose_old_connections`` hop."""

    async def dispatch(self, message: dict[str, Any]) -> None:
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)


class EchoConsumer(LeanDispatch, floor.EchoConsumer):
    pass


class RowConsumer(LeanDispatch, floor.RowConsumer):
    pass


class ObserveConsumer(LeanDispatch, floor.ObserveConsumer):
    pass
