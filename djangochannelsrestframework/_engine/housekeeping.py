"""Database connection housekeeping for consumers, without a worker-thread round trip per message.

Channels' ``AsyncConsumer.dispatch`` closes stale database connections (past ``CONN_MAX_AGE``, or
broken by an error) before every handler, through a hop to the database thread.  That hop costs
more than the rest of an action round trip.  Our consumers run the same housekeeping:

- at most once per ``connection_housekeeping_interval`` seconds, process-wide, before a handler;
- before the next handler whenever a handler failed with a database error, so a connection the
  server dropped is replaced on the next message instead of failing every later one.

Database work that goes through ``database_sync_to_async`` (sync actions, sync permissions, the
generic mixins) closes old connections before and after each call in its own thread, as before.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import channels.db
from django.db import Error as DjangoDatabaseError
from django.db import close_old_connections


def _old_connections_closer() -> Callable[[], Awaitable[None]]:
    """channels' ``aclose_old_connections`` (channels 4.2+), else what channels 4.1 ran before each
    handler: ``close_old_connections`` in the database thread."""
    closer: Callable[[], Awaitable[None]] | None = getattr(channels.db, "aclose_old_connections", None)
    if closer is None:
        closer = channels.db.database_sync_to_async(close_old_connections)
    return closer


aclose_old_connections = _old_connections_closer()

#: Seconds between two housekeeping runs (process-wide); 0 runs it before every handler, like channels.
DEFAULT_INTERVAL = 1.0


class ConnectionHousekeeping:
    """When the database thread last closed stale connections, and whether it must do so again now."""

    def __init__(self) -> None:
        self.last_run = float("-inf")
        self.due = False

    def note_exception(self, exc: BaseException) -> None:
        """Mark housekeeping due if ``exc`` comes from the database."""
        if isinstance(exc, DjangoDatabaseError):
            self.due = True

    def needed(self, interval: float) -> bool:
        """Whether a database error is pending or ``interval`` seconds passed since the last run."""
        return self.due or time.monotonic() - self.last_run >= interval

    async def run(self) -> None:
        """Close stale connections of the database thread (``sync_to_async``'s thread)."""
        # Claimed before the hop, so concurrent consumers do not queue up behind one another.
        self.due = False
        self.last_run = time.monotonic()
        await aclose_old_connections()


#: The process-wide state; every consumer shares it because they share the database thread.
housekeeping = ConnectionHousekeeping()
