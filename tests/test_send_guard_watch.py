"""The ``SEND_TIMEOUT`` watch of one socket: each send still times out at its own deadline although
one timer serves all of them, sends in time are untouched, and other cancellations stay cancellations.

The sends here are stand-ins for a server's ASGI send that waits while its client does not read."""

from __future__ import annotations

import asyncio
import sys

import pytest

from djangochannelsrestframework.send_guard import _SendWatch

pytestmark = pytest.mark.skipif(sys.version_info < (3, 11), reason="the watch needs Python 3.11")


async def blocked_until(released: asyncio.Event) -> None:
    """A send whose client reads again when ``released`` is set."""
    await released.wait()


async def test_each_blocked_send_times_out_at_its_own_deadline() -> None:
    watch = _SendWatch()
    loop = asyncio.get_running_loop()
    started = loop.time()
    never = asyncio.Event()

    async def timed(delay: float, timeout: float) -> float:
        await asyncio.sleep(delay)
        with pytest.raises(TimeoutError):
            await watch.run(blocked_until(never), timeout)
        return loop.time() - started

    first, second = await asyncio.wait_for(asyncio.gather(timed(0, 0.1), timed(0.05, 0.3)), 2)
    assert 0.1 <= first < 0.3
    assert 0.35 <= second < 0.6
    assert watch.in_flight == {} and watch.expired == set()


async def test_a_send_that_finishes_in_time_is_not_cancelled_by_an_earlier_deadline() -> None:
    watch = _SendWatch()
    never, soon = asyncio.Event(), asyncio.Event()

    async def slow() -> str:
        try:
            await watch.run(blocked_until(never), 0.1)
        except TimeoutError:
            # the timeout's cancellation is spent: the task can await again
            assert asyncio.current_task().cancelling() == 0  # type: ignore[union-attr]
            await asyncio.sleep(0)
            return "timed out"
        return "sent"

    async def in_time() -> str:
        await watch.run(blocked_until(soon), 1.0)
        return "sent"

    asyncio.get_running_loop().call_later(0.2, soon.set)
    assert await asyncio.wait_for(asyncio.gather(slow(), in_time()), 2) == ["timed out", "sent"]


async def test_sends_that_do_not_wait_leave_no_timer_behind() -> None:
    watch = _SendWatch()
    released = asyncio.Event()
    released.set()
    for _ in range(3):
        await watch.run(blocked_until(released), 0.05)
    assert watch.timer is not None  # one timer for the whole burst
    await asyncio.sleep(0.1)
    assert watch.timer is None and watch.in_flight == {}


async def test_cancelling_the_sender_is_a_cancellation_not_a_timeout() -> None:
    watch = _SendWatch()
    task = asyncio.ensure_future(watch.run(blocked_until(asyncio.Event()), 5.0))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert watch.in_flight == {}
