"""The lock that keeps one handler at a time on a socket.

A server holds one per open connection, so it is a fraction of ``asyncio.Lock``'s size (slots, no
waiter queue until a handler has to wait).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque


class HandlerLock:
    """A first-come first-served lock for one socket's handlers; waiters are queued only when one
    actually has to wait.  Supports ``async with`` and ``locked()``, as ``asyncio.Lock``."""

    __slots__ = ("_locked", "_waiters")

    def __init__(self) -> None:
        self._locked = False
        self._waiters: deque[asyncio.Future[None]] | None = None

    def locked(self) -> bool:
        return self._locked

    async def __aenter__(self) -> None:
        if not self._locked and not self._waiters:
            self._locked = True
            return
        waiters = self._waiters
        if waiters is None:
            waiters = self._waiters = deque()
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        waiters.append(turn)
        try:
            await turn  # the releasing holder hands the lock over: it stays locked
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self._release()  # handed over, then cancelled before running: pass it on
            else:
                with contextlib.suppress(ValueError):  # already dropped by a release
                    waiters.remove(turn)
            raise

    async def __aexit__(self, *exc_info: object) -> None:
        self._release()

    def _release(self) -> None:
        waiters = self._waiters
        while waiters:
            turn = waiters.popleft()
            if not turn.done():
                turn.set_result(None)
                return
        self._waiters = None
        self._locked = False
