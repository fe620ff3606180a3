"""The rest-live consumers served by a real server (uvicorn) and used by real websocket clients."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from channels.db import database_sync_to_async
from websockets.asyncio.client import connect

from docs.examples.from_rest_live import application
from docs.examples.todolist import routing
from tests.support.todolist.models import List, Task

pytestmark = pytest.mark.django_db(transaction=True, reset_sequences=True)


@database_sync_to_async
def run(func: Any) -> Any:
    return func()


async def quiet(ws: Any, seconds: float = 0.1) -> bool:
    try:
        await asyncio.wait_for(ws.recv(), seconds)
    except TimeoutError:
        return True
    return False


async def test_a_07_list_subscription_over_a_real_socket(live_server_url: Any) -> None:
    todo = await run(lambda: List.objects.create(name="chores"))
    url = live_server_url(application) + "/ws/subscribe/"
    async with connect(url, compression=None) as ws:
        await ws.send(json.dumps({"type": "subscribe", "id": 1, "model": "todolist.Task", "action": "list"}))
        await ws.send("not json")
        assert json.loads(await ws.recv()) == {"type": "error", "id": None, "code": 400, "message": "Malformed JSON."}
        task = await run(lambda: Task.objects.create(list=todo, text="milk"))
        assert json.loads(await asyncio.wait_for(ws.recv(), 10)) == {
            "type": "broadcast",
            "id": 1,
            "model": "todolist.Task",
            "action": "CREATED",
            "instance": {"id": task.pk, "text": "milk", "done": False},
        }
        await run(lambda: Task.objects.get(pk=task.pk).delete())
        assert json.loads(await asyncio.wait_for(ws.recv(), 10)) == {
            "type": "broadcast",
            "id": 1,
            "model": "todolist.Task",
            "action": "DELETED",
            "instance": {"pk": task.pk, "id": task.pk},
        }
        assert await quiet(ws)


async def test_a_02_group_subscription_over_a_real_socket(live_server_url: Any) -> None:
    import importlib

    from djangochannelsrestframework.contrib.rest_live.decorators import clear_registrations

    module = importlib.import_module("docs.examples.todolist.subscribe_by_list")
    clear_registrations()
    importlib.reload(module)
    try:
        todo = await run(lambda: List.objects.create(name="chores"))
        url = live_server_url(routing.application) + "/ws/subscribe/"
        async with connect(url, compression=None) as ws:
            await ws.send(json.dumps({"model": "todolist.Task", "property": "list_id", "value": todo.pk}))
            # 0.2's subscribe has no reply: give the subscription time to read the group's rows.  A
            # row created before that read is one the subscription starts out knowing (UPDATED).
            assert await quiet(ws, 1.0)
            task = await run(lambda: Task.objects.create(list=todo, text="milk"))
            assert json.loads(await asyncio.wait_for(ws.recv(), 10)) == {
                "model": "todolist.Task",
                "instance": {"id": task.pk, "text": "milk", "done": False},
                "action": "CREATED",
                "group_key_value": todo.pk,
            }
    finally:
        clear_registrations()
