"""Run in a separate OS process by tests/engine/test_core_connection_housekeeping.py, on PostgreSQL.

Serves a consumer with uvicorn (channels' test communicators replace connection housekeeping with a
no-op, so they cannot show it), sends it actions over a websocket and prints one JSON line: the
replies, each with the PostgreSQL backend pid that served its query.

Usage: ``python tests/support/housekeeping_probe.py SCENARIO`` with SCENARIO one of ``max_age``,
``killed_async``, ``killed_sync``, ``sync_max_age``, ``killed_mid_sync``, ``killed_mid_async``
(the backend is killed while the action's query runs).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.support.settings_services")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

import django  # noqa: E402
from django.conf import settings  # noqa: E402

SCENARIO = sys.argv[1]
# CONN_MAX_AGE is read when a connection opens; set it before any connection exists.
settings.DATABASES["default"]["CONN_MAX_AGE"] = 1 if SCENARIO in ("max_age", "sync_max_age") else None
django.setup()

import psycopg  # noqa: E402
import websockets  # noqa: E402
from asgiref.sync import sync_to_async  # noqa: E402
from channels.layers import channel_layers  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import override_settings  # noqa: E402

from djangochannelsrestframework.consumers import AsyncAPIConsumer  # noqa: E402
from djangochannelsrestframework.decorators import action  # noqa: E402
from tests.support.app.models import Item  # noqa: E402
from tests.support.live_server import serve  # noqa: E402


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


#: The backend pid of the slow query running now (set by the ``slow_*`` actions).
RUNNING_PID: list[int] = []


def slow_query() -> None:
    RUNNING_PID.append(backend_pid())
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(10)")


class ProbeConsumer(AsyncAPIConsumer):
    """One async action using Django's async ORM (no housekeeping of its own) and one sync action."""

    connection_housekeeping_interval = float(os.environ.get("PROBE_INTERVAL", "1.0"))

    @action()
    async def async_orm(self, **kwargs: Any) -> tuple[Any, int]:
        count = await Item.objects.acount()
        return {"pid": await sync_to_async(backend_pid)(), "count": count}, 200

    @action()
    def sync_orm(self, **kwargs: Any) -> tuple[Any, int]:
        return {"pid": backend_pid(), "count": Item.objects.count()}, 200

    @action()
    def slow_sync(self, **kwargs: Any) -> tuple[Any, int]:
        slow_query()
        return {"pid": None}, 200

    @action()
    async def slow_async(self, **kwargs: Any) -> tuple[Any, int]:
        await sync_to_async(slow_query)()
        return {"pid": None}, 200


def ensure_table() -> None:
    if Item._meta.db_table not in connection.introspection.table_names():
        with connection.schema_editor() as editor:
            editor.create_model(Item)
    connection.close()


def terminate(pid: int) -> None:
    """Kill a server backend from a separate connection, as a database restart or failover would."""
    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test", autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
        for _ in range(100):
            alive = admin.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()
            if alive is not None and alive[0] == 0:
                return
            time.sleep(0.05)


async def main() -> None:
    # Touching the database on the main thread first would leave its connection storage in the
    # context every task inherits; a server does not do that, so neither does the probe.
    await sync_to_async(ensure_table)()
    with serve(ProbeConsumer.as_asgi()) as base_url:
        async with websockets.connect(base_url + "/ws/") as ws:
            print(json.dumps(await run_scenario(ws)), flush=True)


async def run_scenario(ws: Any) -> list[dict[str, Any]]:
    replies: list[dict[str, Any]] = []

    async def call(name: str) -> dict[str, Any]:
        await ws.send(json.dumps({"action": name, "request_id": len(replies)}))
        reply: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 10))
        replies.append({"status": reply["response_status"], "pid": (reply["data"] or {}).get("pid")})
        return reply

    if SCENARIO == "max_age":
        await call("async_orm")
        await call("async_orm")
        await asyncio.sleep(2.5)  # past CONN_MAX_AGE=1 and the 1 s housekeeping interval
        await call("async_orm")
    elif SCENARIO == "sync_max_age":
        await call("sync_orm")
        await asyncio.sleep(1.5)
        await call("sync_orm")
    elif SCENARIO in ("killed_async", "killed_sync"):
        name = "async_orm" if SCENARIO == "killed_async" else "sync_orm"
        first = await call(name)
        await sync_to_async(terminate)(first["data"]["pid"])
        for _ in range(3):
            await call(name)
    elif SCENARIO in ("killed_mid_sync", "killed_mid_async"):
        name = "sync_orm" if SCENARIO == "killed_mid_sync" else "async_orm"
        await call(name)
        await ws.send(json.dumps({"action": "slow_" + name.split("_")[0], "request_id": "slow"}))
        for _ in range(200):
            if RUNNING_PID:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)  # inside pg_sleep
        started = time.monotonic()
        await asyncio.to_thread(terminate, RUNNING_PID[0])  # not the busy thread-sensitive thread
        reply = json.loads(await asyncio.wait_for(ws.recv(), 10))
        replies.append({"status": reply["response_status"], "pid": None, "errors": reply["errors"]})
        replies.append({"status": 0, "pid": None, "seconds": round(time.monotonic() - started, 1)})
        for _ in range(2):
            await call(name)
    return replies


if __name__ == "__main__":
    with override_settings(CHANNEL_LAYERS={"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}):
        channel_layers.backends.clear()
        asyncio.run(main())
