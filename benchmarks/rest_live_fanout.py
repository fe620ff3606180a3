"""Fan-out of one change to N list subscribers: our rest-live layer vs django-rest-live 0.7.

Run by ``python3 benchmarks/rest_live_fanout.py`` (which makes the venvs and runs each side in its
own); one side alone: ``<venv python> benchmarks/rest_live_fanout.py --side ours|rest_live 100 1000``.

Both sides serve the same DRF view (``ModelViewSet`` + ``RealtimeMixin`` on a 100-row table,
SQLite file database) through ``RealtimeRouter().as_consumer()``, with N websocket clients
(channels' in-process ``WebsocketCommunicator``, the benchmark's sweeping ``InMemoryChannelLayer``)
each subscribed to ``{"type": "subscribe", "action": "list"}``.  A change is one ``save()`` of a
row outside a transaction; measured: time from the save to the last client's broadcast, and the
SELECT queries the server ran for it (the write itself is an UPDATE and is not counted).
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CHANGES = {100: 7, 1000: 3}


def configure(side: str) -> None:
    import django
    from django.conf import settings

    sys.path[:0] = [str(HERE / "rest_live_bench"), str(HERE / "benchproject")]
    database = Path(tempfile.mkdtemp()) / f"{side}.sqlite3"
    installed = ["django.contrib.auth", "django.contrib.contenttypes", "rest_framework", "channels", "rlbench"]
    settings.configure(
        SECRET_KEY="bench",
        DEBUG=False,
        INSTALLED_APPS=installed,
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(database)}},
        CHANNEL_LAYERS={
            "default": {
                "BACKEND": "bench.layers.SweepingInMemoryChannelLayer",
                "CONFIG": {"capacity": 1_000_000, "expiry": 120},
            }
        },
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
        USE_TZ=True,
        REST_FRAMEWORK={"UNAUTHENTICATED_USER": None},
    )
    django.setup()


def count_selects() -> list[int]:
    """A process-wide count of SELECT statements (every thread), by wrapping Django's cursor."""
    from django.db.backends import utils

    counter = [0]
    original = utils.CursorWrapper.execute

    def execute(self: Any, sql: str, params: Any = None) -> Any:
        if sql.lstrip().upper().startswith("SELECT"):
            counter[0] += 1
        return original(self, sql, params)

    utils.CursorWrapper.execute = execute  # type: ignore[method-assign]
    return counter


def build(side: str) -> Any:
    from django.db import connection
    from rest_framework import serializers, viewsets

    if side == "ours":
        from djangochannelsrestframework.contrib.rest_live.mixins import RealtimeMixin
        from djangochannelsrestframework.contrib.rest_live.routers import RealtimeRouter
    else:
        from rest_live.mixins import RealtimeMixin
        from rest_live.routers import RealtimeRouter
    from rlbench.models import Row

    with connection.schema_editor() as editor:
        editor.create_model(Row)
    Row.objects.bulk_create([Row(name=f"r{n}", value=n) for n in range(100)])

    class RowSerializer(serializers.ModelSerializer):
        class Meta:
            model = Row
            fields = ["id", "name", "value"]

    class RowViewSet(viewsets.ModelViewSet, RealtimeMixin):
        queryset = Row.objects.all()
        serializer_class = RowSerializer

    router = RealtimeRouter()
    router.register(RowViewSet)
    return router.as_consumer().as_asgi()


async def fan_out(application: Any, subscribers: int, counter: list[int]) -> dict[str, Any]:
    from asgiref.sync import sync_to_async
    from channels.testing import WebsocketCommunicator
    from rlbench.models import Row

    clients = []
    for number in range(subscribers):
        client = WebsocketCommunicator(application, "/ws/subscribe/")
        connected, _ = await client.connect()
        assert connected
        await client.send_json_to({"type": "subscribe", "id": number, "model": "rlbench.Row", "action": "list"})
        # Neither side answers a subscription; an unknown type's error marks it as processed.
        await client.send_json_to({"type": "sync", "id": "sync"})
        assert (await client.receive_json_from(timeout=30))["type"] == "error"
        clients.append(client)

    def save(value: int) -> None:
        row = Row.objects.get(pk=1)
        row.value = value
        row.save()

    times, queries, lost = [], [], 0
    for change in range(CHANGES.get(subscribers, 3)):
        before = counter[0]
        start = time.perf_counter()
        await sync_to_async(save)(1000 + change)
        for client in clients:
            try:
                frame = await client.receive_json_from(timeout=60)
                assert frame["action"] == "UPDATED" and frame["instance"]["value"] == 1000 + change, frame
            except asyncio.TimeoutError:
                lost += 1
        times.append(time.perf_counter() - start)
        queries.append(counter[0] - before - 1)  # minus the save's own read of the row
        await asyncio.sleep(0.2)
    for client in clients:
        await client.disconnect()
    return {
        "subscribers": subscribers,
        "changes": len(times),
        "last_delivery_ms_median": round(statistics.median(times) * 1000, 1),
        "last_delivery_ms_all": [round(t * 1000, 1) for t in times],
        "select_queries_per_change": statistics.median(queries),
        "lost": lost,
    }


def run_side(side: str, sizes: list[int]) -> None:
    configure(side)
    counter = count_selects()
    application = build(side)
    import importlib.metadata as metadata

    versions = {
        name: metadata.version(name)
        for name in ("Django", "channels", "djangorestframework", "django-rest-live", "djangochannelsrestframework")
        if _installed(name)
    }
    results = [asyncio.run(fan_out(application, size, counter)) for size in sizes]
    print(json.dumps({"side": side, "python": sys.version.split()[0], "versions": versions, "results": results}))


def _installed(name: str) -> bool:
    import importlib.metadata as metadata

    try:
        metadata.version(name)
    except metadata.PackageNotFoundError:
        return False
    return True


def main() -> None:
    sys.path.insert(0, str(HERE))
    from venvs import ensure

    sizes = [int(a) for a in sys.argv[1:]] or [100, 1000]
    rows = []
    for side, venv in (("ours", "ours"), ("rest_live", "rest_live")):
        python = ensure(venv)
        done = subprocess.run(
            [str(python), str(Path(__file__)), "--side", side, *map(str, sizes)],
            capture_output=True,
            text=True,
            cwd="/",
            env={**os.environ, "PYTHONPATH": ""},
        )
        if done.returncode:
            sys.stderr.write(done.stdout + done.stderr)
            raise SystemExit(f"{side} failed")
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    out = HERE / "results" / "rest_live_fanout.json"
    out.write_text(json.dumps(rows, indent=2) + "\n")
    print(f"{'side':<10} {'subscribers':>11} {'last delivery ms':>17} {'SELECTs/change':>15} {'lost':>5}")
    for row in rows:
        for result in row["results"]:
            print(
                f"{row['side']:<10} {result['subscribers']:>11} {result['last_delivery_ms_median']:>17} "
                f"{result['select_queries_per_change']:>15} {result['lost']:>5}"
            )
    print(f"(written to {out})")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--side":
        run_side(sys.argv[2], [int(a) for a in sys.argv[3:]] or [100, 1000])
    else:
        main()
