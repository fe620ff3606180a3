"""Payload sharing: one read, serialization and encoding of an event for every socket of a process
that would get the same data, instead of one per socket.

:func:`shared_result` is the one place this happens: instance subscriptions share per (event,
consumer class, action), list subscriptions per (event, cohort).  See docs/delivery.rst.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Iterator
from contextvars import ContextVar
from typing import Any, Protocol, TypeVar

from .. import codec
from .._engine.overrides import Hooks, overrides
from .._engine.recent import RecentCache
from ..generics import GenericAsyncAPIConsumer
from ..permissions import needs_object_check
from ..types import GenericHost

#: The id of the event an instance-subscription handler is delivering (``None`` outside one).
current_event: ContextVar[str | None] = ContextVar("dcrf_observed_event", default=None)


class InstanceOutcome:
    """What an event means for a socket's subscribers: data (with its JSON), not found, or nothing."""

    DATA, MISSING, DENIED = "data", "missing", "denied"
    __slots__ = ("context_used", "data", "kind", "text")

    def __init__(self, kind: str, data: Any = None, text: str | None = None, context_used: bool = False) -> None:
        self.kind = kind
        self.data = data
        self.text = text
        self.context_used = context_used


#: Recent events' shared results, per key (see :func:`shared_result`); a handful is plenty,
#: since every socket of a process handles an event within moments of the others.
_SHARED_OUTCOMES_KEPT = 256
_shared_outcomes: RecentCache[tuple[asyncio.AbstractEventLoop, asyncio.Future[Any]]] = RecentCache(
    _SHARED_OUTCOMES_KEPT
)

T = TypeVar("T")


async def shared_result(
    key: Hashable,
    compute: Callable[[], Awaitable[T]],
    fallback: Callable[[], Awaitable[T]] | None = None,
    usable: Callable[[T], bool] | None = None,
) -> T:
    """The result of ``compute()`` for ``key``, computed once per process and event loop: the first
    caller computes it, callers arriving while it runs or soon after get the same object.

    ``usable(result)`` false (or ``compute`` raising) means the result was specific to its caller:
    the others then run ``fallback()`` (``compute()`` without one) themselves.
    """
    loop = asyncio.get_running_loop()
    entry = _shared_outcomes.get(key)
    if entry is not None and entry[0] is loop:
        shared: T | None = await asyncio.shield(entry[1])
        if shared is not None:
            return shared
        return await (fallback or compute)()
    future: asyncio.Future[T | None] = loop.create_future()
    _shared_outcomes.put(key, (loop, future))
    result: T | None = None
    try:
        result = await compute()
        return result
    finally:
        if result is None or (usable is not None and not usable(result)):
            _shared_outcomes.pop(key)
            result = None
        if not future.done():
            future.set_result(result)


#: The defaults that make a subscriber's data independent of who it is (the instance mixin, whose
#: module imports this one, checks its own reader, ``_observed_instance_data``, the same way).
DEFAULT_DATA_PATH = Hooks(
    GenericAsyncAPIConsumer,
    "get_queryset",
    "filter_queryset",
    "get_object",
    "get_serializer",
    "get_serializer_class",
    "get_permissions",
    "check_object_permissions",
    "acheck_object_permissions",
)


class SharingHost(GenericHost, Protocol):
    """What :func:`shares_instance_data` reads on a consumer."""

    filter_backends: Any

    def _default_permissions(self) -> list[Any]: ...


def shares_instance_data(consumer: SharingHost) -> bool:
    """Whether every socket of this consumer's class gets the same data for an event: the class keeps
    the default queryset, serializer and object-permission path (:data:`DEFAULT_DATA_PATH`), with no
    filter backends and no permission with an object check.  The serializer's context is checked per
    event (:class:`LazyContext`)."""
    if overrides(type(consumer), DEFAULT_DATA_PATH) or consumer.filter_backends:
        return False
    return not any(needs_object_check(permission) for permission in consumer._default_permissions())


def encode_payload(data: Any) -> str | None:
    """The JSON text of ``data`` once for every socket; ``None`` leaves encoding (and its errors) to ``reply``."""
    try:
        return codec.dumps(data)
    except (TypeError, ValueError):
        return None


class LazyContext(dict[str, Any]):
    """A serializer context built on first read; ``used`` tells whether the serializer read it."""

    def __init__(self, build: Callable[[], dict[str, Any]]) -> None:
        super().__init__()
        self._build: Callable[[], dict[str, Any]] | None = build
        self.used = False

    def _load(self) -> None:
        self.used = True
        if self._build is not None:
            build, self._build = self._build, None
            super().update(build())

    def release(self) -> None:
        """Forget how to build the context (it names the consumer that built it): the data this
        serializer made is shared beyond that consumer, in :func:`shared_result`'s recent results."""
        self._build = None

    def __getitem__(self, key: Any) -> Any:
        self._load()
        return super().__getitem__(key)

    def get(self, key: Any, default: Any = None) -> Any:
        self._load()
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        self._load()
        return super().__contains__(key)

    def __iter__(self) -> Iterator[Any]:
        self._load()
        return super().__iter__()

    def __len__(self) -> int:
        self._load()
        return super().__len__()

    def keys(self) -> Any:
        self._load()
        return super().keys()

    def values(self) -> Any:
        self._load()
        return super().values()

    def items(self) -> Any:
        self._load()
        return super().items()

    def copy(self) -> dict[str, Any]:
        self._load()
        return dict(super().items())

    def __repr__(self) -> str:
        self._load()
        return super().__repr__()


__all__ = [
    "DEFAULT_DATA_PATH",
    "InstanceOutcome",
    "LazyContext",
    "SharingHost",
    "current_event",
    "encode_payload",
    "shared_result",
    "shares_instance_data",
]
