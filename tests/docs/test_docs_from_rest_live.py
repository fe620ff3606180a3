"""The examples of docs/from_rest_live.rst: a django-rest-live 0.7 project after the switch, with
the client messages the page shows."""

from __future__ import annotations

from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth.models import User

from djangochannelsrestframework.contrib.rest_live.testing import APICommunicator, get_headers_for_user
from docs.examples.from_rest_live import application
from tests.support.todolist.models import List, Task

pytestmark = pytest.mark.django_db(transaction=True, reset_sequences=True)


@database_sync_to_async
def run(func: Any) -> Any:
    return func()


async def test_the_switched_project_serves_the_pages_messages():
    user = await run(lambda: User.objects.create_user("ann"))
    todo = await run(lambda: List.objects.create(name="chores"))
    task = await run(lambda: Task.objects.create(list=todo, text="test"))
    communicator = APICommunicator(application, "/ws/subscribe/", await get_headers_for_user(user))
    assert await communicator.connect() == (True, None)
    await communicator.send_json_to(
        {"type": "subscribe", "id": 1337, "model": "todolist.Task", "action": "retrieve", "lookup_by": task.pk}
    )
    await communicator.send_json_to({"type": "subscribe", "id": 1338, "model": "todolist.Task", "action": "list"})
    assert await communicator.receive_nothing(timeout=0.05)

    def finish() -> None:
        task.done = True
        task.save()

    await run(finish)
    instance = {"id": task.pk, "text": "test", "done": True}
    frames = [await communicator.receive_json_from() for _ in range(2)]
    assert sorted(frames, key=lambda frame: frame["id"]) == [
        {"type": "broadcast", "id": 1337, "model": "todolist.Task", "action": "UPDATED", "instance": instance},
        {"type": "broadcast", "id": 1338, "model": "todolist.Task", "action": "UPDATED", "instance": instance},
    ]
    await communicator.send_json_to({"type": "unsubscribe", "id": 1337})
    await communicator.send_json_to({"type": "unsubscribe", "id": 1337})
    expected = {
        "type": "error",
        "id": 1337,
        "code": 404,
        "message": "Attempted to unsubscribe for request ID before subscribing.",
    }
    assert await communicator.receive_json_from() == expected
    await communicator.disconnect()
