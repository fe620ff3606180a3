"""Surviving a channel-layer outage (Redis stopped and started again) without losing the sockets.

Channels reads a consumer's channel-layer inbox next to its websocket; when Redis goes away that
read raises and channels ends the consumer, closing the socket.  :func:`resilient_receive` wraps
the read instead: on an error it logs once, waits (0.5 s doubling to 5 s) and, once the layer
answers again, re-joins every group of the consumer (a restarted Redis has forgotten them) before
it reads on.  Messages sent to the groups while the layer was down are lost.

It also ends a read that outlives its consumer.  Before Python 3.12, ``asyncio.wait_for`` loses a
cancellation that arrives just as the awaited operation completes, and redis-py sends each command
through it (under its socket timeout).  When the read of a closing consumer is cancelled at that
moment, channels waits for it forever: the read goes on (it is the process's Redis reader, as
channels_redis has one read at a time per process), and keeps the consumer, its server protocol and
its permessage-deflate buffers alive.  A mass disconnect loses one or two such cancellations.  Each
read therefore runs under :func:`.cancellation.cancellable`, which repeats the cancellation until the
read ends.

Every failure a reader or sender of the process sees is also reported with :func:`note_layer_failure`
to the watchers of that layer (the process fan-out of observer groups, _engine/fanout.py): with
channels_redis only one coroutine of a process reads from Redis at a time, so the one that sees a
failure is often not the one that must re-join its groups.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import weakref
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, Protocol

from .cancellation import cancellable
from .observer_groups import is_observer_group

logger = logging.getLogger("djangochannelsrestframework")

FIRST_RETRY_DELAY = 0.5
LONGEST_RETRY_DELAY = 5.0


class LayerWatcher(Protocol):
    """What :func:`watch_layer_failures` needs: the layer watched, the loop to tell, and what to run."""

    layer: Any
    loop: asyncio.AbstractEventLoop

    def layer_failed(self) -> None: ...


_watchers: weakref.WeakSet[Any] = weakref.WeakSet()
_watchers_lock = threading.Lock()


def watch_layer_failures(watcher: LayerWatcher) -> None:
    """Have ``watcher.layer_failed()`` run on ``watcher.loop`` whenever anything in this process
    (any thread) reports a failure of ``watcher.layer`` (held weakly)."""
    with _watchers_lock:
        _watchers.add(watcher)


def note_layer_failure(layer: Any) -> None:
    """Report that a command on ``layer`` failed (a read, a send, a join); safe from any thread."""
    with _watchers_lock:
        watchers = [watcher for watcher in _watchers if watcher.layer is layer]
    try:
        running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    for watcher in watchers:
        loop = watcher.loop
        if loop is running:
            watcher.layer_failed()
        elif not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # closed meanwhile
                loop.call_soon_threadsafe(watcher.layer_failed)


def retry_delays() -> Iterator[float]:
    """The waits between two tries on a failing layer: 0.5 s, doubling up to 5 s."""
    delay = FIRST_RETRY_DELAY
    while True:
        yield delay
        delay = min(delay * 2, LONGEST_RETRY_DELAY)


async def rejoin_before_reading(
    rejoin: Callable[[], Awaitable[None]], has_groups: Callable[[], bool], delays: Iterator[float]
) -> bool:
    """After a layer failure, join the groups of a reader again before it reads on: a restarted Redis
    forgot them, and a read that comes first would wait on a channel no group sends to any more.

    Runs ``rejoin()`` until it succeeds, waiting the next of ``delays`` after each failure; ``False``
    (nothing joined) once ``has_groups()`` says no group is left."""
    while has_groups():
        try:
            await rejoin()
        except Exception:
            await asyncio.sleep(next(delays))
            continue
        return True
    return False


async def _rejoin(consumer: Any) -> None:
    for group in list(consumer.groups):
        if is_observer_group(group):
            continue  # observer groups are the process channel's: the fan-out re-joins those itself
        await consumer.channel_layer.group_add(group, consumer.channel_name)


def idle_read_timeout(exc: BaseException) -> bool:
    """Whether ``exc`` is redis-py's read timeout on an idle blocking read.

    redis-py 8 gives connections a 5 s ``socket_timeout`` by default, and channels_redis waits on
    its blocking pop for 5 s too: on a quiet socket the client's timeout may fire first.  Nothing
    is lost (the pop never happened), so the read is simply made again.
    """
    kind = type(exc)
    return kind.__name__ == "TimeoutError" and kind.__module__.startswith("redis")


def broken_connection(exc: BaseException) -> bool:
    """Whether ``exc`` is a lost connection to the layer's server (redis-py's ``ConnectionError``,
    or the built-in one), as the first command on a pooled connection gets after a Redis restart."""
    kind = type(exc)
    return isinstance(exc, ConnectionError) or (
        kind.__name__ == "ConnectionError" and kind.__module__.startswith("redis")
    )


def _forget_inbox(consumer: Any) -> None:
    """Drop the layer's local buffer of a consumer that stops reading (channels_redis 4 keeps an
    empty queue per closed channel when the read is cancelled while it holds the receive lock)."""
    buffers = getattr(consumer.channel_layer, "receive_buffer", None)
    if isinstance(buffers, dict):
        queue = buffers.get(consumer.channel_name)
        if queue is not None and queue.empty():
            del buffers[consumer.channel_name]


def resilient_receive(consumer: Any, receive: Callable[[], Awaitable[Any]]) -> Callable[[], Awaitable[Any]]:
    """``receive`` (a channel-layer read of ``consumer``) that outlives layer outages.

    Holds the consumer weakly: no reference cycle, so a closed consumer is freed at once."""
    return _ResilientReceive(weakref.ref(consumer), receive)


class _ResilientReceive:
    """What :func:`resilient_receive` returns (an object with slots: one is kept per open socket)."""

    __slots__ = ("consumer_ref", "down", "receive")

    def __init__(self, consumer_ref: weakref.ref[Any], receive: Callable[[], Awaitable[Any]]) -> None:
        self.consumer_ref = consumer_ref
        self.receive = receive
        self.down = False

    async def __call__(self) -> Any:
        consumer: Any = self.consumer_ref()
        delays = retry_delays()
        while True:
            if self.down and await rejoin_before_reading(
                lambda: _rejoin(consumer), lambda: bool(consumer.groups), delays
            ):
                own = sum(1 for group in consumer.groups if not is_observer_group(group))
                if own:  # observer groups are the fan-out's, which logs their recovery once per process
                    logger.warning("Channel layer is back: %s re-joined %d groups", consumer.channel_name, own)
                self.down = False
            try:
                message = await cancellable(self.receive())  # a close must end it (see .cancellation)
            except asyncio.CancelledError:
                _forget_inbox(consumer)
                raise
            except Exception as exc:
                if idle_read_timeout(exc):
                    continue  # nothing arrived within the socket timeout: read again, the layer is fine
                note_layer_failure(consumer.channel_layer)
                if not self.down:
                    logger.warning(
                        "Channel layer read failed for %s; retrying until it is back: %r", consumer.channel_name, exc
                    )
                    self.down = True
                await asyncio.sleep(next(delays))
                continue
            self.down = False
            return message
