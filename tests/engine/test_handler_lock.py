"""The per-socket handler lock: one holder, waiters served in arrival order, cancellation safe."""

from __future__ import annotations

import asyncio

from djangochannelsrestframework._engine.handler_lock import HandlerLock


async def test_waiters_run_one_at_a_time_in_arrival_order() -> None:
    lock = HandlerLock()
    order: list[str] = []

    async def handler(name: str) -> None:
        async with lock:
            order.append(f"{name} in")
            await asyncio.sleep(0)
            order.append(f"{name} out")

    await asyncio.gather(handler("a"), handler("b"), handler("c"))
    assert order == ["a in", "a out", "b in", "b out", "c in", "c out"]
    assert not lock.locked()


async def test_a_cancelled_waiter_does_not_keep_the_lock() -> None:
    lock = HandlerLock()
    await lock.__aenter__()
    waiting = asyncio.ensure_future(lock.__aenter__())
    await asyncio.sleep(0)
    waiting.cancel()
    await asyncio.sleep(0)
    await lock.__aexit__(None, None, None)
    assert waiting.cancelled()
    assert not lock.locked()


async def test_a_waiter_cancelled_after_its_turn_came_passes_the_lock_on() -> None:
    lock = HandlerLock()
    await lock.__aenter__()
    first = asyncio.ensure_future(lock.__aenter__())
    second = asyncio.ensure_future(lock.__aenter__())
    await asyncio.sleep(0)
    await lock.__aexit__(None, None, None)  # hands the lock to `first` ...
    first.cancel()  # ... which is cancelled before it runs
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert first.cancelled()
    assert second.done() and lock.locked()
    await lock.__aexit__(None, None, None)
    assert not lock.locked()
