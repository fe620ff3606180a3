"""A channel-layer read that misses its cancellation still ends its caller (see
``djangochannelsrestframework._engine.cancellation``; the end-to-end case, a server that must exit on
SIGTERM, is in tests/observer/test_observer_lists_services.py)."""

from __future__ import annotations

import asyncio

import pytest

from djangochannelsrestframework._engine.cancellation import cancellable


async def read_missing_one_cancellation(log: list[str]) -> str:
    """What a channels_redis read does on Python 3.11 when the cancellation lands as redis-py's
    ``wait_for`` finishes writing the pop: it goes on to the next blocking wait."""
    try:
        await asyncio.sleep(3600)
    except asyncio.CancelledError:
        log.append("missed")
    try:
        await asyncio.sleep(3600)
    except asyncio.CancelledError:
        log.append("cancelled")
        raise
    return "message"


async def test_cancelling_the_caller_ends_a_read_that_missed_the_first_cancellation():
    log: list[str] = []
    reader = asyncio.ensure_future(cancellable(read_missing_one_cancellation(log)))
    await asyncio.sleep(0.01)
    reader.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(reader, 2)
    assert log == ["missed", "cancelled"]


async def test_a_read_that_is_not_cancelled_returns_its_message_or_raises_its_error():
    async def message() -> str:
        await asyncio.sleep(0)
        return "message"

    async def failure() -> str:
        raise ConnectionError("Redis is down")

    assert await cancellable(message()) == "message"
    with pytest.raises(ConnectionError, match="Redis is down"):
        await cancellable(failure())


async def test_an_operation_past_its_timeout_is_stopped_even_if_it_misses_the_first_cancellation():
    log: list[str] = []
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(cancellable(read_missing_one_cancellation(log), timeout=0.05), 2)
    assert log == ["missed", "cancelled"]


async def test_cancelling_the_caller_ends_a_timed_operation_that_missed_the_first_cancellation():
    log: list[str] = []
    joiner = asyncio.ensure_future(cancellable(read_missing_one_cancellation(log), timeout=60))
    await asyncio.sleep(0.01)
    joiner.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(joiner, 2)
    assert log == ["missed", "cancelled"]
