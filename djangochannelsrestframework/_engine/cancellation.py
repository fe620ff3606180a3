"""Channel-layer calls that end when they are cancelled, even if the layer's client drops the cancel.

On Python 3.11 and older, ``asyncio.wait_for`` loses a cancellation that arrives in the loop
iteration in which the awaited operation finishes (CPython gh-86296, fixed in 3.12).  redis-py
writes every command through ``wait_for``, so a ``channels_redis`` ``receive`` cancelled just as it
writes its blocking pop carries on as if nothing had happened, popping for a channel nobody sends
to any more.  Channels cancels a consumer's read once, when its socket closes, and waits for it:
that consumer never ends, and the server's graceful shutdown (SIGTERM) waits for it forever.
The defect is in redis-py on old Pythons, which we cannot patch, so every channel-layer read of
this package goes through :func:`cancellable`, and so do its Redis calls that need a time limit (the
group joins of a subscription, a slow client's group leaves, the per-user connection count):
``wait_for`` itself would lose the cancellation again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import TypeVar

logger = logging.getLogger("djangochannelsrestframework")

T = TypeVar("T")

#: Seconds between two cancellations of a read that has not ended yet.
RECANCEL_INTERVAL = 0.1
#: Seconds after which a read that ignores every cancellation is left behind.
STOP_GRACE = 5.0


async def cancellable(operation: Awaitable[T], timeout: float | None = None) -> T:
    """``await operation`` in a task of its own, so that cancelling the caller always ends it.

    When the caller is cancelled, the operation is cancelled too, and again every
    :data:`RECANCEL_INTERVAL` seconds until it has ended (a ``channels_redis`` read holds the
    layer's receive lock until then), for at most :data:`STOP_GRACE` seconds; then the caller's
    cancellation goes on.  A message the operation returns after the cancellation is dropped, as
    it would be had the first cancellation landed.  With a ``timeout`` (seconds), an operation
    still running by then is stopped the same way and :class:`asyncio.TimeoutError` is raised."""
    task = asyncio.ensure_future(operation)
    try:
        done, _ = await asyncio.wait((task,), timeout=timeout)
    except asyncio.CancelledError:
        await _stop(task)
        raise
    if not done:
        await _stop(task)
        raise asyncio.TimeoutError()
    return task.result()


async def _stop(task: asyncio.Future[T]) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + STOP_GRACE
    try:
        while not task.done():
            remaining = deadline - loop.time()
            if remaining <= 0:
                logger.warning("A channel-layer call ignored its cancellation for %.0f s; leaving it", STOP_GRACE)
                return
            task.cancel()
            await asyncio.wait((task,), timeout=min(RECANCEL_INTERVAL, remaining))
    finally:
        if task.done() and not task.cancelled():
            task.exception()  # retrieved, so asyncio does not log it: the caller is gone
        elif not task.done():
            task.cancel()
