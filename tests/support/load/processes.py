"""The load test's processes.

    python -m tests.support.load.processes serve PORT   # a server: LoadConsumer on ws://127.0.0.1:PORT/ws/
    python -m tests.support.load.processes write        # the writer: commands on stdin, one JSON line each

Writer commands: ``setup K`` (K items, prints their pks), ``update ROUND M`` (M commits per item,
value ROUND*1000+n, each in its own transaction; prints the commit times).
"""

from __future__ import annotations

import json
import os
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.support.load.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402

from tests.support.app.models import Item  # noqa: E402
from tests.support.load.consumers import LoadConsumer  # noqa: E402


def trace_memory(trace: bool) -> None:
    """Each SIGUSR1 prints (stderr) what grew since the previous one: the object counts by type that
    changed, and, with ``trace`` (DCRF_LOAD_TRACEMALLOC=1), the top allocation sites
    (DCRF_LOAD_TRACEMALLOC_TOP of them, default 5); without it (DCRF_LOAD_MALLOCSTATS=1), pymalloc's
    arena statistics (``sys._debugmallocstats``, which prints nothing while tracemalloc hooks the
    allocator)."""
    import collections
    import gc
    import signal
    import tempfile
    import traceback
    import tracemalloc

    if trace:
        tracemalloc.start(12)
    top = int(os.environ.get("DCRF_LOAD_TRACEMALLOC_TOP", "5"))
    previous: list[tracemalloc.Snapshot] = []
    previous_types: list[collections.Counter[str]] = []

    def pymalloc_stats() -> str:
        with tempfile.TemporaryFile("w+") as out:
            saved = os.dup(2)
            sys.stderr.flush()
            os.dup2(out.fileno(), 2)
            try:
                sys._debugmallocstats()
            finally:
                os.dup2(saved, 2)
                os.close(saved)
            out.seek(0)
            lines = out.read().splitlines()
        wanted = ("# arenas", "# bytes in", "# bytes lost", "Total")
        return "\n  ".join(line for line in lines if line.startswith(wanted))

    def report(*args: object) -> None:
        try:
            print_report()
        except Exception:
            traceback.print_exc()

    def print_report() -> None:
        if os.environ.get("DCRF_LOAD_CLEAR_SHARED") == "1":  # do the shared payloads pin arenas?
            from djangochannelsrestframework.observer import sharing

            sharing._shared_outcomes.clear()
        if os.environ.get("DCRF_LOAD_CLEAR_TYPES") == "1":  # do names in the type cache pin arenas?
            sys._clear_type_cache()
        gc.collect()
        types = collections.Counter(type(o).__qualname__ for o in gc.get_objects())
        print(f"--- gc-tracked objects {sum(types.values())}", file=sys.stderr)
        if previous_types:
            changed = types.copy()
            changed.subtract(previous_types[-1])
            print("--- gc-tracked objects by type, change:", file=sys.stderr)
            for name, diff in sorted(changed.items(), key=lambda item: -abs(item[1]))[:25]:
                if diff:
                    print(f"  {name}: {diff:+d} (now {types[name]})", file=sys.stderr, flush=True)
        previous_types[:] = [types]
        if not trace:
            print("  " + pymalloc_stats(), file=sys.stderr, flush=True)
            return
        snapshot = tracemalloc.take_snapshot()
        print(f"--- traced (current, peak) {tracemalloc.get_traced_memory()}", file=sys.stderr)
        if previous:
            stats = snapshot.compare_to(previous[-1], "traceback")
            grown = sum(stat.size_diff for stat in stats)
            print(f"--- size_diff total {grown} in {len(stats)} tracebacks", file=sys.stderr)
            if os.environ.get("DCRF_LOAD_TRACEMALLOC_BY") == "count":  # many small survivors pin arenas
                stats.sort(key=lambda stat: -stat.count_diff)
            for stat in stats[:top]:
                print(stat, *stat.traceback.format()[-8:], sep="\n  ", file=sys.stderr, flush=True)
        previous[:] = [snapshot]

    signal.signal(signal.SIGUSR1, report)


def trim_on_signal() -> None:
    """With DCRF_LOAD_TRIM=1, each SIGUSR2 runs a full collection and glibc's ``malloc_trim(0)``
    (returns the free pages of the C heap to the system), to tell freed memory from live memory."""
    import ctypes
    import gc
    import signal

    libc = ctypes.CDLL("libc.so.6")

    def trim(*args: object) -> None:
        gc.collect()
        libc.malloc_trim(0)

    signal.signal(signal.SIGUSR2, trim)


def serve(port: int) -> None:
    import uvicorn

    if os.environ.get("DCRF_LOAD_TRACEMALLOC") == "1" or os.environ.get("DCRF_LOAD_MALLOCSTATS") == "1":
        trace_memory(os.environ.get("DCRF_LOAD_TRACEMALLOC") == "1")
    if os.environ.get("DCRF_LOAD_TRIM") == "1":
        trim_on_signal()
    if os.environ.get("DCRF_LOAD_ARENAS") == "1":
        import signal

        from tests.support.load.arenas import census

        signal.signal(signal.SIGUSR1, lambda *args: census())
    uvicorn.run(
        LoadConsumer.as_asgi(),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="off",
        backlog=4096,
        loop=os.environ.get("DCRF_LOAD_LOOP", "auto"),
    )


#: The items of this run are named NAMES-n: runs at the same time (the suite's small load test and
#: a full-size one) leave each other's rows alone.
NAMES = os.environ.get("DCRF_LOAD_PREFIX", "load")


def write() -> None:
    with transaction.atomic():
        if Item._meta.db_table not in connection.introspection.table_names():
            with connection.schema_editor() as editor:
                editor.create_model(Item)
    pks: list[int] = []
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        words = line.split()
        if words[0] == "setup":
            Item.objects.filter(name__startswith=f"{NAMES}-").delete()
            pks = [Item.objects.create(name=f"{NAMES}-{n}", value=0).pk for n in range(int(words[1]))]
            print(json.dumps({"pks": pks}), flush=True)
        elif words[0] == "update":
            round_, count = int(words[1]), int(words[2])
            commits: list[list[float]] = []
            for n in range(1, count + 1):
                for pk in pks:
                    item = Item(pk=pk, name=f"{NAMES}-{pks.index(pk)}", value=round_ * 1000 + n)
                    item.save()  # autocommit: one transaction per save
                    commits.append([pk, item.value, time.time()])
            print(json.dumps({"commits": commits}), flush=True)
        elif words[0] == "cleanup":
            Item.objects.filter(name__startswith=f"{NAMES}-").delete()
            print(json.dumps({"done": True}), flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(int(sys.argv[2]))
    else:
        write()
