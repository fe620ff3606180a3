"""The fan-out of the delivery path: channel-layer group -> this process's subscriptions and sockets.

:class:`SubscriptionRegistry` groups subscriptions by *cohort*: the subscriptions that get the same
events for the same change (same consumer class, same parameters, same permission context), so
membership and payloads are evaluated once per cohort (through ``observer.sharing.shared_result``).
:class:`ProcessFanout` joins each observer group once per process and hands its messages to the
local sockets, each through its :class:`Inbox`, where only the request id differs.
docs/delivery.rst describes the whole path.

What the public modules use: :func:`fanout_for` (join/leave a group), :class:`Inbox` (one per
socket), :data:`registry` and :func:`reading_loop`.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections import deque
from collections.abc import Awaitable, Callable, Hashable, Iterator
from typing import Any, Protocol

import channels
from channels.layers import InMemoryChannelLayer

from ..types import Message
from .cancellation import cancellable
from .handler_lock import HandlerLock
from .layer_resilience import idle_read_timeout, note_layer_failure, watch_layer_failures
from .observer_groups import is_observer_group

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
    """One observer group as this process sees it: its local sockets, whether the process channel
    is a member of the group in the channel layer, and when the group last carried a message."""

    __slots__ = ("consumers", "joined", "last_received", "lock")

    def __init__(self) -> None:
        self.consumers: dict[Any, Inbox | None] = {}  # insertion-ordered: sockets get events in join order
        self.joined = False
        self.lock = asyncio.Lock()
        self.last_received = time.monotonic()  # since the join, until a message arrives


#: channels_redis drops a group member that joined longer ago than this (its default), unless the
#: layer says otherwise in its ``group_expiry`` setting.
DEFAULT_GROUP_EXPIRY = 86400.0
#: The longest wait between two periodic re-joins of every group (and health log lines), in seconds.
LONGEST_REJOIN_INTERVAL = 300.0


def rejoin_interval(layer: Any) -> float:
    """How often the process joins its groups again: a quarter of the layer's ``group_expiry``,
    at most :data:`LONGEST_REJOIN_INTERVAL`."""
    expiry = getattr(layer, "group_expiry", None)
    if isinstance(expiry, bool) or not isinstance(expiry, (int, float)) or expiry <= 0:
        expiry = DEFAULT_GROUP_EXPIRY
    return min(float(expiry) / 4, LONGEST_REJOIN_INTERVAL)


def _recovery_delays() -> Iterator[float]:
    """The waits between two tries to re-join after a layer failure: 0.25 s, doubling up to 2 s."""
    delay = 0.25
    while True:
        yield delay
        delay = min(delay * 2, 2.0)


class ProcessFanout:
    """The receiver of one channel layer on one event loop: it joins each observer group under one
    process channel, and hands every message of a group to the local sockets subscribed to it.

    The layer then carries one message per group and process instead of one per socket, and channels
    runs no dispatch task per socket: each socket gets the message through
    its :class:`Inbox`, in order with its own frames.

    Its memberships heal themselves (docs/delivery.rst, "Staying joined"): every group is joined
    again after any failure of the layer seen in this process, at each new local subscription, and
    every :func:`rejoin_interval` seconds (one timer per process).
    """

    def __init__(self, layer: Any) -> None:
        self.layer = layer
        self.loop = asyncio.get_running_loop()
        self.channel: str | None = None
        self.groups: dict[str, _LocalGroup] = {}
        self._channel_lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._receiving: asyncio.Task[Any] | None = None  # the task waiting in a read, if any
        self._timer: asyncio.Task[None] | None = None  # the periodic re-join
        self._recovery: asyncio.Task[None] | None = None  # re-joining after a failure
        self._down_since: float | None = None  # when the current outage was first seen (monotonic)
        self._failed_again = False  # a failure was reported while the recovery was re-joining
        watch_layer_failures(self)

    # -- membership ------------------------------------------------------------------------------

    async def join(self, group: str, consumer: Any, inbox: Inbox | None = None) -> None:
        """Subscribe ``consumer`` to ``group``; returns once the layer delivers the group here.
        The group's events go to ``inbox`` (without one, the socket only holds a membership).

        The group is joined in the layer again even when the process is already a member: joining
        is idempotent, and it renews a membership the layer may have expired or lost."""
        entry = self.groups.get(group)
        if entry is None:
            entry = self.groups[group] = _LocalGroup()
        entry.consumers[consumer] = inbox
        try:
            if entry.joined and self.channel is not None and not entry.lock.locked():
                await self.layer.group_add(group, self.channel)  # no leave can be under way: we are a member
            else:
                await self._sync(group, entry, renew=True)
        except Exception:
            note_layer_failure(self.layer)
            raise
        self._ensure_running()

    async def leave(self, group: str, consumer: Any) -> None:
        """Unsubscribe ``consumer``; the process leaves the group with its last local socket.

        ``consumer`` gets no more events of ``group`` at once; if the layer fails, this raises and
        the process leaves the group in the layer at its next re-join."""
        entry = self.groups.get(group)
        if entry is None or consumer not in entry.consumers:
            return
        del entry.consumers[consumer]
        if not entry.consumers:
            try:
                await self._sync(group, entry)
            except Exception:
                note_layer_failure(self.layer)
                raise

    def members(self, group: str) -> list[Any]:
        """The local sockets subscribed to ``group``, in the order they joined."""
        entry = self.groups.get(group)
        return list(entry.consumers) if entry is not None else []

    def quiet_seconds(self) -> dict[str, float]:
        """Per group this process serves: the seconds since it last received a message of it (or
        since it joined, if none came yet).  A health signal: a group whose changes are frequent
        but that stays quiet here points at lost memberships (docs/delivery.rst)."""
        now = time.monotonic()
        return {group: now - entry.last_received for group, entry in self.groups.items() if entry.consumers}

    async def _sync(self, group: str, entry: _LocalGroup, renew: bool = False) -> None:
        """Make the layer membership of the process channel match whether ``group`` has local
        sockets (with ``renew``, join a group that has them even if it is marked joined)."""
        async with entry.lock:
            wanted = bool(entry.consumers)
            if wanted and (renew or not entry.joined):
                channel = await self._process_channel()
                await self.layer.group_add(group, channel)
                entry.joined = True
            elif not wanted and entry.joined:
                if self.channel is not None:
                    await self.layer.group_discard(group, self.channel)
                entry.joined = False
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

    # -- keeping the memberships -----------------------------------------------------------------

    async def rejoin(self) -> int:
        """Join every group with local sockets again, and leave those whose last socket left while
        the layer failed; returns how many groups were joined.  Raises if the layer fails."""
        joined = 0
        for group, entry in list(self.groups.items()):
            if entry.consumers and entry.joined and self.channel is not None:
                async with entry.lock:
                    if entry.joined and entry.consumers:
                        await self.layer.group_add(group, self.channel)
                        joined += 1
            elif entry.joined and not entry.consumers:
                await self._sync(group, entry)
        return joined

    def layer_failed(self) -> None:
        """A reader or sender of this process saw the layer fail: re-join every group once it
        answers (a restarted Redis has forgotten the memberships).  Runs on :attr:`loop`."""
        if self._down_since is None:
            self._down_since = time.monotonic()
        if not self.groups:
            self._down_since = None
            return
        if self._recovery is None:
            self._recovery = self.loop.create_task(self._recover())
        else:
            self._failed_again = True

    async def _recover(self) -> None:
        delays = _recovery_delays()
        try:
            while self.groups:
                self._failed_again = False
                try:
                    joined = await cancellable(self.rejoin(), 10)
                except Exception as exc:
                    logger.debug("Could not re-join the observer groups yet: %r", exc)
                    await asyncio.sleep(next(delays))
                    continue
                if self._failed_again:  # a read failed while we re-joined: the layer may have gone again
                    await asyncio.sleep(next(delays))
                    continue
                since = self._down_since if self._down_since is not None else time.monotonic()
                logger.warning(
                    "Channel layer is back after %.1f s: this process re-joined its %d observer groups",
                    time.monotonic() - since,
                    joined,
                )
                break
        finally:
            self._down_since = None
            self._recovery = None

    async def _keep_joined(self) -> None:
        """The periodic re-join (one timer per process and layer), with the health log line."""
        interval = rejoin_interval(self.layer)
        try:
            while self.groups:
                await asyncio.sleep(interval)
                if not self.groups:
                    break
                try:
                    joined = await cancellable(self.rejoin(), max(interval, 10))
                except Exception as exc:
                    logger.warning("Could not re-join the observer groups of this process: %r", exc)
                    note_layer_failure(self.layer)
                    continue
                quiet = self.quiet_seconds()
                if quiet:
                    group, seconds = max(quiet.items(), key=lambda item: item[1])
                    logger.info(
                        "Observer fan-out: re-joined %d groups; the quietest, %s, received nothing for %.0f s",
                        joined,
                        group,
                        seconds,
                    )
        finally:
            if self._timer is asyncio.current_task():
                self._timer = None

    # -- receiving -------------------------------------------------------------------------------

    def _ensure_running(self) -> None:
        if self._task is None and self.channel is not None and self.groups:
            self._task = asyncio.get_running_loop().create_task(self._run())
        if self._timer is None and self.groups:
            self._timer = asyncio.get_running_loop().create_task(self._keep_joined())

    def _stop(self) -> None:
        """Stop receiving once no group is left (only while waiting: a delivery ends by itself)."""
        timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()
        task, receiving = self._task, self._receiving
        if task is None or receiving is None or receiving is not task:
            return
        task.cancel()
        self._task = None

    async def _run(self) -> None:
        assert self.channel is not None
        me = asyncio.current_task()
        delays: Iterator[float] | None = None
        try:
            while self.groups:
                self._receiving = me
                try:
                    message = await cancellable(self.layer.receive(self.channel))  # see .cancellation
                except Exception as exc:
                    if idle_read_timeout(exc):
                        continue  # a quiet channel, not a failing layer: read again
                    note_layer_failure(self.layer)
                    if delays is None:
                        logger.warning("The observer receiver of this process could not read; retrying: %r", exc)
                        delays = _recovery_delays()
                    await asyncio.sleep(next(delays))
                    continue
                finally:
                    if self._receiving is me:  # a stopped reader finishing must not unmark its successor
                        self._receiving = None
                delays = None
                await self.deliver(message)
        finally:
            if self._task is me:
                self._task = None

    async def deliver(self, message: Message) -> None:
        """Hand ``message`` to every local socket of its group, one after the other."""
        group = message.get("group")
        entry = self.groups.get(group) if isinstance(group, str) else None
        if entry is None:
            return
        entry.last_received = time.monotonic()
        for consumer, inbox in list(entry.consumers.items()):
            # a socket that unsubscribed or disconnected during this delivery is skipped
            if inbox is not None and consumer in entry.consumers:
                await inbox.deliver(message)


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


class Inbox:
    """One socket's side of the delivery path: the lock that keeps its handlers one at a time
    (frames, layer messages and fan-out events alike), the events that arrived while it was busy,
    and whether it still takes events.  The consumer owns it and passes it to :meth:`ProcessFanout.join`.

    ``handle`` runs one message on the socket; ``consumer`` is the socket itself (its ``groups``,
    ``channel_layer`` and ``close`` are used when it leaves)."""

    __slots__ = ("closed", "consumer", "handle", "lock", "pending")

    def __init__(self, consumer: Any, handle: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
        self.consumer = consumer
        self.handle = handle
        self.lock = HandlerLock()
        self.pending: deque[dict[str, Any]] | None = None  # made when an event has to wait
        self.closed = False

    def reopen(self) -> None:
        """Take events again: a consumer instance serving one connection after another."""
        self.closed = False
        self.pending = None

    async def deliver(self, message: Message) -> None:
        """Run ``message``'s handler now, or, if the socket is handling a frame or an earlier event,
        right after it (in the order the events came): never two handlers of one socket at once,
        as with channels' own per-socket dispatch loop."""
        if self.closed:
            return
        pending = self.pending
        lock = self.lock
        if pending or lock.locked():
            if pending is None:
                pending = self.pending = deque()
            pending.append(message)
            return
        async with lock:
            await self._run(message)
            await self.drain()

    async def drain(self) -> None:
        """Handle the events that arrived while the socket was busy (the caller holds :attr:`lock`)."""
        pending = self.pending
        while pending and not self.closed:
            await self._run(pending.popleft())
        self.pending = None

    async def _run(self, message: Message) -> None:
        """One event on the socket.  An error ends that socket only, as it did on its own dispatch loop."""
        try:
            await self.handle(message)
        except Exception:
            consumer = self.consumer
            logger.exception(
                "Error delivering %r to %s; closing the socket", message.get("type"), type(consumer).__name__
            )
            try:
                await consumer.close(code=1011)
            except Exception:
                logger.debug("Could not close the socket after a delivery error", exc_info=True)
            await self.leave_all()

    async def leave_all(self) -> None:
        """Leave every observer group of the socket (on disconnect); later events are not handled."""
        self.closed = True
        self.pending = None
        consumer = self.consumer
        groups = [name for name in consumer.groups if is_observer_group(name)]
        if not groups or consumer.channel_layer is None:
            return
        fanout = fanout_for(consumer.channel_layer)
        for group in groups:
            consumer.groups.discard(group)
            try:
                await fanout.leave(group, consumer)
            except Exception as exc:  # the process leaves the group in the layer at its next re-join
                logger.warning("Could not leave group %s in the channel layer: %r", group, exc)
