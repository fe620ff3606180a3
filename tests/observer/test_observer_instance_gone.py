"""Instance subscriptions when the object is gone by the time an update event is delivered:
nothing is sent for that update (never an error frame for a change the subscriber may see);
the delete event follows."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import websockets
from channels.db import database_sync_to_async
from django.db import connection

from djangochannelsrestframework.decorators import action
from tests.support.app.models import Item
from tests.support.envelope import connect, reply
from tests.support.live_server import ROOT, free_port, serve_process
from tests.support.observer_consumers import ItemInstanceConsumer
from tests.support.services import require

pytestmark = pytest.mark.django_db(transaction=True)


class SaveThenDeleteConsumer(ItemInstanceConsumer):
    @action()
    def rename_then_delete(self, pk: int, name: str, **kwargs: Any) -> tuple[Any, int]:
        item = self.get_object(pk=pk)
        item.name = name
        item.save()
        item.delete()
        return {"pk": pk}, 200

    @action()
    def rename(self, pk: int, name: str, **kwargs: Any) -> tuple[Any, int]:
        item = self.get_object(pk=pk)
        item.name = name
        item.save()
        return {"pk": pk}, 200


async def subscribe(communicator: Any, pk: int, request_id: Any) -> None:
    await communicator.send_json_to({"action": "subscribe_instance", "pk": pk, "request_id": request_id})
    assert await communicator.receive_json_from() == reply("subscribe_instance", status=201, request_id=request_id)


async def test_an_action_that_saves_then_deletes_sends_update_then_delete() -> None:
    """The issue's scenario: the update is delivered, then the delete, and no 404 frame."""
    item = await database_sync_to_async(Item.objects.create)(name="a")
    pk = item.pk
    communicator = await connect(SaveThenDeleteConsumer)
    await subscribe(communicator, pk, 4)
    await communicator.send_json_to({"action": "rename", "pk": pk, "name": "renamed", "request_id": 5})
    assert await communicator.receive_json_from() == reply("rename", {"pk": pk}, request_id=5)
    assert await communicator.receive_json_from() == reply(
        "update", {"id": pk, "name": "renamed", "value": 0}, request_id=4
    )
    await database_sync_to_async(item.delete)()
    assert await communicator.receive_json_from() == {
        "action": "delete",
        "errors": [],
        "response_status": 204,
        "request_id": 4,
        "data": {"pk": pk},
    }
    assert await communicator.receive_nothing()
    await communicator.disconnect()


async def test_save_and_delete_in_one_action_sends_only_the_delete() -> None:
    """The update event arrives after the row is gone: nothing for it, then the delete."""
    item = await database_sync_to_async(Item.objects.create)(name="a")
    pk = item.pk
    communicator = await connect(SaveThenDeleteConsumer)
    await subscribe(communicator, pk, 4)
    await communicator.send_json_to({"action": "rename_then_delete", "pk": pk, "name": "gone", "request_id": 5})
    frames = [await communicator.receive_json_from() for _ in range(2)]
    assert await communicator.receive_nothing()
    assert sorted(frames, key=lambda frame: frame["action"]) == [
        reply("delete", {"pk": pk}, status=204, request_id=4),
        reply("rename_then_delete", {"pk": pk}, request_id=5),
    ]
    await communicator.disconnect()


