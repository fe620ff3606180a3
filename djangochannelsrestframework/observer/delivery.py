"""The process-local registry of the delivery path: channel-layer group -> cohort -> subscriptions.

A *cohort* is the set of subscriptions that get the same events for the same change: same consumer
class, same parameters, same permission context.  Membership and payloads are evaluated once per
cohort (through :func:`.sharing.shared_result`); each socket only splices in its request id.
docs/delivery.rst describes the whole path.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import weakref
from collections import deque
from collections.abc import Hashable, Iterator
from typing import Any, Protocol

import channels
from channels.layers import InMemoryChannelLayer

from ..cancellation import cancellable
from ..layer_resilience import idle_read_timeout, rejoin_before_reading
from ..observer_groups import is_observer_group

logger = logging.getLogger("djangochannelsrestframework.observer")


class Subscription(Protocol):
    """What the registry needs of a subscription: the socket it belongs to and its cohort."""

    consumer: Any
    cohort: Hashable


class SubscriptionRegistry:
    """Which subscriptions of this process watch which group, by cohort.

    Subscriptions are held weakly: the consumer owns them, and a socket that goes away without
    unsubscribing leaves nothing behind here.
    """

    def __init__(self) -> None:
        self._groups: dict[str, dict[Hashable, weakref.WeakSet[Any]]] = {}

    def add(self, group: str, subscription: Subscription) -> None:
        cohorts = self._groups.setdefault(group, {})
        cohorts.setdefault(subscription.cohort, weakref.WeakSet()).add(subscription)

    def discard(self, group: str, subscription: Subscription) -> None:
        cohorts = self._groups.get(group)
        if cohorts is None:
            return
        members = cohorts.get(subscription.cohort)
        if members is not None:
            members.discard(subscription)
            if not members:
                del cohorts[subscription.cohort]
        if not cohorts:
            del self._groups[group]

    def cohort(self, group: str, cohort: Hashable) -> list[Any]:
        """The live subscriptions of one cohort in ``group``."""
        return list(self._groups.get(group, {}).get(cohort, ()))

    def cohorts(self, group: str) -> dict[Hashable, list[Any]]:
        """Every cohort watching ``group`` in this process, with its subscriptions."""
        return {key: list(members) for key, members in self._groups.get(group, {}).items() if members}

    def groups(self) -> Iterator[str]:
        return iter(list(self._groups))


#: The registry of this process.
registry = SubscriptionRegistry()


# -- process-local fan-out -----------------------------------------------------------------------


class _LocalGroup:
    """One observer group as this process sees it: its local sockets, and whether the process
    channel is a member of the group in the channel layer."""

    __slots__ = ("consumers", "joined", "lock")

    def __init__(self) -> None:
        self.consumers: dict[Any, None] = {}  # insertion-ordered set: sockets get events in join order
        self.joined = False
        self.lock = asyncio.Lock()


class ProcessFanout:
    """The receiver of one channel layer on one event loop: it joins each observer group once, under
    one process channel, and hands every message of a group to the local sockets subscribed to it.

    The layer then carries one message per group and process instead of one per socket, and channels
    runs no dispatch task per socket: each socket gets the message through
    :func:`deliver_to_consumer`, in order with its own frames.
    """

    def __init__(self, layer: Any) -> None:
        self.layer = layer
        self.channel: str | None = None
        self.groups: dict[str, _LocalGroup] = {}
        self._channel_lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._receiving: asyncio.Task[Any] | None = None  # the task waiting in a read, if any

    # -- membership ------------------------------------------------------------------------------

    async def join(self, group: str, consumer: Any) -> None:
        """Subscribe ``consumer`` to ``group``; returns once the layer delivers the group here."""
        entry = self.groups.get(group)
        if entry is None:
            entry = self.groups[group] = _LocalGroup()
        entry.consumers[consumer] = None
        if not entry.joined:
            await self._sync(group, entry)
        self._ensure_running()

    async def leave(self, group: str, consumer: Any) -> None:
        """Unsubscribe ``consumer``; the process leaves the group with its last local socket."""
        entry = self.groups.get(group)
        if entry is None or consumer not in entry.consumers:
            return
        del entry.consumers[consumer]
        if not entry.consumers:
            await self._sync(group, entry)

    def members(self, group: str) -> list[Any]:
        """The local sockets subscribed to ``group``, in the order they joined."""
        entry = self.groups.get(group)
        return list(entry.consumers) if entry is not None else []

    async def _sync(self, group: str, entry: _LocalGroup) -> None:
        """Make the layer membership of the process channel match whether ``group`` has local sockets."""
        async with entry.lock:
            wanted = bool(entry.consumers)
            if wanted and not entry.joined:
                channel = await self._process_channel()
                await self.layer.group_add(group, channel)
                entry.joined = True
            elif not wanted and entry.joined:
                entry.joined = False
                if self.channel is not None:
                    await self.layer.group_discard(group, self.channel)
            if not entry.consumers and not entry.joined and self.groups.get(group) is entry:
                del self.groups[group]
        if not self.groups:
            self._stop()

    async def _process_channel(self) -> str:
        async with self._channel_lock:
            if self.channel is None:
                channel: str = await self.layer.new_channel()
                _raise_capacity(self.layer, channel)
                self.channel = channel
            return self.channel

    # -- receiving -------------------------------------------------------------------------------

    def _ensure_running(self) -> None:
        if self._task is None and self.channel is not None and self.groups:
            self._task = asyncio.get_running_loop().create_task(self._run())

    def _stop(self) -> None:
        """Stop receiving once no group is left (only while waiting: a delivery ends by itself)."""
        task, receiving = self._task, self._receiving
        if task is None or receiving is None or receiving is not task:
            return
        task.cancel()
        self._task = None

    async def _run(self) -> None:
        assert self.channel is not None
        try:
            me = asyncio.current_task()
            while self.groups:
                self._receiving = me
                try:
                    message = await cancellable(self.layer.receive(self.channel))  # see .cancellation
                except Exception as exc:
                    if idle_read_timeout(exc):
                        continue  # a quiet channel, not a failing layer: read again
                    raise
                finally:
                    if self._receiving is me:  # a stopped reader finishing must not unmark its successor
                        self._receiving = None
                await self.deliver(message)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("The observer receiver of this process failed; retrying in 1 s")
            await asyncio.sleep(1)
            await rejoin_before_reading(self._rejoin, lambda: bool(self.groups), itertools.repeat(1.0))
            self._task = None
            self._ensure_running()
            return
        self._task = None

    async def _rejoin(self) -> None:
        """Join every group again after the layer failed (a restarted Redis lost its memberships);
        joining a group twice is harmless.  Raises when a group cannot be joined yet."""
        for group, entry in list(self.groups.items()):
            if entry.joined and self.channel is not None:
                try:
                    await self.layer.group_add(group, self.channel)
                except Exception:
                    logger.warning("Could not join group %s again yet", group)
                    raise

    async def deliver(self, message: dict[str, Any]) -> None:
        """Hand ``message`` to every local socket of its group, one after the other."""
        group = message.get("group")
        entry = self.groups.get(group) if isinstance(group, str) else None
        if entry is None:
            return
        for consumer in list(entry.consumers):
            # a socket that unsubscribed or disconnected during this delivery is skipped
            if consumer in entry.consumers:
                await deliver_to_consumer(consumer, message)


_CHANNELS_VERSION = tuple(int(part) for part in channels.__version__.split(".")[:2] if part.isdigit())


class _ProcessChannels:
    """An entry of a layer's ``channel_capacity`` list matching this package's process channels."""

    def __init__(self, capacity: int) -> None:
        self.names: set[str] = set()
        self.capacity = capacity

    def match(self, channel: str) -> bool:
        return channel in self.names


def _raise_capacity(layer: Any, channel: str) -> None:
    """Give the process channel room for every socket's events: the layer's per-channel capacity
    (100 by default) was meant for one socket, and this channel carries the events of all of them."""
    capacities = getattr(layer, "channel_capacity", None)
    if isinstance(capacities, dict) and hasattr(layer, "compile_capacities"):
        # channels' InMemoryChannelLayer keeps the configured dict uncompiled (get_capacity expects a list)
        capacities = layer.channel_capacity = layer.compile_capacities(capacities)
    if not isinstance(capacities, list):
        return
    entry = next((pattern for pattern, _ in capacities if isinstance(pattern, _ProcessChannels)), None)
    if entry is None:
        base = int(getattr(layer, "capacity", 100) or 100)
        entry = _ProcessChannels(max(base * 1000, 100_000))
        capacities.insert(0, (entry, entry.capacity))
    entry.names.add(channel)
    if isinstance(layer, InMemoryChannelLayer) and _CHANNELS_VERSION < (4, 2):
        # channels 4.1's in-memory send() checks the layer-wide capacity only, never channel_capacity:
        # there, every channel of that (single-process, development) layer gets the process channel's room.
        layer.capacity = max(int(layer.capacity), entry.capacity)


_fanouts: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, ProcessFanout]] = weakref.WeakKeyDictionary()


#: Per in-memory layer (by id): the layer and the event loop whose process fan-out reads it.
_in_memory_readers: dict[int, tuple[weakref.ref[Any], weakref.ref[asyncio.AbstractEventLoop]]] = {}


def fanout_for(layer: Any) -> ProcessFanout:
    """The receiver of ``layer`` on the running event loop (made on first use)."""
    loop = asyncio.get_running_loop()
    per_loop = _fanouts.setdefault(loop, {})
    fanout = per_loop.get(id(layer))
    if fanout is None or fanout.layer is not layer:
        fanout = per_loop[id(layer)] = ProcessFanout(layer)
        if isinstance(layer, InMemoryChannelLayer):
            _in_memory_readers[id(layer)] = (weakref.ref(layer), weakref.ref(loop))
    return fanout


def reading_loop(layer: Any) -> asyncio.AbstractEventLoop | None:
    """The running event loop that reads the in-memory ``layer``, if any.  Its queues belong to
    that loop: another thread's send must run there, or the loop, asleep in its selector, would not
    notice the message until something else woke it."""
    entry = _in_memory_readers.get(id(layer))
    if entry is None or entry[0]() is not layer:
        return None
    loop = entry[1]()
    return loop if loop is not None and loop.is_running() else None


async def deliver_to_consumer(consumer: Any, message: dict[str, Any]) -> None:
    """Run ``message``'s handler on ``consumer`` now, or, if the socket is handling a frame or an
    earlier event, right after it (in the order the events came): never two handlers of one socket
    at once, as with channels' own per-socket dispatch loop."""
    if consumer._fanout_closed:
        return
    pending = consumer._fanout_pending
    lock = consumer._dispatch_lock
    if pending or lock.locked():
        if pending is None:
            pending = consumer._fanout_pending = deque()
        pending.append(message)
        return
    async with lock:
        await run_local_handler(consumer, message)
        await drain_pending(consumer)


async def drain_pending(consumer: Any) -> None:
    """Handle the events that reached ``consumer`` while it was busy (the caller holds its lock)."""
    pending = consumer._fanout_pending
    while pending and not consumer._fanout_closed:
        await run_local_handler(consumer, pending.popleft())
    consumer._fanout_pending = None


async def run_local_handler(consumer: Any, message: dict[str, Any]) -> None:
    """One event on one socket.  An error ends that socket only, as it did on its own dispatch loop."""
    try:
        await consumer._handle_message(message)
    except Exception:
        logger.exception("Error delivering %r to %s; closing the socket", message.get("type"), type(consumer).__name__)
        try:
            await consumer.close(code=1011)
        except Exception:
            logger.debug("Could not close the socket after a delivery error", exc_info=True)
        await leave_all(consumer)


async def leave_all(consumer: Any) -> None:
    """Leave every observer group of ``consumer`` (on disconnect); later events are not handled."""
    consumer._fanout_closed = True
    consumer._fanout_pending = None
    groups = [name for name in consumer.groups if is_observer_group(name)]
    if not groups or consumer.channel_layer is None:
        return
    fanout = fanout_for(consumer.channel_layer)
    for group in groups:
        consumer.groups.discard(group)
        await fanout.leave(group, consumer)
