"""RecentCache: what one event's deliveries share is dropped seconds later, not kept until the next
event pushes it out (the last entries of a burst would otherwise pin the memory the burst used)."""

from __future__ import annotations

import asyncio
import gc
import weakref

import pytest

from djangochannelsrestframework._engine.recent import KEEP_SECONDS, RecentCache
from djangochannelsrestframework.observer import sharing


class Payload:
    """A value a weak reference can watch."""


async def test_an_entry_is_dropped_when_its_time_is_up() -> None:
    cache: RecentCache[Payload] = RecentCache(size=8, seconds=0.05)
    value = Payload()
    watcher = weakref.ref(value)
    cache.put("event-1", value)
    del value
    assert cache.get("event-1") is watcher()
    await asyncio.sleep(0.1)
    assert len(cache) == 0
    assert cache.get("event-1") is None
    gc.collect()
    assert watcher() is None


async def test_entries_expire_oldest_first_each_after_its_own_time() -> None:
    cache: RecentCache[str] = RecentCache(size=8, seconds=0.1)
    cache.put("a", "first")
    await asyncio.sleep(0.06)
    cache.put("b", "second")
    await asyncio.sleep(0.06)
    assert ("a" in cache, "b" in cache) == (False, True)
    await asyncio.sleep(0.06)
    assert len(cache) == 0


async def test_the_oldest_entry_makes_room_when_full_and_storing_again_renews() -> None:
    cache: RecentCache[int] = RecentCache(size=2, seconds=10)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.put("a", 3)  # now the newest
    cache.put("c", 4)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (3, None, 4)
    assert cache.pop("a") == 3
    assert cache.pop("a") is None
    cache.clear()
    assert len(cache) == 0


def test_a_cache_used_from_a_second_event_loop_expires_there() -> None:
    cache: RecentCache[int] = RecentCache(size=4, seconds=0.05)

    async def fill_and_wait(key: str, wait: float) -> int:
        cache.put(key, 1)
        await asyncio.sleep(wait)
        return len(cache)

    assert asyncio.run(fill_and_wait("first", 0)) == 1  # that loop closes before the timer fires
    assert asyncio.run(fill_and_wait("second", 0.1)) == 0


async def test_shared_results_are_kept_for_seconds_only() -> None:
    async def compute() -> str:
        return "shared"

    assert await sharing.shared_result(("event-x", "test"), compute) == "shared"
    assert ("event-x", "test") in sharing._shared_outcomes
    await asyncio.sleep(KEEP_SECONDS + 0.2)
    assert ("event-x", "test") not in sharing._shared_outcomes


@pytest.mark.parametrize("size", [1, 3])
async def test_size_bounds_the_entries(size: int) -> None:
    cache: RecentCache[int] = RecentCache(size=size, seconds=10)
    for n in range(10):
        cache.put(n, n)
    assert len(cache) == size
    assert [cache.get(n) for n in range(10 - size, 10)] == list(range(10 - size, 10))