def read_uncommitted(on: bool) -> None:
    """Let this thread's SQLite connection read without table locks.  The suite's in-memory SQLite
    database is shared-cache, where a read and a write of one table from two connections fail at
    once ("database table is locked", no busy timeout): here the consumer's database thread reads
    the item to deliver an event while the test's thread writes it."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA read_uncommitted = {int(on)}")


async def test_save_quickly_followed_by_delete_from_another_thread() -> None:
    item = await database_sync_to_async(Item.objects.create)(name="a")
    pk = item.pk
    communicator = await connect(ItemInstanceConsumer)
    await subscribe(communicator, pk, 4)
    await database_sync_to_async(read_uncommitted)(True)  # the thread the consumer reads in

    def save_then_delete() -> None:
        for number in range(5):
            item.name = f"name {number}"
            item.save()
        item.delete()

    try:
        thread = threading.Thread(target=save_then_delete)
        thread.start()
        await asyncio.get_running_loop().run_in_executor(None, thread.join)
        frames = []
        while True:
            frame = await communicator.receive_json_from(timeout=5)
            frames.append(frame)
            if frame["action"] == "delete":
                break
        assert await communicator.receive_nothing()
        # Updates read after the delete send nothing; those read before carry the row's data.
        for frame in frames[:-1]:
            assert frame["action"] == "update" and frame["response_status"] == 200 and frame["errors"] == []
        assert frames[-1] == reply("delete", {"pk": pk}, status=204, request_id=4)
        await communicator.disconnect()
    finally:
        await database_sync_to_async(read_uncommitted)(False)


async def test_a_save_in_a_plain_thread_reaches_an_idle_event_loop_at_once() -> None:
    """The in-memory layer's queues belong to the loop that reads them: a plain thread's event is
    sent on that loop, which wakes up for it (not at its next timer, here the 5 s timeout)."""
    item = await database_sync_to_async(Item.objects.create)(name="a")
    communicator = await connect(ItemInstanceConsumer)
    await subscribe(communicator, item.pk, 5)

    def rename_later() -> None:
        time.sleep(0.3)  # the loop is asleep in receive_json_from by then
        item.name = "renamed"
        item.save()

    loop = asyncio.get_running_loop()
    started = loop.time()
    threading.Thread(target=rename_later).start()
    frame = await communicator.receive_json_from(timeout=5)
    assert (frame["action"], frame["data"]["name"], frame["request_id"]) == ("update", "renamed", 5)
    assert loop.time() - started < 2
    await communicator.disconnect()


# -- another process: PostgreSQL and a Redis channel layer -----------------------------------------

SERVICES_SETTINGS = "tests.support.settings_services"

#: Serves ItemInstanceConsumer at /ws/ with uvicorn (argv[1]: port).
SERVER = """
import sys

import django

django.setup()
import uvicorn
from channels.routing import URLRouter
from django.urls import path

from tests.support.observer_consumers import ItemInstanceConsumer

app = URLRouter([path("ws/", ItemInstanceConsumer.as_asgi())])
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", lifespan="off")
"""

#: ``create`` prints the pk of a new Item; ``churn PK`` saves it five times, then deletes it.
WRITER = """
import sys

import django

django.setup()
from django.db import connection

import tests.support.observer_consumers  # noqa: F401  (registers the observers, as a web worker would)
from tests.support.app.models import Item

if Item._meta.db_table not in connection.introspection.table_names():
    with connection.schema_editor() as editor:
        editor.create_model(Item)
if sys.argv[1] == "create":
    print(Item.objects.create(name="churn").pk)
else:
    item = Item.objects.get(pk=int(sys.argv[2]))
    for number in range(5):
        item.name = f"name {number}"
        item.save()
    item.delete()
"""


def services_env() -> dict[str, str]:
    return {**os.environ, "DJANGO_SETTINGS_MODULE": SERVICES_SETTINGS, "PYTHONPATH": str(ROOT)}


def write(*args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", WRITER, *args], cwd=ROOT, env=services_env(), capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.fixture
def services_server(tmp_path: Path) -> Iterator[str]:
    require("Redis", "PostgreSQL")
    port = free_port()
    with serve_process(["-c", SERVER, str(port)], port, SERVICES_SETTINGS, tmp_path / "server.log") as url:
        yield url + "/ws/"


async def test_save_quickly_followed_by_delete_from_another_process(services_server: str) -> None:
    pk = int(await asyncio.to_thread(write, "create"))
    async with websockets.connect(services_server) as ws:
        await ws.send(json.dumps({"action": "subscribe_instance", "pk": pk, "request_id": 4}))
        subscribed = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert subscribed == reply("subscribe_instance", status=201, request_id=4)
        await asyncio.to_thread(write, "churn", str(pk))
        frames = []
        while not frames or frames[-1]["action"] != "delete":
            frames.append(json.loads(await asyncio.wait_for(ws.recv(), 10)))
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(ws.recv(), 0.5)
    for frame in frames[:-1]:
        assert frame["action"] == "update" and frame["response_status"] == 200 and frame["errors"] == [], frame
    assert frames[-1] == {"errors": [], "data": {"pk": pk}, "action": "delete", "response_status": 204, "request_id": 4}
