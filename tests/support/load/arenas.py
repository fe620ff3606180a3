"""Which objects keep pymalloc arenas alive (a load-test probe, ``DCRF_LOAD_ARENAS=1``).

CPython 3.11 on 64-bit Linux carves 1 MiB arenas into 16 KiB pools; an arena goes back to the
system only when every block in it is free.  A census finds, for every object reachable from the
collector (gc-tracked objects and what they refer to directly), the pool it lives in by reading the
pool header at the object's 16 KiB-aligned address (``arenaindex``, ``szidx`` and the used-block
``count``), so it can tell which arenas hold what.  Comparing a census with the previous one lists,
for the arenas that did not exist before, the objects in them that are new, and how many used blocks
those pools hold that no reachable object accounts for (freelists and C-level caches).
"""

from __future__ import annotations

import array
import collections
import ctypes
import gc
import sys
from typing import Any

POOL_SIZE = 1 << 14
POOL_MASK = ~(POOL_SIZE - 1)
POOL_OVERHEAD = 48
ALIGNMENT = 16
GC_HEADER = 16
_HAVE_GC = 1 << 14

_previous: list[array.array[int]] = []


def _mapped() -> list[tuple[int, int]]:
    ranges = []
    with open("/proc/self/maps") as maps:
        for line in maps:
            fields = line.split()
            if "r" not in fields[1]:
                continue
            start, end = (int(part, 16) for part in fields[0].split("-"))
            ranges.append((start, end))
    ranges.sort()
    return ranges


def _is_mapped(ranges: list[tuple[int, int]], address: int) -> bool:
    low, high = 0, len(ranges)
    while low < high:
        mid = (low + high) // 2
        if ranges[mid][1] <= address:
            low = mid + 1
        else:
            high = mid
    return low < len(ranges) and ranges[low][0] <= address < ranges[low][1]


def _pool_of(obj: Any, ranges: list[tuple[int, int]]) -> tuple[int, int, int, int] | None:
    """(pool address, arena index, size class, used blocks) when ``obj`` sits in a pymalloc pool."""
    start = id(obj) - (GC_HEADER if type(obj).__flags__ & _HAVE_GC else 0)
    pool = start & POOL_MASK
    if not _is_mapped(ranges, pool):
        return None
    header = (ctypes.c_uint32 * 12).from_address(pool)
    count, arena, szidx = header[0], header[8], header[9]
    if szidx >= 32 or arena > 1_000_000:
        return None
    block = (szidx + 1) * ALIGNMENT
    offset = start - pool - POOL_OVERHEAD
    if offset < 0 or offset % block or not 0 < count <= (POOL_SIZE - POOL_OVERHEAD) // block:
        return None
    return pool, arena, szidx, count


def _describe(obj: Any) -> str:
    try:
        text = repr(obj)
    except Exception:
        text = "?"
    return f"{type(obj).__qualname__} {text[:100]}"


def census(out: Any = sys.stderr, samples: int = 3) -> None:
    """Print the arena census and, from the second call on, what sits in the arenas that are new.

    It keeps what it finds in arrays, not in Python objects: a census that made ints and tuples
    of its own would fill the very arenas it looks at."""
    gc.collect()
    ranges = _mapped()
    objects = gc.get_objects()
    arena_of = array.array("l")  # per object of ``objects``: its arena, or -1
    pools = array.array("Q")
    used = array.array("I")
    for obj in objects:
        pool = _pool_of(obj, ranges)
        if pool is None:
            arena_of.append(-1)
        else:
            arena_of.append(pool[1])
            pools.append(pool[0])
            used.append(pool[3])
    arenas = array.array("l", sorted(set(arena_of)))
    print(f"--- arena census: {len(objects)} gc objects in {len(arenas) - 1} arenas", file=out, flush=True)
    if _previous:
        old = set(_previous[-1])
        new_arenas = [arena for arena in arenas if arena >= 0 and arena not in old]
        for arena in new_arenas:
            members = [obj for obj, where in zip(objects, arena_of) if where == arena]
            kinds = collections.Counter(type(o).__qualname__ for o in members)
            print(f"  arena {arena}: {len(members)} gc objects: {kinds.most_common(8)}", file=out)
            for obj in members[:samples]:
                skip = {id(objects), id(members)}
                referrers = [_describe(r)[:70] for r in gc.get_referrers(obj) if id(r) not in skip][:3]
                print(f"    {_describe(obj)}  <- {referrers}", file=out)
        print("--- end of census", file=out, flush=True)
    _previous[:] = [arenas]
    del objects
