"""``BaseObserver``: the part shared by signal observers and model observers.

An observer replaces a consumer method.  Changes are published to channel-layer groups
named after the observer; a consumer joins groups with ``subscribe`` and the method is
called for every message that reaches one of them.
"""

from __future__ import annotations

import asyncio
import atexit
import hashlib as hashlib
import logging
import os
import threading
import weakref
from collections import defaultdict as defaultdict
from collections import deque
from collections.abc import Callable, Iterable
from collections.abc import Set as AbstractSet
from copy import deepcopy as deepcopy
from typing import Any
from typing import Dict as Dict  # noqa: UP035
from typing import Generator as Generator  # noqa: UP035
from typing import Optional as Optional

from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer

from .._engine.fanout import reading_loop
from .._engine.layer_resilience import broken_connection, note_layer_failure
from .._engine.logs import log_delivery, log_publish, log_subscription
from .._engine.observer_groups import clean_group_name
from .._engine.recent import RecentCache
from ..codec import SharedText
from ..consumers import AsyncAPIConsumer as AsyncAPIConsumer
from ..types import Message, RequestId
from .utils import HookSelf, ObjPartial, ObservedBody, request_id_key, request_id_of

logger = logging.getLogger("djangochannelsrestframework.observer")

#: Event bodies an observer remembers the encoding cell of (see ``BaseObserver._shared_text``).
_RECENT_BODIES = 32

#: Strong references to fire-and-forget send tasks (the loop keeps only weak ones).
_background_sends: set[asyncio.Task[Any]] = set()


async def _send_all(layer: Any, messages: list[dict[str, Any]]) -> None:
    for message in messages:
        try:
            try:
                await layer.group_send(message["group"], message)
            except Exception as exc:
                note_layer_failure(layer)
                if not broken_connection(exc):
                    raise
                # A pooled connection that a restarted Redis closed fails its first command: that
                # command (channels_redis's clean-up of expired members) sent nothing yet.
                await layer.group_send(message["group"], message)
        except Exception:
            logger.exception("Could not send an observer message to group %s", message.get("group"))


class _BackgroundSender:
    """One daemon thread with a long-lived event loop that sends, in order, the messages of plain
    sync code (management commands, workers): saves do not wait for the channel layer, and the
    layer keeps its connections instead of opening them on a fresh loop per save.  The loop is
    woken once per burst, not once per save.  Pending messages are flushed at interpreter exit."""

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self._lock = threading.Lock()
        self._loop = loop  # None: a thread and loop of its own, started on first use
        self._pid = os.getpid() if loop is not None else 0
        self._queue: deque[tuple[Any, list[dict[str, Any]]]] = deque()
        self._scheduled = False
        self._idle = threading.Event()
        self._idle.set()

    def submit(self, layer: Any, messages: list[dict[str, Any]]) -> None:
        with self._lock:
            if self._loop is None or self._pid != os.getpid():
                self._start()
            self._queue.append((layer, messages))
            self._idle.clear()
            wake = not self._scheduled
            self._scheduled = True
            loop = self._loop
        if wake and loop is not None:
            loop.call_soon_threadsafe(self._spawn_drain)

    def _start(self) -> None:
        ready = threading.Event()
        loop = asyncio.new_event_loop()

        def run() -> None:
            asyncio.set_event_loop(loop)
            loop.call_soon(ready.set)
            loop.run_forever()

        self._loop = loop
        self._pid = os.getpid()
        self._queue.clear()
        self._scheduled = False
        threading.Thread(target=run, name="dcrf-observer-sender", daemon=True).start()
        ready.wait()

    def _spawn_drain(self) -> None:
        task = asyncio.ensure_future(self._drain())
        _background_sends.add(task)
        task.add_done_callback(_background_sends.discard)

    async def _drain(self) -> None:
        while True:
            with self._lock:
                if not self._queue:
                    self._scheduled = False
                    self._idle.set()
                    return
                layer, messages = self._queue.popleft()
            await _send_all(layer, messages)

    def drain(self, timeout: float = 5.0) -> bool:
        """Wait until every submitted message was handed to the channel layer."""
        if self._pid != os.getpid():
            return True
        return self._idle.wait(timeout)


_sender = _BackgroundSender()
atexit.register(_sender.drain)

#: Senders onto the loop that reads an in-memory layer (see :func:`.delivery.reading_loop`).
_loop_senders: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _BackgroundSender] = weakref.WeakKeyDictionary()
_loop_senders_lock = threading.Lock()


def _sender_for(layer: Any) -> _BackgroundSender:
    """The sender for plain sync code's messages to ``layer``: the background thread's, or, for an
    in-memory layer read by a running loop of this process, one that sends on that loop."""
    loop = reading_loop(layer) if isinstance(layer, InMemoryChannelLayer) else None
    if loop is None:
        return _sender
    with _loop_senders_lock:
        sender = _loop_senders.get(loop)
        if sender is None:
            sender = _loop_senders[loop] = _BackgroundSender(loop)
        return sender


