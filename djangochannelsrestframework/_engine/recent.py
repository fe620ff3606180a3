"""Short-lived caches: what one event's deliveries share among the sockets of a process.

An event reaches every socket of a process within moments, so the work shared among them (the
read and serialization of an instance, the JSON of a model event) matters for seconds.  A
:class:`RecentCache` drops each entry ``seconds`` after it was stored, on a timer of the event loop,
so the last entries of a burst do not outlive it: a few such objects left scattered among the
memory the burst used would keep that memory from going back to the system (pymalloc frees an
arena only when nothing in it is left).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

V = TypeVar("V")

#: How long an entry is kept: far longer than a process takes to hand one event to its sockets.
KEEP_SECONDS = 5.0


class RecentCache(Generic[V]):
    """A map holding at most ``size`` entries, each for at most ``seconds`` (oldest dropped first)."""

    __slots__ = ("_entries", "_seconds", "_size", "_timer", "_timer_loop")

    def __init__(self, size: int, seconds: float = KEEP_SECONDS) -> None:
        self._entries: OrderedDict[Hashable, tuple[float, V]] = OrderedDict()
        self._size = size
        self._seconds = seconds
        self._timer: asyncio.TimerHandle | None = None
        self._timer_loop: asyncio.AbstractEventLoop | None = None

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._entries

    def get(self, key: Hashable) -> V | None:
        entry = self._entries.get(key)
        return None if entry is None else entry[1]

    def put(self, key: Hashable, value: V) -> None:
        """Store ``value`` under ``key`` (as the newest entry) for ``seconds`` from now."""
        loop = asyncio.get_running_loop()
        entries = self._entries
        entries.pop(key, None)
        entries[key] = (loop.time() + self._seconds, value)
        while len(entries) > self._size:
            entries.popitem(last=False)
        if self._timer is None or self._timer_loop is not loop:
            if self._timer is not None:  # armed on another (perhaps closed) loop
                self._timer.cancel()
            self._timer = loop.call_later(self._seconds, self._expire, loop)
            self._timer_loop = loop

    def pop(self, key: Hashable) -> V | None:
        entry = self._entries.pop(key, None)
        return None if entry is None else entry[1]

    def clear(self) -> None:
        self._entries.clear()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = self._timer_loop = None

    def _expire(self, loop: asyncio.AbstractEventLoop) -> None:
        """Drop the entries whose time is up; run again when the oldest left is due."""
        entries = self._entries
        now = loop.time()
        while entries:
            deadline = next(iter(entries.values()))[0]
            if deadline > now:
                self._timer = loop.call_later(deadline - now, self._expire, loop)
                return
            entries.popitem(last=False)
        self._timer = self._timer_loop = None
