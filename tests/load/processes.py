"""The load test's processes.

    python -m tests.load.processes serve PORT   # a server: LoadConsumer on ws://127.0.0.1:PORT/ws/
    python -m tests.load.processes write        # the writer: commands on stdin, one JSON line each

Writer commands: ``setup K`` (K items, prints their pks), ``update ROUND M`` (M commits per item,
value ROUND*1000+n, each in its own transaction; prints the commit times).
"""

from __future__ import annotations

import json
import os
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.load.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402

from tests.app.models import Item  # noqa: E402
from tests.load.consumers import LoadConsumer  # noqa: E402


def trace_memory() -> None:
    """With DCRF_LOAD_TRACEMALLOC=1, each SIGUSR1 prints (stderr) what grew since the previous one."""
    import gc
    import signal
    import tracemalloc

    tracemalloc.start(12)
    previous: list[tracemalloc.Snapshot] = []

    def report(*args: object) -> None:
        gc.collect()
        snapshot = tracemalloc.take_snapshot()
        if previous:
            for stat in snapshot.compare_to(previous[-1], "traceback")[:5]:
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

    if os.environ.get("DCRF_LOAD_TRACEMALLOC") == "1":
        trace_memory()
    if os.environ.get("DCRF_LOAD_TRIM") == "1":
        trim_on_signal()
    uvicorn.run(LoadConsumer.as_asgi(), host="127.0.0.1", port=port, log_level="warning", lifespan="off", backlog=4096)


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
            Item.objects.filter(name__startswith="load-").delete()
            pks = [Item.objects.create(name=f"load-{n}", value=0).pk for n in range(int(words[1]))]
            print(json.dumps({"pks": pks}), flush=True)
        elif words[0] == "update":
            round_, count = int(words[1]), int(words[2])
            commits: list[list[float]] = []
            for n in range(1, count + 1):
                for pk in pks:
                    item = Item(pk=pk, name=f"load-{pks.index(pk)}", value=round_ * 1000 + n)
                    item.save()  # autocommit: one transaction per save
                    commits.append([pk, item.value, time.time()])
            print(json.dumps({"commits": commits}), flush=True)
        elif words[0] == "cleanup":
            Item.objects.filter(name__startswith="load-").delete()
            print(json.dumps({"done": True}), flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(int(sys.argv[2]))
    else:
        write()