def _in_sync_to_async_thread() -> bool:
    """Whether this thread runs for ``sync_to_async``, whose caller's event loop can do the send."""
    loop = getattr(SyncToAsync.threadlocal, "main_event_loop", None)
    return (
        loop is not None
        and loop.is_running()
        and getattr(SyncToAsync.threadlocal, "main_event_loop_pid", None) == os.getpid()
    )


def nothing_listened() -> bool:
    """Whether no group at all has a member: with channels' in-process ``InMemoryChannelLayer``
    a change then has nobody to reach, whatever its groups.  ``False`` for other layers."""
    layer = get_channel_layer()
    return isinstance(layer, InMemoryChannelLayer) and not layer.groups


def listened_groups(groups: AbstractSet[str]) -> AbstractSet[str]:
    """``groups`` without those known to have no member: with channels' in-process
    ``InMemoryChannelLayer`` a send to an empty group reaches nobody, so it need not be built.
    Other layers keep their membership elsewhere; every group counts as listened to."""
    if not groups:
        return groups
    layer = get_channel_layer()
    if not isinstance(layer, InMemoryChannelLayer):
        return groups
    members = layer.groups
    return {group for group in groups if members.get(group)}


def send_to_groups(messages: list[dict[str, Any]]) -> None:
    """Send channel-layer messages (each names its ``group``) from sync code without ever raising.

    On an event-loop thread the send is scheduled as a task, so the caller never blocks the
    loop; in a ``sync_to_async`` worker it runs on the caller's loop through ``async_to_sync``;
    in plain sync code it is handed to a background sender thread, or, for an in-memory layer
    that a loop of this process reads, sent on that loop (its queues belong to it).  Without a
    channel layer it logs.
    """
    if not messages:
        return
    layer = get_channel_layer()
    if layer is None:
        logger.warning("No channel layer is configured; %d observer message(s) dropped", len(messages))
        return
    log_publish(messages)
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    try:
        if loop is not None:
            task = loop.create_task(_send_all(layer, messages))
            _background_sends.add(task)
            task.add_done_callback(_background_sends.discard)
        elif _in_sync_to_async_thread():
            async_to_sync(_send_all)(layer, messages)
        else:
            _sender_for(layer).submit(layer, messages)
    except Exception:
        logger.exception("Could not send %d observer message(s)", len(messages))


