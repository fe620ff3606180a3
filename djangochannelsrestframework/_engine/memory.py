"""Giving memory back to the system after many connections close (``TRIM_MEMORY_AFTER_CLOSE``).

A closed connection's objects are freed at once, but glibc's allocator keeps the freed pages of its
heap for later use: after a thousand sockets close, a server process stays near the size it had at
its peak.  With the setting on, the process empties CPython's type attribute cache, runs a full
garbage collection and glibc's ``malloc_trim(0)`` when its count of open connections has fallen to
half of its peak since the last trim (or to zero), after at least :data:`MIN_CLOSED` closings, at
most once per :data:`MIN_INTERVAL` seconds, once the closings pause for :data:`DELAY` seconds (never
inside a handler).  They run on the event loop, which pauses for them (a full collection, then the trim: about
7 ms after 130 MB were freed on a test machine).  Elsewhere than on glibc (musl, macOS, Windows) it
only collects.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import gc
import logging
import platform
import sys
import time
from collections.abc import Callable

from ..settings import api_settings

logger = logging.getLogger("djangochannelsrestframework")

#: Closings since the peak that a trim needs at least: a few sockets coming and going trigger none.
MIN_CLOSED = 16
#: Seconds between two trims, at least.
MIN_INTERVAL = 10.0
#: Seconds without a closing before a due trim runs (the rest of a burst closes and is freed first).
DELAY = 1.0


def _clear_type_cache() -> None:
    """Empty CPython's type attribute cache, which holds the name of every recent attribute lookup:
    names built at run time (Django's ``"as_" + vendor``, channels' handler names, ...) during a
    burst stay alive in it, scattered among the memory the burst used, and each one keeps the
    whole 1 MiB pymalloc arena it sits in from being freed.  The cache refills as lookups happen."""
    clear = getattr(sys, "_clear_internal_caches", None) or getattr(sys, "_clear_type_cache", None)
    if clear is not None:
        clear()


def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or ``None`` elsewhere."""
    if platform.libc_ver()[0] != "glibc":
        return None
    try:
        function = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_size_t]
    function.restype = ctypes.c_int
    return function


class ConnectionMemory:
    """The open connections of this process, and when their closing last gave memory back."""

    def __init__(self) -> None:
        self.open = 0
        self.peak = 0
        self.trims = 0
        self._last_trim = -MIN_INTERVAL
        self._last_close = 0.0
        self._deadline = 0.0
        self._scheduled = False
        self._malloc_trim: Callable[[int], int] | None = None
        self._looked_up = False

    def opened(self) -> None:
        self.open += 1
        self.peak = max(self.peak, self.open)

    def closed(self) -> None:
        self.open -= 1
        self._last_close = time.monotonic()
        if self._scheduled or not api_settings.TRIM_MEMORY_AFTER_CLOSE:
            return
        if self.peak - self.open < MIN_CLOSED or self.open > self.peak // 2:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._scheduled = True
        self._deadline = self._last_close + MIN_INTERVAL
        loop.call_later(max(DELAY, self._last_trim + MIN_INTERVAL - self._last_close), self._when_quiet)

    def _when_quiet(self) -> None:
        """Trim once no connection closed for :data:`DELAY` seconds (the rest of a burst of closings
        is freed first), or :data:`MIN_INTERVAL` seconds after the trim was due, whichever is first."""
        now = time.monotonic()
        wait = min(self._last_close + DELAY, self._deadline) - now
        if wait > 0:
            asyncio.get_running_loop().call_later(wait, self._when_quiet)
            return
        self.trim()

    def trim(self) -> None:
        """Drop the type cache's names, collect, then hand the free pages of the C heap back to the
        system (on glibc)."""
        self._scheduled = False
        started = time.monotonic()
        _clear_type_cache()
        gc.collect()
        if not self._looked_up:
            self._malloc_trim, self._looked_up = _malloc_trim(), True
        if self._malloc_trim is not None:
            self._malloc_trim(0)
        self._last_trim = time.monotonic()
        self.peak = self.open
        self.trims += 1
        logger.debug("Trimmed memory after closed connections in %.1f ms", 1000 * (self._last_trim - started))


#: The open connections of this process.
connections = ConnectionMemory()
