"""A per-socket bound on what a client that stops reading can make the server hold.

A server with flow control (uvicorn) stops accepting a socket's frames once its write buffer is
over the high-water mark (64 KiB); the consumer's next send then waits.  :func:`guarded_send`
gives such a send ``SEND_TIMEOUT`` seconds: past it the client is taken as gone, the socket is
closed with :data:`SLOW_CLIENT_CLOSE_CODE` (the close frame goes out behind the unread data), the
consumer leaves its groups and cancels its detached tasks, and every later send is dropped, until
the server reports the disconnection (the client reads again, or the server's ping timeout).
Per socket the server then holds at most its write buffer, the frame being sent and the channel
layer's per-channel capacity (messages beyond it are dropped by the layer for that channel only).
A send that completes without waiting (the usual case) arms no timer; the timeout starts when a
send first has to wait.  Daphne has no flow control: its sends never wait, so this bound needs
uvicorn (or another server that applies back-pressure).
"""

from __future__ import annotations

import asyncio
import logging
import sys
import types
import weakref
from collections.abc import Awaitable, Callable, Generator
from typing import Any

from ..settings import api_settings
from ..types import Message
from .cancellation import cancellable

logger = logging.getLogger("djangochannelsrestframework")

#: Close code of a socket whose client did not read for ``SEND_TIMEOUT`` seconds (4000 + 408).
SLOW_CLIENT_CLOSE_CODE = 4408


#: Close frames still waiting for their client (kept referenced until they are sent or fail).
_closing: set[asyncio.Future[None]] = set()


def guarded_send(consumer: Any, send: Callable[[dict[str, Any]], Awaitable[None]]) -> Callable[..., Awaitable[None]]:
    """``send`` (the consumer's ASGI send) with the ``SEND_TIMEOUT`` bound on frames.

    Holds the consumer weakly: no reference cycle, so a closed consumer is freed at once."""
    return _GuardedSend(weakref.ref(consumer), send)


class _GuardedSend:
    """What :func:`guarded_send` returns (an object with slots: one is kept per open socket)."""

    __slots__ = ("abandoned", "consumer_ref", "send")

    def __init__(self, consumer_ref: weakref.ref[Any], send: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
        self.consumer_ref = consumer_ref
        self.send = send
        self.abandoned = False

    async def __call__(self, message: Message) -> None:
        if self.abandoned:
            return  # the client is gone: nothing more is queued for it
        send = self.send
        timeout = api_settings.SEND_TIMEOUT
        try:
            if timeout is None or message.get("type") != "websocket.send":
                await send(message)
                return
            sending: Any = send(message)
            if type(sending) is not types.CoroutineType:
                sending = _awaited(sending)
            try:
                waiting = sending.send(None)  # most sends finish at once: no timer for those
            except StopIteration:
                return
            except BaseException:
                sending.close()
                raise
            try:
                await _within(_resumed(sending, waiting), timeout)
            except asyncio.TimeoutError:
                self.abandoned = True
                consumer = self.consumer_ref()
                if consumer is None:
                    return
                logger.warning(
                    "Closing %s with %d: the client read nothing for %s s",
                    consumer.channel_name,
                    SLOW_CLIENT_CLOSE_CODE,
                    timeout,
                )
                await _abandon(consumer, send)
        except (OSError, RuntimeError) as exc:
            if message.get("type") != "websocket.send" or not closed_by_client(exc):
                raise
            # The client closed while this frame was on its way (an event racing the close): the
            # server reports the disconnection next, and there is no one left to send to.
            self.abandoned = True
            consumer = self.consumer_ref()
            logger.debug("Dropping a frame for %s: the client closed", getattr(consumer, "channel_name", None))


def closed_by_client(exc: BaseException) -> bool:
    """Whether a server's error on a ``websocket.send`` means the socket is already closed: uvicorn's
    ``ClientDisconnected``, or its "Unexpected ASGI message 'websocket.send'" once the close is done."""
    if type(exc).__name__ == "ClientDisconnected":
        return True
    return isinstance(exc, RuntimeError) and str(exc).startswith("Unexpected ASGI message 'websocket.send'")


async def _awaited(awaitable: Awaitable[None]) -> None:
    await awaitable


@types.coroutine
def _resumed(coroutine: Any, waiting: Any) -> Generator[Any, Any, Any]:
    """Await the rest of ``coroutine``, whose first step already yielded ``waiting`` (what ``await``
    does, from its second step on)."""
    try:
        while True:
            try:
                sent = yield waiting
            except GeneratorExit:
                coroutine.close()
                raise
            except BaseException as exc:
                waiting = coroutine.throw(exc)
            else:
                waiting = coroutine.send(sent)
    except StopIteration as stop:
        return stop.value


async def _within(send: Awaitable[None], timeout: float) -> None:
    if sys.version_info >= (3, 11):  # no task per frame, unlike wait_for
        async with asyncio.timeout(timeout):
            await send
    else:
        await asyncio.wait_for(send, timeout)


async def _abandon(consumer: Any, send: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
    """Leave the groups and stop the tasks of a consumer whose client stopped reading."""
    current = asyncio.current_task()
    for tasks in list(consumer.detached_tasks.values()):
        for task in tasks:
            if task is not current:
                task.cancel()
    layer = consumer.channel_layer
    for group in list(consumer.groups):
        try:
            await cancellable(layer.group_discard(group, consumer.channel_name), 5)
        except Exception:
            logger.warning("Could not leave group %s for %s", group, consumer.channel_name)
    consumer.groups.clear()
    # The close frame waits behind the unread data; it goes out if the client reads again.
    closing = asyncio.ensure_future(send({"type": "websocket.close", "code": SLOW_CLIENT_CLOSE_CODE}))
    _closing.add(closing)
    closing.add_done_callback(_closing.discard)