class BaseObserver:
    """Base class of :class:`~.observer.Observer` and :class:`~.model_observer.ModelObserver`.

    Decorate hook functions with :meth:`serializer`, :meth:`groups_for_signal`,
    :meth:`groups_for_consumer` or :meth:`groups`; each returns the observer, so the hook can
    reuse the handler's name.
    """

    def __init__(
        self, func: Callable[..., Any], partition: str = "*", *, name: str | None = None, module: str | None = None
    ) -> None:
        self.func = func
        #: The consumer attribute the observer is (``func``'s name unless ``name`` says otherwise):
        #: the channel-layer message ``type`` is made from it, so channels dispatches it back there.
        self.handler_name = name or func.__name__
        self._serializer: Callable[..., Any] | None = None
        self._group_names_for_signal: Callable[..., Iterable[str]] | None = None
        self._group_names_for_consumer: Callable[..., Iterable[str]] | None = None
        # Group names derive from this id, so every process (and release) must compute it alike.
        module = module or func.__module__
        self._stable_observer_id = f"{partition}-{type(self).__name__}-{module}.{self.handler_name}"

    @property
    def message_type(self) -> str:
        """The channel-layer ``type``; channels dispatches it back to the decorated method."""
        return self.handler_name.replace("_", ".")

    def __get__(self, parent: Any, objtype: Any = None) -> Any:
        if parent is None:
            return self
        return ObjPartial(self, consumer=parent)

    async def __call__(self, message: Message, consumer: Any = None, **kwargs: Any) -> None:
        """Deliver one channel-layer message to the decorated method of ``consumer``."""
        message = dict(message)
        body = message.pop("body", {})
        if isinstance(body, dict) and not isinstance(body, ObservedBody):
            shared = self._shared_text(body)
            body = ObservedBody.copy_of(shared) if shared.worth_sharing else ObservedBody(body)
        message_type = message.pop("type", self.message_type)
        group = message.get("group")
        ids = consumer._observer_group_to_request_id.get(self._stable_observer_id, {}).get(group, ())
        log_delivery(consumer, self, message.get("action"), ids)
        return await self.func(  # type: ignore[no-any-return]
            consumer,
            body,
            observer=self,
            message_type=message_type,
            subscribing_request_ids=[request_id_of(key) for key in ids if key is not None],
            **message,
            **kwargs,
        )

    def _shared_text(self, body: dict[str, Any]) -> SharedText:
        """The encoding cell of an event body: every socket of the process gets the same body object
        for one event, so its copies share one JSON text (a few recent events are remembered, since
        busy sockets take events late)."""
        recent: RecentCache[SharedText] | None = self.__dict__.get("_recent_bodies")
        if recent is None:
            recent = self.__dict__["_recent_bodies"] = RecentCache(_RECENT_BODIES)
        shared = recent.get(id(body))
        if shared is None or shared.source is not body:
            shared = SharedText(body)
            recent.put(id(body), shared)
        return shared

    # -- hooks -----------------------------------------------------------------------------------

    def serializer(self, func: Callable[..., Any]) -> BaseObserver:
        """Set the function that turns a change into the message body."""
        self._serializer = func
        return self

    def groups_for_signal(self, func: Callable[..., Iterable[str]]) -> BaseObserver:
        """Set the function naming the groups a change is published to (must not query the database)."""
        self._group_names_for_signal = func
        return self

    def groups_for_consumer(self, func: Callable[..., Iterable[str]]) -> BaseObserver:
        """Set the function naming the groups ``subscribe``/``unsubscribe`` join or leave."""
        self._group_names_for_consumer = func
        return self

    def groups(self, func: Callable[..., Iterable[str]]) -> BaseObserver:
        """Use one function for both :meth:`groups_for_signal` and :meth:`groups_for_consumer`."""
        self._group_names_for_signal = func
        self._group_names_for_consumer = func
        return self

    # -- group names -----------------------------------------------------------------------------

    def group_names(self, *args: Any, **kwargs: Any) -> Iterable[str]:
        """The default (unhashed) group names when no groups hook is set."""
        raise NotImplementedError

    def group_names_for_consumer(self, consumer: Any, *args: Any, **kwargs: Any) -> list[str]:
        """Hashed group names a subscription joins."""
        if self._group_names_for_consumer is not None:
            hook_self = HookSelf(self, consumer)
            names = self._group_names_for_consumer(hook_self, *args, consumer=consumer, **kwargs)
            return list(dict.fromkeys(clean_group_name(f"{self._stable_observer_id}-{g}") for g in names))
        return [clean_group_name(g) for g in self.group_names(*args, **kwargs)]

    def group_names_for_signal(self, *args: Any, **kwargs: Any) -> list[str]:
        """Hashed group names a change is published to."""
        if self._group_names_for_signal is not None:
            names = self._group_names_for_signal(self, *args, **kwargs)
            return list(dict.fromkeys(clean_group_name(f"{self._stable_observer_id}-{g}") for g in names))
        return [clean_group_name(g) for g in self.group_names(*args, **kwargs)]

    # -- subscriptions ---------------------------------------------------------------------------

    async def subscribe(self, consumer: Any, *args: Any, request_id: RequestId = None, **kwargs: Any) -> list[str]:
        """Join the groups named by the consumer hook; events carry ``request_id`` (if given)."""
        groups = self.group_names_for_consumer(consumer, *args, **kwargs)
        mapping = consumer._observer_group_to_request_id[self._stable_observer_id]
        for group in groups:
            # None marks a subscription without request id, so unsubscribe() can find it.
            mapping[group].add(request_id_key(request_id))
            await consumer.add_group(group)
        log_subscription(consumer, self, "subscribe", len(groups), request_id)
        return groups

    async def unsubscribe(self, consumer: Any, *args: Any, request_id: RequestId = None, **kwargs: Any) -> list[str]:
        """Leave the groups named by the consumer hook (only ``request_id``'s share when given)."""
        groups = self.group_names_for_consumer(consumer, *args, **kwargs)
        mapping = consumer._observer_group_to_request_id[self._stable_observer_id]
        for group in groups:
            ids = mapping.get(group)
            if ids is not None and request_id is not None:
                ids.discard(request_id_key(request_id))
                if ids:
                    continue
            mapping.pop(group, None)
            await consumer.remove_group(group)
        log_subscription(consumer, self, "unsubscribe", len(groups), request_id)
        return groups

    async def unsubscribe_groups(self, consumer: Any, groups: Iterable[str]) -> None:
        """Leave hashed groups directly (used when the object that named them is gone)."""
        mapping = consumer._observer_group_to_request_id[self._stable_observer_id]
        groups = list(groups)
        failed: Exception | None = None
        for group in groups:
            mapping.pop(group, None)
            try:
                await consumer.remove_group(group)
            except Exception as exc:  # the layer failed (503): the other groups are still left locally
                failed = failed or exc
        log_subscription(consumer, self, "unsubscribe", len(groups))
        if failed is not None:
            raise failed


# What this module offers; DCRF 1.3's names are kept too, so `from ... import *` gives what it gave.
__all__ = [
    "Any",
    "AsyncAPIConsumer",
    "BaseObserver",
    "Callable",
    "Dict",
    "Generator",
    "Iterable",
    "ObjPartial",
    "Optional",
    "deepcopy",
    "defaultdict",
    "hashlib",
    "listened_groups",
    "nothing_listened",
    "send_to_groups",
]
